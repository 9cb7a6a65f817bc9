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
