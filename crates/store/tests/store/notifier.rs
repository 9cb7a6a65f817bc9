//! The notifier's transaction: lookups, versions, URLs, items, outbox.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use govwire_model::event::EventType;
use govwire_store::testing::TestDb;
use govwire_store::{Decision, Store, StoreError};

use crate::support::{
    decide, keys_for, on_both_backends, outbox_event, real_reply, reply_numbered,
};

on_both_backends!(
    a_first_sighting_records_a_new_reply_with_its_published_event,
    the_same_content_again_writes_nothing,
    a_changed_reply_becomes_version_2_and_both_versions_stay_queryable,
    a_known_doc_number_at_another_item_finds_the_same_reply,
    title_addressee_signatory_and_date_find_a_reply_without_doc_number,
    a_reply_missing_one_signature_field_is_not_matched_by_signature,
    a_new_version_with_the_wrong_number_writes_nothing,
    a_decision_naming_an_unknown_reply_writes_nothing,
    outbox_events_leave_pending_once_marked_published,
    concurrent_first_sightings_of_one_reply_end_with_one_reply,
    a_corrupt_stored_record_is_a_corrupt_error,
);

const URL_A: &str = "https://www.shpt.gov.cn/zhengwu/zdgkml-qzfwj/2022/188/150001.html";
const URL_B: &str = "https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2021/90/180002.html";

async fn a_first_sighting_records_a_new_reply_with_its_published_event(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    let now = Utc::now();

    let mut saw_known = None;
    let decide_new = decide(&keys, &parsed, now);
    let decision = db
        .store
        .apply_reply(&keys, |known| {
            saw_known = Some(known.is_some());
            decide_new(known)
        })
        .await
        .unwrap();
    assert_eq!(
        saw_known,
        Some(false),
        "nothing is known before the first sighting"
    );

    let id = "shpt:普府〔2022〕55号";
    assert_eq!(decision.reply_id.as_deref(), Some(id));
    let known = db
        .store
        .known_reply(id)
        .await
        .unwrap()
        .expect("the reply is recorded");
    assert_eq!(known.version, 1);
    assert_eq!(known.content_sha256, parsed.compute_content_sha256());
    assert_eq!(known.urls, [URL_A]);
    assert_eq!(known.item_ids, ["150001"]);
    assert_eq!(known.record.id, id);
    assert_eq!(known.record.version, 1);
    assert_eq!(known.record.body, parsed.body);
    assert_eq!(
        db.store
            .reply_version(id, 1)
            .await
            .unwrap()
            .map(|r| r.version),
        Some(1)
    );

    let pending = db.store.pending_outbox(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].event_type, "govwire.reply.published");
    assert_eq!(pending[0].routing_key, "shpt.reply.published");
    assert_eq!(pending[0].created_at, now);
    assert_eq!(pending[0], decision.events[0]);
}

async fn the_same_content_again_writes_nothing(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&keys, decide(&keys, &parsed, Utc::now()))
        .await
        .unwrap();
    let before = db.all_counts().await;
    let known_before = db.store.known_reply("shpt:普府〔2022〕55号").await.unwrap();

    let decision = db
        .store
        .apply_reply(&keys, decide(&keys, &parsed, Utc::now()))
        .await
        .unwrap();

    assert_eq!(decision.new_version, None);
    assert_eq!(decision.add_url, None);
    assert_eq!(decision.map_item_id, None);
    assert!(decision.events.is_empty());
    assert_eq!(db.all_counts().await, before);
    assert_eq!(
        db.store.known_reply("shpt:普府〔2022〕55号").await.unwrap(),
        known_before
    );
}

async fn a_changed_reply_becomes_version_2_and_both_versions_stay_queryable(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&keys, decide(&keys, &parsed, Utc::now()))
        .await
        .unwrap();

    let mut edited = parsed.clone();
    edited.cc.pop();
    let decision = db
        .store
        .apply_reply(&keys, decide(&keys, &edited, Utc::now()))
        .await
        .unwrap();
    assert_eq!(decision.new_version.as_ref().map(|r| r.version), Some(2));

    let id = "shpt:普府〔2022〕55号";
    let known = db.store.known_reply(id).await.unwrap().unwrap();
    assert_eq!(known.version, 2);
    assert_eq!(known.content_sha256, edited.compute_content_sha256());
    assert_eq!(known.record.cc, edited.cc);
    assert_eq!(known.item_ids, ["150001"], "the item is mapped once");

    let v1 = db.store.reply_version(id, 1).await.unwrap().unwrap();
    let v2 = db.store.reply_version(id, 2).await.unwrap().unwrap();
    assert_eq!(v1.cc, parsed.cc);
    assert_eq!(v2.cc, edited.cc);
    assert_eq!(db.store.reply_version(id, 3).await.unwrap(), None);
    assert_eq!(db.count_rows("reply_versions").await, 2);

    let types: Vec<String> = db
        .store
        .pending_outbox(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["govwire.reply.published", "govwire.reply.updated"]);
}

async fn a_known_doc_number_at_another_item_finds_the_same_reply(db: &TestDb) {
    let parsed = real_reply();
    let first = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&first, decide(&first, &parsed, Utc::now()))
        .await
        .unwrap();

    // Republished at another URL under another item id; only the doc number
    // ties it to the known reply.
    let mut second = keys_for(&parsed, "180002", URL_B);
    second.title = None;
    let mut found = None;
    let decide_again = decide(&second, &parsed, Utc::now());
    let decision = db
        .store
        .apply_reply(&second, |known| {
            found = known.as_ref().map(|k| k.id.clone());
            decide_again(known)
        })
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some("shpt:普府〔2022〕55号"));
    assert_eq!(decision.new_version, None);
    assert_eq!(decision.add_url.as_deref(), Some(URL_B));
    assert_eq!(decision.map_item_id.as_deref(), Some("180002"));

    let known = db
        .store
        .known_reply("shpt:普府〔2022〕55号")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(known.version, 1);
    assert_eq!(known.urls, [URL_A, URL_B], "first seen first");
    assert_eq!(known.record.urls, known.urls);
    let mut items = known.item_ids.clone();
    items.sort();
    assert_eq!(items, ["150001", "180002"]);
    assert_eq!(db.count_rows("replies").await, 1);
    assert_eq!(
        db.count_rows("outbox").await,
        1,
        "no second published event"
    );

    // The mapping now finds it even without a doc number.
    let mut by_item = keys_for(&parsed, "180002", URL_B);
    by_item.doc_number = None;
    by_item.title = None;
    let mut found = None;
    db.store
        .apply_reply(&by_item, |known| {
            found = known.map(|k| k.id);
            Decision::default()
        })
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some("shpt:普府〔2022〕55号"));
}

async fn title_addressee_signatory_and_date_find_a_reply_without_doc_number(db: &TestDb) {
    let mut parsed = real_reply();
    parsed.doc_number = None;
    parsed.content_sha256 = parsed.compute_content_sha256();
    let first = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&first, decide(&first, &parsed, Utc::now()))
        .await
        .unwrap();
    let id = "shpt:150001";
    assert!(db.store.known_reply(id).await.unwrap().is_some());

    let second = keys_for(&parsed, "180002", URL_B);
    let mut found = None;
    let decide_again = decide(&second, &parsed, Utc::now());
    let decision = db
        .store
        .apply_reply(&second, |known| {
            found = known.as_ref().map(|k| k.id.clone());
            decide_again(known)
        })
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some(id));
    assert_eq!(decision.add_url.as_deref(), Some(URL_B));
    let known = db.store.known_reply(id).await.unwrap().unwrap();
    assert_eq!(known.urls, [URL_A, URL_B]);
    assert_eq!(db.count_rows("replies").await, 1);
}

async fn a_reply_missing_one_signature_field_is_not_matched_by_signature(db: &TestDb) {
    let mut parsed = real_reply();
    parsed.doc_number = None;
    let first = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&first, decide(&first, &parsed, Utc::now()))
        .await
        .unwrap();

    let mut second = keys_for(&parsed, "180002", URL_B);
    second.signed_on = None;
    let mut found = Some(true);
    db.store
        .apply_reply(&second, |known| {
            found = Some(known.is_some());
            Decision::default()
        })
        .await
        .unwrap();
    assert_eq!(found, Some(false));

    let mut other_date = keys_for(&parsed, "180003", URL_B);
    other_date.signed_on = chrono::NaiveDate::from_ymd_opt(2022, 8, 9);
    db.store
        .apply_reply(&other_date, |known| {
            found = Some(known.is_some());
            Decision::default()
        })
        .await
        .unwrap();
    assert_eq!(found, Some(false));
}

async fn a_new_version_with_the_wrong_number_writes_nothing(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    let decide_new = decide(&keys, &parsed, Utc::now());
    let before = db.all_counts().await;

    let error = db
        .store
        .apply_reply(&keys, |known| {
            let mut decision = decide_new(known);
            if let Some(r) = decision.new_version.as_mut() {
                r.version = 2;
            }
            decision
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");
    assert!(!error.is_transient());
    assert_eq!(db.all_counts().await, before, "the transaction rolled back");
}

async fn a_decision_naming_an_unknown_reply_writes_nothing(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    let before = db.all_counts().await;
    let event = outbox_event(EventType::ReplyPublished, &parsed, None, Utc::now());

    let error = db
        .store
        .apply_reply(&keys, |_| Decision {
            reply_id: Some("shpt:nowhere".into()),
            new_version: None,
            add_url: Some(URL_A.into()),
            map_item_id: None,
            events: vec![event],
        })
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");
    assert_eq!(db.all_counts().await, before);
}

async fn outbox_events_leave_pending_once_marked_published(db: &TestDb) {
    let t0 = Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap();
    let mut ids = Vec::new();
    for n in 1..=3 {
        let parsed = reply_numbered(n);
        let keys = keys_for(&parsed, &format!("1500{n:02}"), &format!("{URL_A}?n={n}"));
        let decision = db
            .store
            .apply_reply(
                &keys,
                decide(&keys, &parsed, t0 + Duration::seconds(i64::from(n))),
            )
            .await
            .unwrap();
        ids.push(decision.events[0].event_id.clone());
    }

    let pending = db.store.pending_outbox(10).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|e| e.event_id.clone())
            .collect::<Vec<_>>(),
        ids,
        "oldest first"
    );
    assert_eq!(db.store.pending_outbox(2).await.unwrap().len(), 2);

    let published_at = t0 + Duration::minutes(1);
    db.store
        .mark_outbox_published(&ids[0], published_at)
        .await
        .unwrap();
    // Marking twice is harmless.
    db.store
        .mark_outbox_published(&ids[0], published_at)
        .await
        .unwrap();

    let pending: Vec<String> = db
        .store
        .pending_outbox(10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(pending, ids[1..]);

    let error = db
        .store
        .mark_outbox_published("no-such-event", published_at)
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::UnknownOutboxEvent(_)),
        "{error:?}"
    );

    // Pruning removes only what was published before the cut-off.
    assert_eq!(
        db.store
            .prune_published_outbox(published_at + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(db.count_rows("outbox").await, 2);
    assert_eq!(db.store.pending_outbox(10).await.unwrap().len(), 2);
}

async fn concurrent_first_sightings_of_one_reply_end_with_one_reply(db: &TestDb) {
    // A second store on the same database: a second notifier process.
    let other = Store::connect(&db.url).await.unwrap();
    const ROUNDS: u32 = 8;
    for round in 0..ROUNDS {
        let parsed = reply_numbered(100 + round);
        // Same document at two items, handled by two notifiers at once.
        let keys_a = keys_for(&parsed, &format!("a{round}"), &format!("{URL_A}?a={round}"));
        let keys_b = keys_for(&parsed, &format!("b{round}"), &format!("{URL_B}?b={round}"));
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let now = Utc::now();
        let run =
            |store: Store, keys: govwire_store::ReplyKeys, barrier: Arc<tokio::sync::Barrier>| {
                let parsed = parsed.clone();
                tokio::spawn(async move {
                    let decide = decide(&keys, &parsed, now);
                    barrier.wait().await;
                    store.apply_reply(&keys, decide).await
                })
            };
        let a = run(db.store.clone(), keys_a, barrier.clone());
        let b = run(other.clone(), keys_b, barrier);
        let results = [a.await.unwrap(), b.await.unwrap()];

        let winners = results
            .iter()
            .filter(|r| matches!(r, Ok(d) if d.new_version.is_some()))
            .count();
        assert_eq!(
            winners, 1,
            "exactly one notifier records the reply: {results:?}"
        );
        // Apply_reply is serialized per portal, so the loser does not even
        // fail: it sees the winner's reply and only adds its URL and item.
        let loser = results
            .iter()
            .find_map(|r| match r {
                Ok(d) if d.new_version.is_none() => Some(d),
                _ => None,
            })
            .unwrap_or_else(|| panic!("the loser sees the winner: {results:?}"));
        assert_eq!(loser.reply_id.as_deref(), Some(parsed.id.as_str()));
        assert!(loser.add_url.is_some() && loser.events.is_empty());
        let known = db.store.known_reply(&parsed.id).await.unwrap();
        assert_eq!(
            known.map(|k| k.version),
            Some(1),
            "{} {results:?}",
            parsed.id
        );
    }
    assert_eq!(db.count_rows("replies").await, u64::from(ROUNDS));
    assert_eq!(db.count_rows("reply_versions").await, u64::from(ROUNDS));
    assert_eq!(db.count_rows("outbox").await, u64::from(ROUNDS));
    other.close().await;
}

async fn a_corrupt_stored_record_is_a_corrupt_error(db: &TestDb) {
    let parsed = real_reply();
    let keys = keys_for(&parsed, "150001", URL_A);
    db.store
        .apply_reply(&keys, decide(&keys, &parsed, Utc::now()))
        .await
        .unwrap();
    crate::connect::raw_execute(db, "UPDATE replies SET record = '{\"id\": 1'").await;

    let error = db
        .store
        .known_reply("shpt:普府〔2022〕55号")
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    assert!(!error.is_transient());
    let error = db
        .store
        .apply_reply(&keys, decide(&keys, &parsed, Utc::now()))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
}
