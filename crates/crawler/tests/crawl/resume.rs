//! Nothing lost to an interruption: a walk stopped part-way is finished by
//! the next poll, and a page handed on but never decided downstream is
//! handed on again by its next revisit.

use std::future::Future;
use std::sync::Arc;

use govwire_crawler::{Crawler, PageSink, SinkError, StopReason};
use govwire_fixture_portal::Hostile;
use govwire_model::RawPage;
use tokio_util::sync::CancellationToken;

use crate::support::{
    ids_of, news_in, shpt_profile, test_options, Backend, CollectingSink, Harness, DEADLINE,
    SECTIONS,
};

/// The JSON section the walk tests use, and its channel.
const SECTION: &str = "district-gov-docs";
const CHANNEL: &str = "3";

/// A sink that takes pages like [`CollectingSink`] and, when the
/// `after`-th page arrives, does `then`: stops the crawler as a SIGTERM in
/// the middle of a walk would, or breaks the portal.
struct StoppingSink {
    pages: Arc<CollectingSink>,
    after: usize,
    then: Box<dyn Fn() + Send + Sync>,
}

impl PageSink for StoppingSink {
    fn deliver(&self, page: RawPage) -> impl Future<Output = Result<(), SinkError>> + Send {
        let delivered = self.pages.deliver(page);
        if self.pages.len() == self.after {
            (self.then)();
        }
        delivered
    }
}

/// The section's served item ids, sorted.
fn served(h: &Harness) -> Vec<String> {
    h.served_ids(CHANNEL)
}

/// Sorted, de-duplicated ids of `pages`.
fn unique_ids(pages: &[RawPage]) -> Vec<String> {
    let mut ids = ids_of(pages);
    ids.dedup();
    ids
}

#[tokio::test]
async fn a_walk_stopped_part_way_is_finished_by_the_next_poll() {
    // Five list pages of new items (15 a page).
    let h = Harness::start_with(Backend::Sqlite, news_in(CHANNEL, 1, 75), |_, _| {}).await;
    assert_eq!(served(&h).len(), 75);

    // A crawler daemon stopped after 20 pages were handed on: in the middle
    // of the walk's second list page.
    let stop = CancellationToken::new();
    let first_pages = CollectingSink::new();
    let stopping = StoppingSink {
        pages: Arc::clone(&first_pages),
        after: 20,
        then: Box::new({
            let stop = stop.clone();
            move || stop.cancel()
        }),
    };
    let daemon = Crawler::new(
        shpt_profile(),
        h.db.store.clone(),
        stopping,
        test_options(&h.portal.base_url()),
    )
    .expect("crawler");
    tokio::time::timeout(DEADLINE, daemon.run(stop))
        .await
        .expect("the crawler stops when cancelled")
        .expect("a cancelled run is not an error");
    let before = unique_ids(&first_pages.pages());
    assert!(
        before.len() >= 20 && before.len() < 75,
        "the walk was stopped part-way: {} handed on",
        before.len()
    );
    let progress =
        h.db.store
            .walk_progress("shpt", SECTION)
            .await
            .expect("store")
            .expect("the walk is recorded");
    assert!(progress.completed_at.is_none(), "a stopped walk stays open");

    // The next poll finds page 1 full of known items, and must walk on.
    let report = h.crawler.poll_section(SECTION).await.expect("poll");
    let mut all = first_pages.pages();
    all.extend(h.sink.pages());
    assert_eq!(
        unique_ids(&all),
        served(&h),
        "every item is handed on after the restart: {report:?}"
    );
    assert_eq!(
        report.delivered as usize,
        75 - before.len(),
        "only the items not reached before are fetched: {report:?}"
    );
    let progress =
        h.db.store
            .walk_progress("shpt", SECTION)
            .await
            .expect("store")
            .expect("the walk is recorded");
    assert!(
        progress.completed_at.is_some(),
        "the resumed walk completed"
    );

    // Once a walk has completed, a page of known items ends the next one.
    let idle = h.crawler.poll_section(SECTION).await.expect("poll");
    assert_eq!(idle.stopped_because, StopReason::KnownItems, "{idle:?}");
    assert_eq!(idle.list_pages, 1, "{idle:?}");
    assert_eq!(idle.delivered, 0, "{idle:?}");
}

#[tokio::test]
async fn a_walk_ended_by_a_failing_list_page_is_resumed_past_its_known_pages() {
    let h = Harness::start_with(Backend::Postgres, news_in(CHANNEL, 1, 60), |_, _| {}).await;
    // The portal starts failing (503) after the 20th page was handed on:
    // the rest of the walk's second list page fails, and so does its third.
    let portal = h.portal.clone();
    let first_pages = CollectingSink::new();
    let failing = StoppingSink {
        pages: Arc::clone(&first_pages),
        after: 20,
        then: Box::new(move || portal.set_hostile(Hostile::ServiceUnavailable)),
    };
    let crawler = Crawler::new(
        shpt_profile(),
        h.db.store.clone(),
        failing,
        test_options(&h.portal.base_url()),
    )
    .expect("crawler");
    let failed = crawler.poll_section(SECTION).await;
    assert!(
        failed.is_err(),
        "the walk ends on the failing list page: {failed:?}"
    );
    assert_eq!(unique_ids(&first_pages.pages()).len(), 20);

    // The portal is back. Page 1 holds only known items; the next poll
    // must walk on to the pages the failed walk never read.
    h.portal.set_hostile(Hostile::Off);
    let report = h.crawler.poll_section(SECTION).await.expect("poll");
    let mut all = first_pages.pages();
    all.extend(h.sink.pages());
    let handed_on = unique_ids(&all);
    // Items whose detail page failed during the outage are known and
    // retried by the revisits; every other item is handed on now.
    h.crawler.revisit_due().await.expect("revisit");
    let mut all = first_pages.pages();
    all.extend(h.sink.pages());
    assert_eq!(
        unique_ids(&all),
        served(&h),
        "every item is handed on after the outage (by the poll: {}): {report:?}",
        handed_on.len()
    );
    assert!(
        report.list_pages >= 4,
        "the poll walked past the known pages: {report:?}"
    );
}

#[tokio::test]
async fn a_revisit_hands_on_again_a_page_whose_hand_over_was_never_decided() {
    let h = Harness::start().await;
    // A pipeline whose notifier decides nothing: every hand-over stays open.
    let undecided = CollectingSink::new();
    let crawler = Crawler::new(
        shpt_profile(),
        h.db.store.clone(),
        Arc::clone(&undecided),
        test_options(&h.portal.base_url()),
    )
    .expect("crawler");
    for (section, _) in SECTIONS {
        crawler.poll_section(section).await.expect("poll");
    }
    let pages = undecided.pages();
    assert!(pages.len() > 3);
    // The notifier then decided every page but one (as it does in the
    // decision's transaction); that one was lost downstream.
    let lost = &pages[1];
    for page in &pages {
        if page.item_id != lost.item_id {
            h.db.store
                .close_handover(&page.portal, &page.item_id, &page.body_sha256())
                .await
                .expect("store");
        }
    }
    assert_eq!(
        h.db.store
            .open_handover("shpt", &lost.item_id)
            .await
            .expect("store"),
        Some(lost.body_sha256())
    );
    h.portal.reset_requests();
    let delivered_before = undecided.len();

    let report = crawler.revisit_due().await.expect("revisit");

    let again = undecided.pages_since(delivered_before);
    assert_eq!(
        ids_of(&again),
        vec![lost.item_id.clone()],
        "only the undecided page is handed on again: {report:?}"
    );
    assert_eq!(again[0].body, lost.body, "the same bytes, handed on again");
    let detail_path = url::Url::parse(&lost.url).expect("url").path().to_owned();
    let asked: Vec<_> = h
        .portal
        .requests()
        .into_iter()
        .filter(|r| r.path == detail_path)
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert!(
        !asked[0].conditional,
        "the undecided page is fetched without validators"
    );
    assert!(
        report.not_modified > 0,
        "decided pages are still revisited conditionally: {report:?}"
    );

    // Once decided, the next revisit is conditional again and hands nothing on.
    h.db.store
        .close_handover("shpt", &lost.item_id, &lost.body_sha256())
        .await
        .expect("store");
    let quiet = crawler.revisit_due().await.expect("revisit");
    assert_eq!(quiet.delivered, 0, "{quiet:?}");
}
