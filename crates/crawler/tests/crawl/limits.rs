//! Limits and guards: oversized bodies, redirects to private addresses.
//! (Retry-After is in `hostile`, shown without waiting it out.)

use std::io::Write as _;
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use flate2::write::GzEncoder;
use flate2::Compression;
use govwire_crawler::Crawler;

use crate::support::{
    fresh_sqlite_store, list_answer, mini_profile, test_options, CollectingSink, MiniPortal,
};

/// The mini profile's `max_body_bytes`.
const LIMIT: usize = 65_536;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

#[tokio::test]
async fn a_body_larger_than_the_limit_after_decompression_fails_that_page_only() {
    let huge = "<p>普陀区人民政府</p>".repeat(LIMIT);
    let compressed = gzip(huge.as_bytes());
    assert!(
        compressed.len() < LIMIT,
        "the wire size must be under the limit to test decompression"
    );
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
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<h1>small</h1>") }),
        )
        .route(
            "/zhengwu/x/2026/1/2.html",
            get(move || {
                let body = compressed.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "text/html"),
                            (header::CONTENT_ENCODING, "gzip"),
                        ],
                        body,
                    )
                }
            }),
        );
    let portal = MiniPortal::start(routes).await;
    let db = fresh_sqlite_store().await;
    let sink = CollectingSink::new();
    let crawler = Crawler::new(
        mini_profile(),
        db.store.clone(),
        Arc::clone(&sink),
        test_options(&portal.base_url),
    )
    .expect("crawler");

    let report = crawler
        .poll_section("docs")
        .await
        .expect("the poll itself succeeds");

    assert_eq!(
        sink.pages()
            .iter()
            .map(|p| p.item_id.as_str())
            .collect::<Vec<_>>(),
        vec!["1"]
    );
    assert_eq!((report.delivered, report.failed), (1, 1), "{report:?}");
    let item = db
        .store
        .crawl_item("mini", "2")
        .await
        .expect("store")
        .expect("recorded for a retry");
    assert_eq!(item.body_sha256, None, "{item:?}");
    assert_eq!(item.last_fetched_at, None, "{item:?}");
    assert!(
        item.next_visit_at.is_some(),
        "the page is retried later: {item:?}"
    );
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused_and_same_site_redirects_are_followed() {
    let items = [
        ("1", "/zhengwu/x/2026/1/1.html"),
        ("2", "/zhengwu/x/2026/1/2.html"),
        ("3", "/zhengwu/x/2026/1/3.html"),
    ];
    let redirect = |to: &'static str| {
        move || async move { (StatusCode::FOUND, [(header::LOCATION, to)]).into_response() }
    };
    let routes = Router::new()
        .route(
            "/front/api/data/affair",
            post(move |body: String| async move { Json(list_answer(&body, &items)) }),
        )
        .route(
            "/zhengwu/x/2026/1/1.html",
            get(redirect("http://10.1.2.3/zhengwu/x.html")),
        )
        .route(
            "/zhengwu/x/2026/1/2.html",
            get(redirect("http://127.0.0.1:1/zhengwu/x.html")),
        )
        .route(
            "/zhengwu/x/2026/1/3.html",
            get(redirect("/zhengwu/y/2026/1/3.html")),
        )
        .route(
            "/zhengwu/y/2026/1/3.html",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<h1>moved</h1>") }),
        );
    let portal = MiniPortal::start(routes).await;
    let db = fresh_sqlite_store().await;
    let sink = CollectingSink::new();
    let crawler = Crawler::new(
        mini_profile(),
        db.store.clone(),
        Arc::clone(&sink),
        test_options(&portal.base_url),
    )
    .expect("crawler");

    let report = crawler.poll_section("docs").await.expect("poll");

    let pages = sink.pages();
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0].item_id, "3");
    assert_eq!(
        pages[0].url,
        format!("{}/zhengwu/y/2026/1/3.html", portal.base_url),
        "the final URL is kept"
    );
    assert_eq!((report.delivered, report.failed), (1, 2), "{report:?}");
}
