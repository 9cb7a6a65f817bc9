//! Backfill: a section's whole history through the same dedup path as
//! polls, resumable after an interruption, limited to a date range.

use std::collections::BTreeSet;

use chrono::{NaiveDate, TimeDelta, Utc};
use govwire_crawler::{BackfillProgress, CrawlError, StopReason};
use tokio_util::sync::CancellationToken;

use crate::support::{ids_of, news_in, Backend, Harness};

/// The JSON section of channel 3.
const SECTION: &str = "district-gov-docs";

/// 40 items in channel 3: three list pages of 15 (and a stuck fourth).
async fn history() -> Harness {
    Harness::start_with(Backend::Sqlite, news_in("3", 600_000, 40), |_, _| {}).await
}

fn channel_ids(h: &Harness) -> Vec<String> {
    h.served_ids("3")
}

#[tokio::test]
async fn a_backfill_fetches_every_unknown_item_once_and_a_completed_one_does_nothing() {
    let h = Harness::start_with(Backend::Sqlite, news_in("3", 600_000, 40), |profile, _| {
        // Live polls stop at the first page of a new section's list.
        for section in &mut profile.sections {
            section.max_pages = 1;
        }
    })
    .await;
    let polled = h.crawler.poll_section(SECTION).await.expect("poll");
    assert_eq!(polled.delivered, 15, "{polled:?}");
    let mut pages_seen = Vec::new();

    let report = h
        .crawler
        .backfill(
            SECTION,
            None,
            None,
            |p: &BackfillProgress| pages_seen.push((p.page, p.pages_hint)),
            &CancellationToken::new(),
        )
        .await
        .expect("backfill");

    assert!(report.completed, "{report:?}");
    assert_eq!(report.resumed_from, None);
    assert_eq!(report.new_items, 25, "known items are skipped: {report:?}");
    assert_eq!(report.delivered, 25, "{report:?}");
    assert_eq!(ids_of(&h.sink.pages()), channel_ids(&h), "each item once");
    assert_eq!(
        pages_seen,
        vec![(1, Some(3)), (2, Some(3)), (3, Some(3))],
        "progress after every page, with the portal's page count as a hint"
    );
    h.portal.reset_requests();

    let again = h
        .crawler
        .backfill(SECTION, None, None, |_| {}, &CancellationToken::new())
        .await
        .expect("second backfill");

    assert_eq!(again.stopped_because, StopReason::AlreadyComplete);
    assert_eq!(again.delivered, 0);
    assert!(h.portal.requests().is_empty(), "{:?}", h.portal.requests());
}

#[tokio::test]
async fn an_interrupted_backfill_resumes_from_its_cursor_and_loses_nothing() {
    let h = history().await;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();

    let first = h
        .crawler
        .backfill(
            SECTION,
            None,
            None,
            move |p: &BackfillProgress| {
                if p.page == 2 {
                    stop.cancel();
                }
            },
            &cancel,
        )
        .await
        .expect("first run");

    assert_eq!(first.stopped_because, StopReason::Cancelled, "{first:?}");
    assert!(!first.completed);
    assert_eq!(first.delivered, 30, "{first:?}");
    let cursor =
        h.db.store
            .backfill_cursor("shpt", SECTION, None, None)
            .await
            .expect("store")
            .expect("a cursor");
    assert_eq!(cursor.next_page, 3);

    let second = h
        .crawler
        .backfill(SECTION, None, None, |_| {}, &CancellationToken::new())
        .await
        .expect("resumed run");

    assert_eq!(second.resumed_from, Some(3));
    assert!(second.completed, "{second:?}");
    assert_eq!(
        second.pages, 3,
        "pages 2 (one page of overlap), 3, and the stuck page that ends the list: {second:?}"
    );
    assert_eq!(second.delivered, 10, "{second:?}");
    assert_eq!(ids_of(&h.sink.pages()), channel_ids(&h), "each item once");
}

#[tokio::test]
async fn a_backfill_over_a_date_range_fetches_only_that_range_and_stops_past_it() {
    let h = history().await;
    let since = NaiveDate::from_ymd_opt(2026, 7, 20);
    let until = NaiveDate::from_ymd_opt(2026, 7, 25);

    let report = h
        .crawler
        .backfill(SECTION, since, until, |_| {}, &CancellationToken::new())
        .await
        .expect("backfill");

    let expected: BTreeSet<String> = h
        .portal
        .documents()
        .into_iter()
        .filter(|d| d.channel == "3")
        .filter(|d| Some(d.published_on) >= since && Some(d.published_on) <= until)
        .map(|d| d.item_id)
        .collect();
    assert!(!expected.is_empty());
    let delivered: BTreeSet<String> = h.sink.pages().into_iter().map(|p| p.item_id).collect();
    assert_eq!(delivered, expected);
    assert_eq!(
        report.stopped_because,
        StopReason::OlderThanRange,
        "{report:?}"
    );
    assert!(report.completed);
    assert!(
        report.pages < 3,
        "the walk stops at the first page older than the range: {report:?}"
    );
    let other_range =
        h.db.store
            .backfill_cursor("shpt", SECTION, None, None)
            .await
            .expect("store");
    assert_eq!(other_range, None, "a range has its own cursor");
}

/// The lease name a live crawler instance holds in these tests.
const LIVE: &str = "live-instance-1";

#[tokio::test]
async fn a_backfill_refuses_a_section_another_instance_is_polling_and_names_it() {
    let h = Harness::start_with(Backend::Sqlite, news_in("3", 600_000, 20), |_, options| {
        options.instance_id = "backfill-1".into();
        options.backfill_lease_wait = std::time::Duration::ZERO;
    })
    .await;
    let now = Utc::now();
    let taken =
        h.db.store
            .claim_section("shpt", SECTION, LIVE, now, now + TimeDelta::minutes(10))
            .await
            .expect("store");
    assert!(taken, "the live instance takes the section");

    let result = h
        .crawler
        .backfill(SECTION, None, None, |_| {}, &CancellationToken::new())
        .await;

    match result {
        Err(CrawlError::SectionLeased {
            ref holder,
            ref section,
            ..
        }) => {
            assert_eq!(holder, LIVE);
            assert_eq!(section, SECTION);
        }
        other => panic!("expected SectionLeased, got {other:?}"),
    }
    let message = result.unwrap_err().to_string();
    assert!(message.contains(LIVE), "{message}");
    assert!(
        h.portal.requests().is_empty(),
        "nothing is fetched beside a live poll: {:?}",
        h.portal.requests()
    );
    assert!(h.sink.pages().is_empty());
    let lease =
        h.db.store
            .section_lease("shpt", SECTION)
            .await
            .expect("store")
            .expect("a lease");
    assert_eq!(
        lease.holder.as_deref(),
        Some(LIVE),
        "the live lease is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_waits_out_a_dead_instances_lease_then_walks_holding_it_and_keeps_the_schedule()
{
    waits_out_a_dead_lease(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_backfill_waits_out_a_dead_instances_lease_and_holds_it_while_walking() {
    waits_out_a_dead_lease(Backend::Postgres).await;
}

async fn waits_out_a_dead_lease(backend: Backend) {
    let h = Harness::start_with(backend, news_in("3", 600_000, 20), |_, options| {
        options.instance_id = "backfill-1".into();
        options.lease_ttl = std::time::Duration::from_secs(60);
        options.backfill_lease_wait = std::time::Duration::from_secs(30);
    })
    .await;
    let store = h.db.store.clone();
    // A live instance polled the section and scheduled its next poll ...
    let now = Utc::now();
    assert!(store
        .claim_section("shpt", SECTION, LIVE, now, now + TimeDelta::minutes(10))
        .await
        .expect("store"));
    let next_poll = now + TimeDelta::minutes(15);
    assert!(store
        .release_section("shpt", SECTION, LIVE, Some(next_poll), now)
        .await
        .expect("store"));
    let scheduled = store
        .section_lease("shpt", SECTION)
        .await
        .expect("store")
        .expect("a lease")
        .next_poll_at;
    // ... and another took it and died, its lease running out shortly.
    let now = Utc::now();
    assert!(store
        .hold_section(
            "shpt",
            SECTION,
            "dead-instance",
            now,
            now + TimeDelta::milliseconds(300)
        )
        .await
        .expect("store"));

    let observed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&observed);
    let look = store.clone();
    let report = h
        .crawler
        .backfill(
            SECTION,
            None,
            None,
            move |p: &BackfillProgress| {
                // While the walk runs, the lease is the backfill's and a
                // live poll cannot take the section.
                let (holder, live_claimed) = tokio::task::block_in_place(|| {
                    tokio::runtime::Handle::current().block_on(async {
                        let lease = look
                            .section_lease("shpt", SECTION)
                            .await
                            .expect("store")
                            .expect("a lease");
                        let now = Utc::now();
                        let claimed = look
                            .hold_section("shpt", SECTION, LIVE, now, now + TimeDelta::minutes(1))
                            .await
                            .expect("store");
                        (lease.holder, claimed)
                    })
                });
                seen.lock().unwrap().push((p.page, holder, live_claimed));
            },
            &CancellationToken::new(),
        )
        .await
        .expect("the backfill runs once the dead lease expires");

    assert!(report.completed, "{report:?}");
    assert_eq!(report.delivered, 20, "{report:?}");
    let observed = observed.lock().unwrap().clone();
    assert!(!observed.is_empty());
    for (page, holder, live_claimed) in &observed {
        assert_eq!(holder.as_deref(), Some("backfill-1"), "page {page}");
        assert!(!live_claimed, "page {page}: a live instance took the lease");
    }
    let lease = store
        .section_lease("shpt", SECTION)
        .await
        .expect("store")
        .expect("a lease");
    assert_eq!(lease.holder, None, "the lease is given back");
    assert_eq!(
        lease.next_poll_at, scheduled,
        "the live polls' schedule is kept"
    );
    h.db.cleanup().await;
}

#[tokio::test]
async fn a_backfill_cancelled_while_waiting_for_a_lease_walks_nothing() {
    let h = Harness::start_with(Backend::Sqlite, news_in("3", 600_000, 20), |_, options| {
        options.instance_id = "backfill-1".into();
        options.backfill_lease_wait = std::time::Duration::from_secs(600);
    })
    .await;
    let now = Utc::now();
    assert!(h
        .db
        .store
        .claim_section("shpt", SECTION, LIVE, now, now + TimeDelta::minutes(10))
        .await
        .expect("store"));
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let crawler = std::sync::Arc::clone(&h.crawler);
    let run =
        tokio::spawn(async move { crawler.backfill(SECTION, None, None, |_| {}, &cancel).await });
    stop.cancel();
    let report = tokio::time::timeout(std::time::Duration::from_secs(10), run)
        .await
        .expect("a cancelled wait ends promptly")
        .expect("the task")
        .expect("a cancelled wait is not an error");

    assert_eq!(report.stopped_because, StopReason::Cancelled);
    assert!(!report.completed);
    assert_eq!(report.pages, 0);
    assert!(h.portal.requests().is_empty(), "{:?}", h.portal.requests());
}
