//! A list that moves while it is walked: a reply withdrawn above the page
//! being read moves every later entry up one place, so the first entry of
//! the next page slides onto the page already read. A walk reads that page
//! again and misses nothing.

use std::collections::BTreeSet;

use govwire_crawler::StopReason;
use tokio_util::sync::CancellationToken;

use crate::support::{ids_of, news_in, Backend, Harness, HTML_COLUMN};

/// The JSON section of channel 3 (15 entries a page).
const JSON_SECTION: &str = "district-gov-docs";

/// The HTML list section (10 rows a page).
const HTML_SECTION: &str = "cppcc-proposal-replies";

/// A harness serving `n` items in `channel` and nothing else, whose portal
/// withdraws the item delivered `nth` (which the walk took from a list page
/// it has read) the moment it is delivered.
async fn withdrawing(
    channel: &str,
    n: u32,
    nth: usize,
) -> (Harness, std::sync::Arc<std::sync::Mutex<Option<String>>>) {
    let h = Harness::start_with(
        Backend::Sqlite,
        news_in(channel, 700_000, n),
        |profile, _| {
            for section in &mut profile.sections {
                section.max_pages = 100;
            }
        },
    )
    .await;
    let withdrawn = std::sync::Arc::new(std::sync::Mutex::new(None));
    let (portal, record) = (h.portal.clone(), std::sync::Arc::clone(&withdrawn));
    h.sink.on_delivery(move |page, delivered| {
        if delivered == nth {
            assert!(portal.remove(&page.item_id), "{} is served", page.item_id);
            *record.lock().expect("lock") = Some(page.item_id.clone());
        }
    });
    (h, withdrawn)
}

/// Asserts that every item still served, and the withdrawn one (delivered
/// before it went), were delivered exactly once.
fn assert_each_once(h: &Harness, channel: &str, withdrawn: &std::sync::Mutex<Option<String>>) {
    let withdrawn = withdrawn
        .lock()
        .expect("lock")
        .clone()
        .expect("an item was withdrawn during the walk");
    let mut expected = h.served_ids(channel);
    expected.push(withdrawn);
    expected.sort();
    let delivered = ids_of(&h.sink.pages());
    let missed: BTreeSet<&String> = expected
        .iter()
        .filter(|id| !delivered.contains(id))
        .collect();
    assert!(missed.is_empty(), "never delivered: {missed:?}");
    assert_eq!(delivered, expected, "each item once");
}

#[tokio::test]
async fn a_first_walk_takes_the_entry_that_slid_onto_a_page_it_had_read() {
    // 40 entries: pages of 15, 15 and 10. While page 1's items are fetched
    // one of them is withdrawn, and the first entry of page 2 slides onto
    // page 1.
    let (h, withdrawn) = withdrawing("3", 40, 1).await;

    let report = h.crawler.poll_section(JSON_SECTION).await.expect("poll");

    assert_each_once(&h, "3", &withdrawn);
    assert_eq!(report.delivered, 40, "{report:?}");
    assert!(report.list_rereads >= 1, "{report:?}");
}

#[tokio::test]
async fn an_entry_that_slid_off_the_last_page_of_an_html_list_is_taken() {
    // 21 rows: pages of 10, 10 and 1. While page 2's items are fetched one
    // of them is withdrawn; the only entry of page 3 slides onto page 2,
    // and page 3 is gone when the walk asks for it.
    let (h, withdrawn) = withdrawing(HTML_COLUMN, 21, 11).await;

    let report = h.crawler.poll_section(HTML_SECTION).await.expect("poll");

    assert_each_once(&h, HTML_COLUMN, &withdrawn);
    assert_eq!(report.delivered, 21, "{report:?}");
    assert_eq!(report.stopped_because, StopReason::LastPage, "{report:?}");
}

#[tokio::test]
async fn a_backfill_takes_the_entry_that_slid_onto_a_page_it_had_read() {
    let (h, withdrawn) = withdrawing("3", 40, 20).await;

    let report = h
        .crawler
        .backfill(JSON_SECTION, None, None, |_| {}, &CancellationToken::new())
        .await
        .expect("backfill");

    assert!(report.completed, "{report:?}");
    assert_each_once(&h, "3", &withdrawn);
    assert_eq!(report.delivered, 40, "{report:?}");
    assert!(report.rereads >= 1, "{report:?}");
}

#[tokio::test]
async fn a_walk_among_known_items_reads_no_page_twice() {
    let h = Harness::start_with(Backend::Sqlite, news_in("3", 700_000, 40), |profile, _| {
        for section in &mut profile.sections {
            section.max_pages = 100;
            section.overlap_pages = 2;
        }
    })
    .await;
    h.crawler
        .poll_section(JSON_SECTION)
        .await
        .expect("first poll");

    let again = h
        .crawler
        .poll_section(JSON_SECTION)
        .await
        .expect("second poll");

    assert_eq!(again.new_items, 0, "{again:?}");
    assert_eq!(
        again.list_pages, 3,
        "a page of known items and two more: {again:?}"
    );
    assert_eq!(again.list_rereads, 0, "{again:?}");
}
