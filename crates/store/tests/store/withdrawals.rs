//! Withdrawal evidence and the transaction that records a reply withdrawn or
//! restored with its event.

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_model::event::ReplyEvent;
use govwire_store::testing::TestDb;
use govwire_store::{CrawlItem, OutboxEvent, ReplyStatusChange, StoreError};

use crate::support::{decide, keys_for, on_both_backends, real_reply};

on_both_backends!(
    a_missing_item_of_a_reply_is_watched_from_the_sweep_that_first_saw_it,
    a_miss_run_that_ended_between_sweeps_starts_again,
    a_withdrawal_is_recorded_with_its_event_once,
    a_withdrawn_reply_is_watched_again_once_its_page_is_served_and_restored,
    a_reply_still_served_at_a_second_item_is_watched_with_both_items,
    an_item_that_shows_no_reply_is_not_watched,
);

const URL: &str = "https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2022/188/204477.html";

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn crawl_item(item_id: &str, status: u16, misses: u32) -> CrawlItem {
    CrawlItem {
        portal: "shpt".into(),
        section: "3".into(),
        item_id: item_id.into(),
        url: format!("https://www.shpt.gov.cn/zhengwu/x/2022/188/{item_id}.html"),
        title: None,
        published_on: None,
        etag: None,
        last_modified: None,
        body_sha256: Some("abc".into()),
        first_seen_at: at(0),
        last_fetched_at: Some(at(0)),
        last_changed_at: Some(at(0)),
        next_visit_at: Some(at(60)),
        last_status: Some(status),
        consecutive_missing: misses,
    }
}

/// Records the real reply as seen at `item_id`; returns its id.
async fn reply_at(db: &TestDb, item_id: &str) -> String {
    let reply = real_reply();
    let keys = keys_for(&reply, item_id, &format!("{URL}?{item_id}"));
    let decision = db
        .store
        .apply_reply(&keys, decide(&keys, &reply, at(0)))
        .await
        .unwrap();
    decision.reply_id.unwrap()
}

fn withdrawn_event(record: &govwire_model::Reply, before: u32, now: DateTime<Utc>) -> OutboxEvent {
    let event = ReplyEvent::withdrawn(record.clone(), "gone", before, now);
    OutboxEvent {
        event_id: event.id.to_string(),
        event_type: event.event_type.clone(),
        routing_key: event.routing_key(),
        body: serde_json::to_vec(&event).unwrap(),
        created_at: now,
    }
}

fn restored_event(record: &govwire_model::Reply, before: u32, now: DateTime<Utc>) -> OutboxEvent {
    let event = ReplyEvent::restored(record.clone(), before, now);
    OutboxEvent {
        event_id: event.id.to_string(),
        event_type: event.event_type.clone(),
        routing_key: event.routing_key(),
        body: serde_json::to_vec(&event).unwrap(),
        created_at: now,
    }
}

async fn a_missing_item_of_a_reply_is_watched_from_the_sweep_that_first_saw_it(db: &TestDb) {
    let id = reply_at(db, "204477").await;
    db.store
        .upsert_crawl_item(&crawl_item("204477", 200, 0))
        .await
        .unwrap();
    assert!(
        db.store.withdrawal_watch(at(1)).await.unwrap().is_empty(),
        "a served page is not watched"
    );

    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 1))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(2)).await.unwrap();
    assert_eq!(watch.len(), 1);
    assert_eq!(watch[0].reply_id, id);
    assert!(!watch[0].is_withdrawn());
    assert_eq!(watch[0].withdrawals, 0);
    let item = &watch[0].items[0];
    assert!(item.crawled);
    assert_eq!(item.last_status, Some(404));
    assert_eq!(item.consecutive_missing, 1);
    assert_eq!(item.missing_since, Some(at(2)));

    // The run goes on: its start stays where it was first seen.
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 3))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(30)).await.unwrap();
    assert_eq!(watch[0].items[0].consecutive_missing, 3);
    assert_eq!(watch[0].items[0].missing_since, Some(at(2)));

    // A 5xx keeps the count: the run is not over, and not longer either.
    db.store
        .upsert_crawl_item(&crawl_item("204477", 503, 3))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(40)).await.unwrap();
    assert_eq!(watch[0].items[0].last_status, Some(503));
    assert_eq!(watch[0].items[0].missing_since, Some(at(2)));

    // Served again: the run ends and the reply is no longer watched.
    db.store
        .upsert_crawl_item(&crawl_item("204477", 304, 0))
        .await
        .unwrap();
    assert!(db.store.withdrawal_watch(at(50)).await.unwrap().is_empty());
}

async fn a_miss_run_that_ended_between_sweeps_starts_again(db: &TestDb) {
    reply_at(db, "204477").await;
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 3))
        .await
        .unwrap();
    db.store.withdrawal_watch(at(1)).await.unwrap();
    // Between two sweeps the page came back and went again: the count
    // dropped, so this is a new run.
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 1))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(10)).await.unwrap();
    assert_eq!(watch[0].items[0].missing_since, Some(at(10)));
}

async fn a_withdrawal_is_recorded_with_its_event_once(db: &TestDb) {
    let id = reply_at(db, "204477").await;
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 3))
        .await
        .unwrap();
    db.store.withdrawal_watch(at(1)).await.unwrap();
    let outbox_before = db.count_rows("outbox").await;

    // A decision that finds nothing to change writes nothing.
    let none = db
        .store
        .apply_reply_status(&id, at(2), |_, _| None)
        .await
        .unwrap();
    assert_eq!(none, None);
    assert_eq!(db.count_rows("outbox").await, outbox_before);

    let change = db
        .store
        .apply_reply_status(&id, at(3), |watch, record| {
            assert_eq!(watch.items[0].consecutive_missing, 3, "fresh evidence");
            assert_eq!(record.id, watch.reply_id);
            assert_eq!(record.version, 1);
            assert_eq!(record.urls.len(), 1, "the record comes with its URLs");
            Some(ReplyStatusChange::Withdrawn {
                reason: "gone".into(),
                event: withdrawn_event(record, watch.withdrawals, at(3)),
            })
        })
        .await
        .unwrap();
    assert!(matches!(change, Some(ReplyStatusChange::Withdrawn { .. })));
    let status = db.store.reply_status(&id).await.unwrap().unwrap();
    assert_eq!(status.withdrawn_at, Some(at(3)));
    assert_eq!(status.withdrawn_reason.as_deref(), Some("gone"));
    assert_eq!(status.withdrawals, 1);
    let pending = db.store.pending_outbox(10).await.unwrap();
    let queued: Vec<_> = pending
        .iter()
        .filter(|e| e.event_type == "govwire.reply.withdrawn")
        .collect();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].routing_key, "shpt.reply.withdrawn");

    // Withdrawing it again is refused, and nothing is written.
    let counts = db.all_counts().await;
    let again = db
        .store
        .apply_reply_status(&id, at(4), |watch, record| {
            Some(ReplyStatusChange::Withdrawn {
                reason: "gone again".into(),
                event: withdrawn_event(record, watch.withdrawals, at(4)),
            })
        })
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");
    assert_eq!(db.all_counts().await, counts);
    let status = db.store.reply_status(&id).await.unwrap().unwrap();
    assert_eq!(status.withdrawals, 1);
    assert_eq!(status.withdrawn_reason.as_deref(), Some("gone"));
}

async fn a_withdrawn_reply_is_watched_again_once_its_page_is_served_and_restored(db: &TestDb) {
    let id = reply_at(db, "204477").await;
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 3))
        .await
        .unwrap();
    db.store.withdrawal_watch(at(1)).await.unwrap();
    db.store
        .apply_reply_status(&id, at(2), |watch, record| {
            Some(ReplyStatusChange::Withdrawn {
                reason: "gone".into(),
                event: withdrawn_event(record, watch.withdrawals, at(2)),
            })
        })
        .await
        .unwrap();
    assert!(
        db.store.withdrawal_watch(at(3)).await.unwrap().is_empty(),
        "a withdrawn reply still gone needs no look"
    );

    db.store
        .upsert_crawl_item(&crawl_item("204477", 200, 0))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(4)).await.unwrap();
    assert_eq!(watch.len(), 1);
    assert!(watch[0].is_withdrawn());
    assert_eq!(watch[0].withdrawals, 1);

    let restored = db
        .store
        .apply_reply_status(&id, at(5), |watch, record| {
            Some(ReplyStatusChange::Restored {
                event: restored_event(record, watch.withdrawals, at(5)),
            })
        })
        .await
        .unwrap();
    assert!(matches!(restored, Some(ReplyStatusChange::Restored { .. })));
    let status = db.store.reply_status(&id).await.unwrap().unwrap();
    assert_eq!(status.withdrawn_at, None);
    assert_eq!(status.withdrawn_reason, None);
    assert_eq!(status.withdrawals, 1, "the count of withdrawals stays");
    assert!(db.store.withdrawal_watch(at(6)).await.unwrap().is_empty());
    let types: Vec<String> = db
        .store
        .pending_outbox(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        vec![
            "govwire.reply.published",
            "govwire.reply.withdrawn",
            "govwire.reply.restored"
        ]
    );

    // Restoring a reply that is not withdrawn is refused.
    let again = db
        .store
        .apply_reply_status(&id, at(7), |watch, record| {
            Some(ReplyStatusChange::Restored {
                event: restored_event(record, watch.withdrawals, at(7)),
            })
        })
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");
}

async fn a_reply_still_served_at_a_second_item_is_watched_with_both_items(db: &TestDb) {
    let first = reply_at(db, "204477").await;
    let second = reply_at(db, "300001").await;
    assert_eq!(first, second, "one reply at two items");
    db.store
        .upsert_crawl_item(&crawl_item("204477", 404, 2))
        .await
        .unwrap();
    db.store
        .upsert_crawl_item(&crawl_item("300001", 200, 0))
        .await
        .unwrap();
    let watch = db.store.withdrawal_watch(at(1)).await.unwrap();
    assert_eq!(watch.len(), 1);
    let items: Vec<(&str, Option<u16>)> = watch[0]
        .items
        .iter()
        .map(|i| (i.item_id.as_str(), i.last_status))
        .collect();
    assert_eq!(items, vec![("204477", Some(404)), ("300001", Some(200))]);
    assert_eq!(watch[0].items[1].missing_since, None);
}

async fn an_item_that_shows_no_reply_is_not_watched(db: &TestDb) {
    db.store
        .upsert_crawl_item(&crawl_item("999", 404, 5))
        .await
        .unwrap();
    assert!(db.store.withdrawal_watch(at(1)).await.unwrap().is_empty());
    assert_eq!(db.store.reply_status("shpt:nothing").await.unwrap(), None);
    let none = db
        .store
        .apply_reply_status("shpt:nothing", at(2), |_, _| {
            panic!("no decision for an unknown reply")
        })
        .await
        .unwrap();
    assert_eq!(none, None);
}
