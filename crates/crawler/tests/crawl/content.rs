//! What the crawler accepts from a portal: content types, attachments, and
//! a storm of 403s.

use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use govwire_crawler::{CrawlError, Crawler, CrawlerOptions, FetchError};

use crate::support::{
    fresh_sqlite_store, list_answer, mini_profile, test_options, CollectingSink, MiniPortal,
};

async fn crawler_for(
    portal: &MiniPortal,
    adjust: impl FnOnce(&mut CrawlerOptions),
) -> (
    Crawler<Arc<CollectingSink>>,
    Arc<CollectingSink>,
    govwire_store::testing::TestDb,
) {
    let db = fresh_sqlite_store().await;
    let sink = CollectingSink::new();
    let mut options = test_options(&portal.base_url);
    adjust(&mut options);
    let crawler = Crawler::new(mini_profile(), db.store.clone(), Arc::clone(&sink), options)
        .expect("crawler");
    (crawler, sink, db)
}

#[tokio::test]
async fn a_detail_page_that_is_not_html_is_refused_and_not_revisited_soon() {
    let items = [
        ("1", "/zhengwu/x/2026/1/1.html"),
        ("2", "/zhengwu/x/2026/1/2.html"),
    ];
    let routes = Router::new()
        .route(
            "/front/api/data/affair",
            post(move |body: String| async move { Json(list_answer(&body, &items)) }),
        )
        .route(
            "/zhengwu/x/2026/1/1.html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<h1>答复</h1>") }),
        )
        .route(
            "/zhengwu/x/2026/1/2.html",
            get(|| async { ([(header::CONTENT_TYPE, "video/mp4")], vec![0u8; 4096]) }),
        );
    let portal = MiniPortal::start(routes).await;
    let (crawler, sink, db) = crawler_for(&portal, |options| {
        options.revisit_interval = std::time::Duration::from_secs(7 * 24 * 3600);
    })
    .await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!((report.delivered, report.refused), (1, 1), "{report:?}");
    assert_eq!(sink.pages()[0].item_id, "1");
    let refused = db
        .store
        .crawl_item("mini", "2")
        .await
        .expect("store")
        .expect("recorded");
    assert_eq!(refused.body_sha256, None, "{refused:?}");
    let next = refused.next_visit_at.expect("scheduled");
    assert!(
        next > chrono::Utc::now() + chrono::Duration::days(6),
        "a refused page is looked at again on the slow schedule: {next}"
    );
}

#[tokio::test]
async fn attachments_are_fetched_with_their_page_within_the_limit_and_failures_named() {
    let items = [("1", "/zhengwu/x/2026/1/1.html")];
    let page = r#"<html><body><h1>答复</h1><div class="TRS_Editor">
        <a href="/files/reply.pdf">答复全文</a>
        <a href="/files/missing.pdf">已删除</a>
        <a href="http://10.1.2.3/files/internal.pdf">内网</a>
        <a href="/files/table.docx">附表</a>
        <a href="/files/extra.pdf">多余</a>
        </div></body></html>"#;
    let routes = Router::new()
        .route(
            "/front/api/data/affair",
            post(move |body: String| async move { Json(list_answer(&body, &items)) }),
        )
        .route(
            "/zhengwu/x/2026/1/1.html",
            get(
                move || async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page) },
            ),
        )
        .route(
            "/files/reply.pdf",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/pdf")],
                    "%PDF-1.4 reply",
                )
            }),
        )
        .route(
            "/files/missing.pdf",
            get(|| async { StatusCode::NOT_FOUND.into_response() }),
        )
        .route(
            "/files/table.docx",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html>login</html>") }),
        )
        .route(
            "/files/extra.pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], "%PDF extra") }),
        );
    let portal = MiniPortal::start(routes).await;
    let (crawler, sink, _db) = crawler_for(&portal, |options| options.max_attachments = 4).await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!(report.delivered, 1, "{report:?}");
    let page = sink.pages().remove(0);
    let a = &page.attachments;
    assert_eq!(a.len(), 5, "{a:#?}");
    assert_eq!(a[0].name, "答复全文");
    assert_eq!(a[0].url, format!("{}/files/reply.pdf", portal.base_url));
    assert_eq!(a[0].content_type.as_deref(), Some("application/pdf"));
    assert_eq!(a[0].body, b"%PDF-1.4 reply");
    assert_eq!(a[0].error, None);
    assert!(
        a[1].error.as_deref().is_some_and(|e| e.contains("404")),
        "{:?}",
        a[1]
    );
    assert!(a[1].body.is_empty());
    assert!(
        a[2].error
            .as_deref()
            .is_some_and(|e| e.contains("not a public address")),
        "{:?}",
        a[2]
    );
    assert!(
        a[3].error
            .as_deref()
            .is_some_and(|e| e.contains("text/html")),
        "a login page is not a document: {:?}",
        a[3]
    );
    assert!(
        a[4].error
            .as_deref()
            .is_some_and(|e| e.contains("more than 4")),
        "{:?}",
        a[4]
    );
    let fetched: Vec<String> = portal
        .hits()
        .into_iter()
        .map(|h| h.path)
        .filter(|p| p.starts_with("/files/"))
        .collect();
    assert!(
        !fetched.contains(&"/files/extra.pdf".to_owned()),
        "nothing past the limit is fetched: {fetched:?}"
    );
}

#[tokio::test]
async fn a_storm_of_403s_backs_the_whole_host_off() {
    let items: Arc<Vec<(String, String)>> = Arc::new(
        (1..=6)
            .map(|i| (i.to_string(), format!("/zhengwu/x/2026/1/{i}.html")))
            .collect(),
    );
    let routes = Router::new()
        .route(
            "/front/api/data/affair",
            post(move |body: String| {
                let items = Arc::clone(&items);
                async move {
                    let refs: Vec<(&str, &str)> = items
                        .iter()
                        .map(|(id, path)| (id.as_str(), path.as_str()))
                        .collect();
                    Json(list_answer(&body, &refs))
                }
            }),
        )
        .route(
            "/zhengwu/x/2026/1/{file}",
            get(|| async { (StatusCode::FORBIDDEN, "Forbidden").into_response() }),
        );
    let portal = MiniPortal::start(routes).await;
    let (crawler, sink, db) = crawler_for(&portal, |options| options.forbidden_storm = 3).await;

    let poll = crawler.poll_section("docs").await;

    assert!(
        matches!(
            &poll,
            Err(CrawlError::ListFetch {
                source: FetchError::BackingOff { .. },
                ..
            })
        ),
        "the whole host waits, the list's next page included: {poll:?}"
    );
    assert_eq!(sink.len(), 0);
    let forbidden = portal
        .hits()
        .iter()
        .filter(|h| h.method == "GET" && h.status == 403)
        .count();
    assert_eq!(
        forbidden,
        3,
        "after three 403s in a row nothing more is sent: {:?}",
        portal.hits()
    );
    for id in 1..=6 {
        let item = db
            .store
            .crawl_item("mini", &id.to_string())
            .await
            .expect("store")
            .expect("every listed item is recorded for a retry");
        assert_eq!(item.body_sha256, None, "{item:?}");
        assert_eq!(item.consecutive_missing, 0, "{item:?}");
    }
}

#[tokio::test]
async fn the_pudong_profile_is_usable_and_polls_its_own_api_path() {
    let profile: govwire_model::PortalProfile =
        toml::from_str(include_str!("../../../../config/portals/pudong.toml"))
            .expect("config/portals/pudong.toml parses");
    profile.validate().expect("the pudong profile is valid");
    let routes = Router::new().route(
        "/zwgk-search-front/api/data/affair",
        post(|body: String| async move {
            let asked: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
            assert_eq!(asked["pageSize"], 20, "{asked}");
            Json(list_answer(&body, &[]))
        }),
    );
    let portal = MiniPortal::start(routes).await;
    let db = fresh_sqlite_store().await;
    let crawler = Crawler::new(
        profile.clone(),
        db.store.clone(),
        CollectingSink::new(),
        test_options(&portal.base_url),
    )
    .expect("the crawler accepts the pudong profile");

    for section in &profile.sections {
        let report = crawler.poll_section(&section.id).await.expect("poll");
        assert_eq!(report.list_pages, 1, "{report:?}");
    }
    let posts = portal
        .hits()
        .into_iter()
        .filter(|h| h.path == "/zwgk-search-front/api/data/affair" && h.status == 200)
        .count();
    assert_eq!(posts, profile.sections.len());
}

/// Detail pages that each wait (up to a deadline) for `want` requests to be
/// in flight together, recording the most seen at once.
fn gathering_routes(
    items: &'static [(&'static str, &'static str)],
    want: usize,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most: Arc<std::sync::atomic::AtomicUsize>,
) -> Router {
    use std::sync::atomic::Ordering;
    let mut routes = Router::new().route(
        "/front/api/data/affair",
        post(move |body: String| async move { Json(list_answer(&body, items)) }),
    );
    for (_, path) in items {
        let (in_flight, most) = (Arc::clone(&in_flight), Arc::clone(&most));
        routes = routes.route(
            path,
            get(move || async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Held until enough requests arrived together, or a deadline
                // (a crawler that sends one at a time meets only that).
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(300);
                while in_flight.load(Ordering::SeqCst) < want
                    && most.load(Ordering::SeqCst) < want
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
                ([(header::CONTENT_TYPE, "text/html")], "<h1>答复</h1>")
            }),
        );
    }
    routes
}

const GATHERING_ITEMS: &[(&str, &str)] = &[
    ("1", "/zhengwu/x/2026/1/1.html"),
    ("2", "/zhengwu/x/2026/1/2.html"),
    ("3", "/zhengwu/x/2026/1/3.html"),
    ("4", "/zhengwu/x/2026/1/4.html"),
    ("5", "/zhengwu/x/2026/1/5.html"),
    ("6", "/zhengwu/x/2026/1/6.html"),
    ("7", "/zhengwu/x/2026/1/7.html"),
    ("8", "/zhengwu/x/2026/1/8.html"),
];

#[tokio::test]
async fn with_concurrency_a_list_pages_items_are_fetched_that_many_at_a_time() {
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let portal = MiniPortal::start(gathering_routes(
        GATHERING_ITEMS,
        4,
        Arc::clone(&in_flight),
        Arc::clone(&most),
    ))
    .await;
    let (crawler, sink, _db) = crawler_for(&portal, |options| {
        options.min_delay = Some(std::time::Duration::ZERO);
        options.concurrency = Some(4);
    })
    .await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!(report.delivered, 8, "{report:?}");
    assert_eq!(sink.len(), 8);
    assert_eq!(
        most.load(std::sync::atomic::Ordering::SeqCst),
        4,
        "four requests in flight together, never more"
    );
}

#[tokio::test]
async fn by_default_one_request_is_in_flight_at_a_time() {
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let portal = MiniPortal::start(gathering_routes(
        &GATHERING_ITEMS[..3],
        2,
        Arc::clone(&in_flight),
        Arc::clone(&most),
    ))
    .await;
    let (crawler, sink, _db) = crawler_for(&portal, |options| {
        options.min_delay = Some(std::time::Duration::ZERO);
    })
    .await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!(report.delivered, 3, "{report:?}");
    assert_eq!(sink.len(), 3);
    assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1);
}
