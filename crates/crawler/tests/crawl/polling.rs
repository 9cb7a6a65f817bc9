//! Polls against the fixture portal: first polls, idle polls, additions, and
//! the list API's paging quirks.

use govwire_crawler::StopReason;

use crate::support::{ids_of, news, test_documents, Backend, Harness, HTML_COLUMN, SECTIONS};

const LIST_API: &str = "/front/api/data/affair";

#[tokio::test]
async fn the_first_poll_of_each_section_delivers_every_served_page_exactly_once() {
    let h = Harness::start().await;
    for (section, channel) in SECTIONS {
        let before = h.sink.len();
        let report = h
            .crawler
            .poll_section(section)
            .await
            .unwrap_or_else(|e| panic!("poll of {section} failed: {e:?}"));
        let pages = h.sink.pages_since(before);

        assert_eq!(
            ids_of(&pages),
            h.served_ids(channel),
            "pages delivered for {section}"
        );
        assert_eq!(
            report.delivered as usize,
            pages.len(),
            "{section}: {report:?}"
        );
        assert_eq!(report.new_items, report.delivered, "{section}: {report:?}");
        assert!(
            h.foreign_count(channel) >= 1,
            "each section lists an entry on another host"
        );
        assert_eq!(
            report.skipped,
            h.foreign_count(channel),
            "{section}: entries on another host are skipped: {report:?}"
        );
        assert_eq!(report.failed, 0, "{section}: {report:?}");
        assert!(
            report.list_pages >= 2,
            "{section} spans several list pages: {report:?}"
        );

        for page in &pages {
            let doc = h
                .portal
                .document(&page.item_id)
                .unwrap_or_else(|| panic!("{} is not a fixture document", page.item_id));
            assert_eq!(page.portal, "shpt");
            assert_eq!(page.section, section);
            assert_eq!(page.url, h.portal.url_of(&doc));
            assert_eq!(page.list_title.as_deref(), Some(doc.title()));
            assert_eq!(page.published_on, Some(doc.published_on));
            assert!(
                page.content_type
                    .as_deref()
                    .is_some_and(|ct| ct.starts_with("text/html")),
                "content type of {}: {:?}",
                page.item_id,
                page.content_type
            );
            assert_eq!(page.body, doc.served().body, "body of {}", page.item_id);
        }
    }
    let bad: Vec<_> = h
        .portal
        .requests()
        .into_iter()
        .filter(|r| {
            r.status != 200
                && !r
                    .path
                    .starts_with(&format!("/zhengwu/{HTML_COLUMN}/index_"))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "only the HTML list's page past the end may miss: {bad:?}"
    );
}

async fn an_idle_second_poll_costs_one_request_per_section(backend: Backend) {
    let h = Harness::start_with(backend, test_documents(), |_, _| {}).await;
    h.poll_all().await;
    let delivered = h.sink.len();
    h.portal.reset_requests();

    for (section, channel) in SECTIONS {
        let report = h.crawler.poll_section(section).await.expect("second poll");
        assert_eq!(report.requests, 1, "{section}: {report:?}");
        assert_eq!(report.delivered, 0, "{section}: {report:?}");
        assert_eq!(report.new_items, 0, "{section}: {report:?}");
        if channel == HTML_COLUMN {
            assert_eq!(
                report.stopped_because,
                StopReason::NotModified,
                "{report:?}"
            );
            assert_eq!(report.not_modified, 1, "{report:?}");
            assert_eq!(report.list_pages, 0, "{report:?}");
        } else {
            assert_eq!(report.stopped_because, StopReason::KnownItems, "{report:?}");
        }
    }

    assert_eq!(h.sink.len(), delivered, "an idle poll delivers nothing");
    let requests = h.portal.requests();
    assert_eq!(requests.len(), 3, "one request per section: {requests:?}");
    let posts: Vec<_> = requests.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posts.len(), 2, "{requests:?}");
    assert!(
        posts.iter().all(|r| r.path == LIST_API && r.status == 200),
        "{requests:?}"
    );
    let gets: Vec<_> = requests.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(gets.len(), 1, "{requests:?}");
    assert_eq!(gets[0].path, format!("/zhengwu/{HTML_COLUMN}/index.html"));
    assert!(
        gets[0].conditional,
        "the HTML list is asked conditionally: {requests:?}"
    );
    assert_eq!(gets[0].status, 304, "{requests:?}");
    h.db.cleanup().await;
}

#[tokio::test]
async fn an_idle_second_poll_costs_one_request_per_section_on_sqlite() {
    an_idle_second_poll_costs_one_request_per_section(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_idle_second_poll_costs_one_request_per_section_on_postgres() {
    an_idle_second_poll_costs_one_request_per_section(Backend::Postgres).await;
}

#[tokio::test]
async fn after_an_addition_the_next_poll_delivers_only_the_new_page() {
    let h = Harness::start().await;
    h.poll_all().await;
    let before = h.sink.len();
    h.portal.add(news("950001", "3", 20, "新增的区政府文件"));
    h.portal
        .add(news("950002", HTML_COLUMN, 20, "新增的提案答复"));

    let json = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    let other = h.crawler.poll_section("bureau-docs").await.expect("poll");
    let html = h
        .crawler
        .poll_section("cppcc-proposal-replies")
        .await
        .expect("poll");

    assert_eq!(
        ids_of(&h.sink.pages_since(before)),
        vec!["950001", "950002"]
    );
    assert_eq!((json.new_items, json.delivered), (1, 1), "{json:?}");
    assert_eq!((other.new_items, other.delivered), (0, 0), "{other:?}");
    assert_eq!((html.new_items, html.delivered), (1, 1), "{html:?}");
    assert_eq!(json.stopped_because, StopReason::KnownItems, "{json:?}");
    assert_eq!(html.stopped_because, StopReason::KnownItems, "{html:?}");
}

/// Listed pages (served or not) of `channel`.
fn listed(h: &Harness, channel: &str) -> u32 {
    let n = h
        .portal
        .documents()
        .iter()
        .filter(|d| d.channel == channel)
        .count();
    u32::try_from(n).expect("a small corpus")
}

fn list_posts(h: &Harness) -> usize {
    h.portal
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == LIST_API)
        .count()
}

#[tokio::test]
async fn a_page_number_stuck_below_the_page_asked_for_ends_the_walk() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |profile, _| {
        for section in &mut profile.sections {
            section.max_pages = 1_000;
            if let Some(api) = &mut section.json_api {
                api.page_size = 2;
            }
        }
    })
    .await;
    let pages = listed(&h, "3").div_ceil(2);

    let report = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");

    assert_eq!(
        report.stopped_because,
        StopReason::PageNumberStuck,
        "{report:?}"
    );
    // Every real page once, then the first page past the end (which repeats
    // the last page with its pageNo) ends the walk. Each page of new items
    // is read once more, after the page behind it (the last one after the
    // end), for entries that slid onto it.
    assert_eq!(report.list_pages, pages + 1, "{report:?}");
    assert_eq!(report.list_rereads, pages, "{report:?}");
    assert_eq!(
        list_posts(&h),
        usize::try_from(2 * pages + 1).expect("small")
    );
    assert_eq!(ids_of(&h.sink.pages()), h.served_ids("3"));
}

#[tokio::test]
async fn a_page_repeating_the_previous_one_ends_the_walk_when_no_page_number_is_given() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |profile, _| {
        for section in &mut profile.sections {
            section.max_pages = 1_000;
            if let Some(api) = &mut section.json_api {
                api.page_size = 2;
                api.fields.page_no = None;
            }
        }
    })
    .await;
    let pages = listed(&h, "6").div_ceil(2);

    let report = h.crawler.poll_section("bureau-docs").await.expect("poll");

    assert_eq!(
        report.stopped_because,
        StopReason::RepeatedPage,
        "{report:?}"
    );
    assert_eq!(report.list_pages, pages + 1, "{report:?}");
    assert_eq!(report.list_rereads, pages, "{report:?}");
    assert_eq!(
        list_posts(&h),
        usize::try_from(2 * pages + 1).expect("small")
    );
    assert_eq!(ids_of(&h.sink.pages()), h.served_ids("6"));
}

#[tokio::test]
async fn an_empty_channel_costs_one_request() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |profile, _| {
        for section in &mut profile.sections {
            if let Some(api) = &mut section.json_api {
                api.channel = "424242".into();
            }
        }
    })
    .await;

    let report = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");

    assert_eq!(report.stopped_because, StopReason::EmptyPage, "{report:?}");
    assert_eq!(list_posts(&h), 1);
    assert_eq!(h.sink.len(), 0);
}

#[tokio::test]
async fn max_pages_bounds_a_walk_and_overlap_pages_extend_it_past_known_items() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |profile, _| {
        for section in &mut profile.sections {
            section.max_pages = 3;
            section.overlap_pages = 2;
            if let Some(api) = &mut section.json_api {
                api.page_size = 2;
            }
        }
    })
    .await;
    assert!(
        listed(&h, "3") > 6,
        "the channel must be longer than three pages"
    );

    let first = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    assert_eq!(first.stopped_because, StopReason::MaxPages, "{first:?}");
    assert_eq!(first.list_pages, 3, "{first:?}");
    assert_eq!(
        first.delivered + first.skipped,
        6,
        "three pages of two: {first:?}"
    );
    assert_eq!(h.sink.len(), first.delivered as usize);

    h.portal.reset_requests();
    let second = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    assert_eq!(second.delivered, 0, "{second:?}");
    assert_eq!(second.list_pages, 3, "{second:?}");

    let third = Harness::start_with(Backend::Sqlite, test_documents(), |profile, _| {
        for section in &mut profile.sections {
            section.max_pages = 1_000;
            section.overlap_pages = 2;
            if let Some(api) = &mut section.json_api {
                api.page_size = 2;
            }
        }
    })
    .await;
    third
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    third.portal.reset_requests();
    let idle = third
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    assert_eq!(idle.stopped_because, StopReason::KnownItems, "{idle:?}");
    assert_eq!(
        idle.list_pages, 3,
        "the known page and two overlap pages: {idle:?}"
    );
    assert_eq!(list_posts(&third), 3);
}
