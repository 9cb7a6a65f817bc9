//! Backfill: a section's whole history through the same dedup path as
//! polls, resumable after an interruption, limited to a date range.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use govwire_crawler::{BackfillProgress, StopReason};
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
