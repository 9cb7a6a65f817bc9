//! robots.txt variants, served by a small portal of the test's own.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use govwire_crawler::{CrawlError, Crawler, StopReason};

use crate::support::{
    fresh_sqlite_store, list_answer, mini_profile, test_options, CollectingSink, MiniPortal,
};

const ITEMS: [(&str, &str); 2] = [
    ("1", "/zhengwu/open/2026/1/1.html"),
    ("2", "/zhengwu/secret/2026/1/2.html"),
];

/// A portal with the given robots.txt answer, the list API listing
/// [`ITEMS`], and their detail pages.
async fn portal_with_robots(status: StatusCode, robots: &'static str) -> MiniPortal {
    let routes = Router::new()
        .route("/robots.txt", get(move || async move { (status, robots) }))
        .route(
            "/front/api/data/affair",
            post(|body: String| async move { Json(list_answer(&body, &ITEMS)) }),
        )
        .route(
            "/zhengwu/{column}/2026/1/{file}",
            get(|| async {
                (
                    [("content-type", "text/html; charset=utf-8")],
                    "<html><h1>文件</h1></html>",
                )
            }),
        );
    MiniPortal::start(routes).await
}

async fn crawler_for(
    portal: &MiniPortal,
    adjust: impl FnOnce(&mut govwire_crawler::CrawlerOptions),
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
async fn a_section_whose_list_robots_disallows_is_not_fetched() {
    let portal = portal_with_robots(StatusCode::OK, "User-agent: *\nDisallow: /front/\n").await;
    let (crawler, sink, _db) = crawler_for(&portal, |_| {}).await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!(
        report.stopped_because,
        StopReason::DisallowedByRobots,
        "{report:?}"
    );
    assert_eq!(sink.len(), 0);
    let paths: Vec<String> = portal.hits().into_iter().map(|h| h.path).collect();
    assert_eq!(paths, vec!["/robots.txt"], "only robots.txt is fetched");
}

#[tokio::test]
async fn the_group_naming_our_token_applies_and_disallowed_items_are_skipped() {
    let robots =
        "User-agent: *\nDisallow: /\n\nUser-agent: govwire-test\nDisallow: /zhengwu/secret/\n";
    let portal = portal_with_robots(StatusCode::OK, robots).await;
    let (crawler, sink, _db) = crawler_for(&portal, |_| {}).await;

    let report = crawler.poll_section("docs").await.expect("poll");

    assert_eq!(
        sink.pages()
            .iter()
            .map(|p| p.item_id.as_str())
            .collect::<Vec<_>>(),
        vec!["1"]
    );
    assert_eq!((report.delivered, report.skipped), (1, 1), "{report:?}");
    assert!(
        !portal.path_counts().contains_key(ITEMS[1].1),
        "the disallowed page is never requested: {:?}",
        portal.path_counts()
    );
}

#[tokio::test]
async fn an_unavailable_robots_txt_stops_everything_and_a_missing_one_allows_everything() {
    let down = portal_with_robots(StatusCode::SERVICE_UNAVAILABLE, "busy").await;
    let (crawler, sink, db) = crawler_for(&down, |_| {}).await;
    let error = crawler
        .poll_section("docs")
        .await
        .expect_err("a poll that cannot read robots.txt fails");
    assert!(
        matches!(&error, CrawlError::RobotsUnreadable { reason, .. } if reason.ends_with("answered HTTP 503")),
        "{error:?}"
    );
    assert_says_unreadable_not_disallowed(&db, &error.to_string()).await;
    assert_eq!(sink.len(), 0);
    let hits = down.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        (hits[0].path.as_str(), hits[0].status),
        ("/robots.txt", 503)
    );

    let missing = portal_with_robots(StatusCode::NOT_FOUND, "no such file").await;
    let (crawler, sink, _db) = crawler_for(&missing, |_| {}).await;
    let report = crawler.poll_section("docs").await.expect("poll");
    assert_eq!(report.delivered, 2, "{report:?}");
    assert_eq!(sink.len(), 2);
}

/// The poll's error and the section health's last error (which the
/// degraded event's reason quotes) say robots.txt could not be read, and
/// never that it disallows anything.
async fn assert_says_unreadable_not_disallowed(db: &govwire_store::testing::TestDb, message: &str) {
    assert!(
        message.contains("robots.txt of http://127.0.0.1:"),
        "{message}"
    );
    assert!(message.contains("could not be read"), "{message}");
    let health = db
        .store
        .section_health("mini", "docs")
        .await
        .expect("health")
        .expect("the poll is recorded");
    let recorded = health
        .last_error
        .expect("the failed poll's cause is recorded");
    assert_eq!(health.failed_polls, 1);
    for text in [message, recorded.as_str()] {
        assert!(!text.contains("disallow"), "{text}");
    }
    assert!(recorded.contains("could not be read"), "{recorded}");
}

/// The error of a poll of the mini profile's section at `base_url`, where
/// no portal answers as one, with the store it recorded the poll in.
async fn failed_poll_at(base_url: &str) -> (CrawlError, govwire_store::testing::TestDb) {
    let db = fresh_sqlite_store().await;
    let crawler = Crawler::new(
        mini_profile(),
        db.store.clone(),
        CollectingSink::new(),
        test_options(base_url),
    )
    .expect("crawler");
    let error = crawler
        .poll_section("docs")
        .await
        .expect_err("no portal answers there");
    (error, db)
}

#[tokio::test]
async fn a_portal_refusing_connections_is_reported_unreachable_not_disallowed() {
    // A loopback port nothing listens on: connections to it are refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let base_url = format!("http://127.0.0.1:{port}");
    let (error, db) = failed_poll_at(&base_url).await;
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "{base_url}/robots.txt is unreachable: the connection was refused"
        )),
        "{message}"
    );
    assert_says_unreadable_not_disallowed(&db, &message).await;
}

#[tokio::test]
async fn a_tls_handshake_that_fails_is_reported_as_such() {
    // A loopback server that answers a TLS hello with plain HTTP.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let base_url = format!("https://127.0.0.1:{port}");
    let (error, _db) = failed_poll_at(&base_url).await;
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "{base_url}/robots.txt is unreachable: the TLS handshake failed"
        )),
        "{message}"
    );
    assert!(!message.contains("disallow"), "{message}");
}

#[tokio::test]
async fn robots_txt_is_fetched_once_and_its_crawl_delay_spaces_requests() {
    let portal = portal_with_robots(
        StatusCode::OK,
        "User-agent: *\nAllow: /\nCrawl-delay: 0.25\n",
    )
    .await;
    let (crawler, _sink, _db) = crawler_for(&portal, |_| {}).await;

    crawler.poll_section("docs").await.expect("poll");
    crawler.poll_section("docs").await.expect("second poll");

    let hits = portal.hits();
    assert_eq!(
        portal.path_counts().get("/robots.txt"),
        Some(&1),
        "{hits:?}"
    );
    // robots.txt, list page 1, two pages, the empty list page 2, list page
    // 1 again (for entries that slid onto it); then the idle poll's list
    // page 1.
    assert_eq!(hits.len(), 7, "{hits:?}");
    for pair in hits[1..].windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap >= Duration::from_millis(250),
            "requests {gap:?} apart: {hits:?}"
        );
    }
}
