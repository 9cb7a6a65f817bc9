//! `Crawler::run`: the schedule and a prompt, clean stop.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use govwire_crawler::Crawler;
use tokio_util::sync::CancellationToken;

use crate::support::{
    fresh_sqlite_store, mini_profile, test_documents, test_options, Backend, CollectingSink,
    Harness, MiniPortal, SECTIONS,
};

/// How long a cancelled crawler may take to return.
const STOP_DEADLINE: Duration = Duration::from_secs(3);

#[tokio::test]
async fn run_polls_every_section_and_stops_promptly_when_cancelled() {
    let h = Harness::start_with(Backend::Sqlite, test_documents(), |_, options| {
        options.poll_interval = Some(Duration::from_secs(3600));
        options.revisit_interval = Duration::from_secs(3600);
    })
    .await;
    let expected: usize = SECTIONS
        .iter()
        .map(|(_, channel)| h.served_ids(channel).len())
        .sum();
    let cancel = CancellationToken::new();
    let crawler = Arc::clone(&h.crawler);
    let running = tokio::spawn({
        let cancel = cancel.clone();
        async move { crawler.run(cancel).await }
    });

    h.sink.wait_for(expected).await;
    cancel.cancel();
    let stopped = tokio::time::timeout(STOP_DEADLINE, running).await;

    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "run must return Ok promptly: {stopped:?}"
    );
    let mut ids: Vec<String> = h.sink.pages().into_iter().map(|p| p.item_id).collect();
    let delivered = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), delivered, "no page delivered twice");
    assert_eq!(delivered, expected);
}

#[tokio::test]
async fn run_stops_promptly_while_waiting_out_the_polite_delay() {
    let routes = Router::new().route("/robots.txt", get(|| async { "User-agent: *\nAllow: /\n" }));
    let portal = MiniPortal::start(routes).await;
    let db = fresh_sqlite_store().await;
    let mut options = test_options(&portal.base_url);
    options.min_delay = Some(Duration::from_secs(120));
    let crawler = Arc::new(
        Crawler::new(
            mini_profile(),
            db.store.clone(),
            CollectingSink::new(),
            options,
        )
        .expect("crawler"),
    );
    let cancel = CancellationToken::new();
    let running = tokio::spawn({
        let (crawler, cancel) = (Arc::clone(&crawler), cancel.clone());
        async move { crawler.run(cancel).await }
    });

    // robots.txt is fetched; the list request now waits two minutes.
    portal.wait_for_hits(1).await;
    cancel.cancel();
    let stopped = tokio::time::timeout(STOP_DEADLINE, running).await;

    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "run must return Ok promptly: {stopped:?}"
    );
    assert_eq!(
        portal.hits().len(),
        1,
        "nothing is requested after the cancel: {:?}",
        portal.hits()
    );
}
