//! The whole fixture corpus through analytics and the archive side by side:
//! both count the same replies, results and months, and hearing every event
//! again changes nothing.

use std::collections::BTreeMap;

use govwire_store::testing::TestDb;
use govwire_store::{Analytics, ArchiveStatus};

use crate::support::{body, corpus_events, corpus_records, on_both_backends};

on_both_backends!(
    the_corpus_counted_by_analytics_agrees_with_the_archive_and_redelivery_changes_nothing,
);

/// Counts of `key` over the archive's current records.
fn tally<K: Ord>(keys: impl IntoIterator<Item = K>) -> BTreeMap<K, u64> {
    let mut out = BTreeMap::new();
    for k in keys {
        *out.entry(k).or_insert(0) += 1;
    }
    out
}

async fn the_corpus_counted_by_analytics_agrees_with_the_archive_and_redelivery_changes_nothing(
    db: &TestDb,
) {
    let events = corpus_events();
    for event in &events {
        govwire_analytics::handle_event(&db.store, &body(event))
            .await
            .unwrap();
        govwire_archive::handle_event(&db.store, &body(event))
            .await
            .unwrap();
    }
    let analytics = db.store.analytics(1000).await.unwrap();
    let stats = db.store.archive_stats().await.unwrap();

    // The same replies and events.
    let distinct = tally(corpus_records().into_iter().map(|r| r.id.to_string())).len() as u64;
    assert!(distinct > 40, "the corpus holds {distinct} replies");
    assert_eq!(analytics.totals.replies, distinct);
    assert_eq!(analytics.totals.replies, stats.replies);
    assert_eq!(analytics.totals.events, stats.events);
    assert_eq!(analytics.totals.events, events.len() as u64);

    // The same statuses, results and months of publication, read from the
    // archive's current record of every reply.
    let archived = db.store.archive_list(None, 10_000, 0).await.unwrap();
    assert_eq!(archived.len() as u64, stats.replies);
    let withdrawn = archived
        .iter()
        .filter(|r| r.status == ArchiveStatus::Withdrawn)
        .count() as u64;
    assert_eq!(withdrawn, 1, "two withdrawn, one of them restored");
    assert_eq!(analytics.totals.withdrawn, withdrawn);
    assert_eq!(analytics.totals.active, stats.replies - withdrawn);
    let mut currents = Vec::new();
    for summary in &archived {
        let reply = db
            .store
            .archive_reply(&summary.reply_id)
            .await
            .unwrap()
            .expect("a listed reply is archived");
        currents.push(reply.current);
    }
    let archive_results = tally(currents.iter().map(|r| {
        r.handling_result
            .as_ref()
            .and_then(|h| h.category)
            .map(|c| {
                serde_json::to_value(c)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
    }));
    let analytics_results: BTreeMap<Option<String>, u64> = analytics
        .result_categories
        .iter()
        .map(|c| (c.key.clone(), c.count))
        .collect();
    assert_eq!(analytics_results, archive_results);
    assert!(archive_results.len() >= 3, "{archive_results:?}");

    let archive_months = tally(
        currents
            .iter()
            .map(|r| r.published_on.expect("dated").format("%Y-%m").to_string()),
    );
    let analytics_months: BTreeMap<String, u64> = analytics
        .published_months
        .iter()
        .map(|m| (m.month.clone(), m.count))
        .collect();
    assert_eq!(analytics_months, archive_months);
    assert_eq!(analytics.published_unknown, 0);

    // Hearing every event again (a redelivery after a restart) changes
    // nothing.
    let counts = db.all_counts().await;
    for event in &events {
        govwire_analytics::handle_event(&db.store, &body(event))
            .await
            .unwrap();
    }
    assert_eq!(db.all_counts().await, counts);
    let again: Analytics = db.store.analytics(1000).await.unwrap();
    assert_eq!(again, analytics);
}
