//! The crawler against the fixture portal's hostile modes: each mode, and
//! what the crawler must do about it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use govwire_crawler::{CrawlError, FetchError, StopReason};
use govwire_fixture_portal::Hostile;

use crate::support::{news_in, test_documents, Backend, Harness, HTML_COLUMN};

/// The JSON section of channel 3 in the shpt profile.
const SECTION: &str = "district-gov-docs";

/// A portal with only `n` news items, all in channel 3.
async fn small_portal(
    n: u32,
    adjust: impl FnOnce(&mut govwire_model::PortalProfile, &mut govwire_crawler::CrawlerOptions),
) -> Harness {
    Harness::start_with(Backend::Sqlite, news_in("3", 700_000, n), adjust).await
}

/// Requests of the portal that are not robots.txt.
fn content_requests(h: &Harness) -> Vec<govwire_fixture_portal::RequestRecord> {
    h.portal
        .requests()
        .into_iter()
        .filter(|r| r.path != "/robots.txt")
        .collect()
}

#[tokio::test]
async fn a_429_with_retry_after_holds_every_later_request_to_the_host_back() {
    let h = small_portal(2, |_, _| {}).await;
    h.portal.set_hostile(Hostile::TooManyRequests {
        retry_after_secs: 120,
    });

    let first = h.crawler.poll_section(SECTION).await;
    let second = h.crawler.poll_section(SECTION).await;

    assert!(
        matches!(
            &first,
            Err(CrawlError::ListFetch {
                source: FetchError::Status { status: 429, .. },
                ..
            })
        ),
        "{first:?}"
    );
    match &second {
        Err(CrawlError::ListFetch {
            source: FetchError::BackingOff { remaining, .. },
            ..
        }) => assert!(
            *remaining > Duration::from_secs(100) && *remaining <= Duration::from_secs(120),
            "Retry-After: 120 is honoured: {remaining:?}"
        ),
        other => panic!("the second poll must wait out the Retry-After: {other:?}"),
    }
    let requests = content_requests(&h);
    assert_eq!(
        requests.len(),
        1,
        "nothing is sent while the portal asked us to wait: {requests:?}"
    );
    assert_eq!(h.sink.len(), 0);
}

#[tokio::test]
async fn a_503_storm_is_an_outage_that_never_counts_as_a_withdrawal() {
    let h = small_portal(6, |_, _| {}).await;
    h.crawler.poll_section(SECTION).await.expect("first poll");
    assert_eq!(h.sink.len(), 6);
    h.portal.set_hostile(Hostile::ServiceUnavailable);
    h.portal.reset_requests();

    let report = h
        .crawler
        .revisit_due()
        .await
        .expect("the round itself runs");

    assert_eq!(report.missing, 0, "{report:?}");
    assert!(report.failed >= 1, "{report:?}");
    assert!(
        report.stopped_early,
        "a struggling portal ends the round early: {report:?}"
    );
    let requests = content_requests(&h);
    assert!(
        requests.len() < 6 && requests.iter().all(|r| r.status == 503),
        "fewer requests than items during an outage: {requests:?}"
    );
    for doc in h.portal.documents() {
        let item =
            h.db.store
                .crawl_item("shpt", &doc.item_id)
                .await
                .expect("store")
                .expect("known");
        assert_eq!(item.consecutive_missing, 0, "{item:?}");
        assert!(
            item.body_sha256.is_some(),
            "the last good fetch is kept: {item:?}"
        );
        assert!(matches!(item.last_status, Some(200 | 503)), "{item:?}");
    }
    assert_eq!(h.sink.len(), 6, "nothing delivered during the outage");
}

#[tokio::test]
async fn a_body_trickling_one_byte_a_second_times_out_and_is_retried_later() {
    let h = small_portal(2, |_, options| {
        options.request_timeout = Some(Duration::from_millis(400));
    })
    .await;
    h.portal.set_hostile(Hostile::TrickleBody);

    let started = tokio::time::Instant::now();
    let report = h
        .crawler
        .poll_section(SECTION)
        .await
        .expect("the poll runs");

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the slow pages do not hold the poll up"
    );
    assert_eq!((report.delivered, report.failed), (0, 2), "{report:?}");
    for doc in h.portal.documents() {
        let item =
            h.db.store
                .crawl_item("shpt", &doc.item_id)
                .await
                .expect("store")
                .expect("recorded for a retry");
        assert_eq!(item.body_sha256, None, "{item:?}");
        assert!(item.next_visit_at.is_some(), "{item:?}");
    }
}

async fn oversized_detail_pages_fail_and_are_not_delivered(mode: Hostile) {
    let h = small_portal(2, |profile, _| {
        profile.politeness.max_body_bytes = 1024 * 1024;
    })
    .await;
    h.portal.set_hostile(mode);

    let report = h
        .crawler
        .poll_section(SECTION)
        .await
        .expect("the poll runs");

    assert_eq!((report.delivered, report.failed), (0, 2), "{report:?}");
    assert_eq!(h.sink.len(), 0);
    h.portal.set_hostile(Hostile::Off);
    let again = h.crawler.revisit_due().await.expect("revisit");
    assert_eq!(
        again.delivered, 2,
        "served normally, they arrive: {again:?}"
    );
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_body_cap_counted_after_decompression() {
    oversized_detail_pages_fail_and_are_not_delivered(Hostile::GzipBomb).await;
}

#[tokio::test]
async fn a_50_mb_page_is_cut_off_at_the_body_cap() {
    oversized_detail_pages_fail_and_are_not_delivered(Hostile::HugePage).await;
}

#[tokio::test]
async fn a_redirect_to_the_metadata_service_is_refused() {
    let h = small_portal(2, |_, _| {}).await;
    h.portal.set_hostile(Hostile::RedirectToMetadata);

    let report = h
        .crawler
        .poll_section(SECTION)
        .await
        .expect("the poll runs");

    assert_eq!((report.delivered, report.failed), (0, 2), "{report:?}");
    assert_eq!(h.sink.len(), 0);
}

#[tokio::test]
async fn a_redirect_from_the_allowed_fixture_to_another_loopback_port_is_refused() {
    // A listener on another loopback port that counts who connects to it.
    let trap = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port");
    let port = trap.local_addr().expect("address").port();
    let connections = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&connections);
    let trap_task = tokio::spawn(async move {
        while let Ok((_socket, _)) = trap.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let h = small_portal(2, |_, _| {}).await;
    h.portal.set_hostile(Hostile::RedirectToLoopback { port });

    let report = h
        .crawler
        .poll_section(SECTION)
        .await
        .expect("the poll runs");

    assert_eq!((report.delivered, report.failed), (0, 2), "{report:?}");
    let redirects = content_requests(&h)
        .into_iter()
        .filter(|r| r.status == 302)
        .count();
    assert_eq!(redirects, 2, "both pages redirected");
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the crawler never connected to the other port"
    );
    trap_task.abort();
}

#[tokio::test]
async fn a_section_robots_txt_disallows_is_not_polled_while_the_others_are() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |_, _| {}).await;
    h.portal.set_hostile(Hostile::RobotsDisallow {
        path: format!("/zhengwu/{HTML_COLUMN}/"),
    });

    let html = h
        .crawler
        .poll_section("cppcc-proposal-replies")
        .await
        .expect("poll");
    let json = h.crawler.poll_section(SECTION).await.expect("poll");

    assert_eq!(html.stopped_because, StopReason::DisallowedByRobots);
    assert_eq!(html.delivered, 0, "{html:?}");
    assert!(json.delivered > 0, "{json:?}");
    let column = format!("/zhengwu/{HTML_COLUMN}/");
    let touched: Vec<_> = h
        .portal
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&column))
        .collect();
    assert!(touched.is_empty(), "{touched:?}");
}

#[tokio::test]
async fn gbk_bytes_mislabelled_as_utf8_are_handed_on_byte_for_byte() {
    let h = small_portal(1, |_, _| {}).await;
    h.portal.set_hostile(Hostile::GbkMislabelledUtf8);

    let report = h.crawler.poll_section(SECTION).await.expect("poll");

    assert_eq!(report.delivered, 1, "{report:?}");
    let page = h.sink.pages().remove(0);
    let doc = h.portal.document(&page.item_id).expect("document");
    assert!(
        std::str::from_utf8(&page.body).is_err(),
        "the bytes are GBK, not UTF-8"
    );
    let (decoded, _, _) = encoding_rs::GBK.decode(&page.body);
    assert!(decoded.contains(doc.title()), "{decoded}");
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8"),
        "the label is handed on as sent; the parser decides"
    );
}

#[tokio::test]
async fn a_waf_page_is_never_delivered_and_backs_the_whole_host_off() {
    let h = small_portal(3, |_, _| {}).await;
    h.crawler.poll_section(SECTION).await.expect("first poll");
    let delivered = h.sink.len();
    h.portal.set_hostile(Hostile::WafPage);
    h.portal.reset_requests();

    let revisit = h.crawler.revisit_due().await.expect("revisit runs");
    let poll = h.crawler.poll_section("bureau-docs").await;

    assert_eq!(h.sink.len(), delivered, "a WAF page is not content");
    assert_eq!(revisit.missing, 0, "{revisit:?}");
    assert!(revisit.failed >= 1, "{revisit:?}");
    assert!(
        matches!(
            &poll,
            Err(CrawlError::ListFetch {
                source: FetchError::BackingOff { .. },
                ..
            })
        ),
        "another section of the host waits too: {poll:?}"
    );
    let requests = content_requests(&h);
    assert_eq!(
        requests.len(),
        1,
        "one WAF page is enough to stop: {requests:?}"
    );
    for doc in h.portal.documents() {
        let item =
            h.db.store
                .crawl_item("shpt", &doc.item_id)
                .await
                .expect("store")
                .expect("known");
        assert_eq!(item.consecutive_missing, 0, "{item:?}");
    }
}

#[tokio::test]
async fn a_layout_change_that_empties_a_section_lists_nothing_and_marks_nothing_missing() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |_, _| {}).await;
    h.poll_all().await;
    let delivered = h.sink.len();
    h.portal.set_hostile(Hostile::LayoutChange);

    let html = h
        .crawler
        .poll_section("cppcc-proposal-replies")
        .await
        .expect("the list page still arrives");
    let json = h.crawler.poll_section(SECTION).await;

    assert_eq!(html.listed, 0, "{html:?}");
    assert_eq!(html.stopped_because, StopReason::EmptyPage, "{html:?}");
    assert!(
        matches!(&json, Err(CrawlError::ListFormat { .. })),
        "the API's list moved: {json:?}"
    );
    assert_eq!(h.sink.len(), delivered);
    let health =
        h.db.store
            .section_health("shpt", "cppcc-proposal-replies")
            .await
            .expect("store")
            .expect("the polls were recorded");
    assert_eq!(health.last_listed, Some(0), "{health:?}");
    assert!(health.last_nonempty_at.is_some(), "{health:?}");
    let api =
        h.db.store
            .section_health("shpt", SECTION)
            .await
            .expect("store")
            .expect("the polls were recorded");
    assert_eq!(api.failed_polls, 1, "{api:?}");
    assert!(api.last_error.is_some(), "{api:?}");
    for id in h.served_ids(HTML_COLUMN) {
        let item =
            h.db.store
                .crawl_item("shpt", &id)
                .await
                .expect("store")
                .expect("known");
        assert_eq!(item.consecutive_missing, 0, "{item:?}");
    }
}

#[tokio::test]
async fn detail_pages_nested_200_000_levels_deep_are_refused_unread_and_counted() {
    let h = small_portal(2, |_, _| {}).await;
    h.portal
        .set_hostile(Hostile::DeepNesting { levels: 200_000 });

    let report = h
        .crawler
        .poll_section(SECTION)
        .await
        .expect("the poll runs");

    assert_eq!(
        (report.delivered, report.refused, report.failed),
        (0, 2, 0),
        "{report:?}"
    );
    assert_eq!(h.sink.len(), 0, "an unreadable page is not handed on");
    h.portal.set_hostile(Hostile::Off);
    let again = h.crawler.revisit_due().await.expect("revisit");
    assert_eq!(
        again.delivered, 2,
        "served normally, they arrive: {again:?}"
    );
}

#[tokio::test]
async fn an_html_list_page_nested_200_000_levels_deep_fails_the_poll_with_a_clear_error() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |_, _| {}).await;
    h.portal
        .set_hostile(Hostile::DeepNesting { levels: 200_000 });

    let poll = h.crawler.poll_section("cppcc-proposal-replies").await;

    match poll {
        Err(CrawlError::ListFormat { url, message, .. }) => {
            assert!(url.contains(HTML_COLUMN), "{url}");
            assert!(message.contains("nested"), "{message}");
        }
        other => panic!("expected the list page to be refused, got {other:?}"),
    }
    assert_eq!(h.sink.len(), 0);
}
