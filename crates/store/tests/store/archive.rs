//! The archive: idempotent on event ids, versions kept in order, reads.

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_store::testing::TestDb;
use govwire_store::{ArchiveStats, StoreError};

use crate::support::{on_both_backends, real_reply, reply_numbered, versioned};

on_both_backends!(
    a_redelivered_event_changes_nothing,
    a_second_event_for_the_same_version_adds_no_version,
    the_newest_version_stays_current_whatever_the_arrival_order,
    the_list_shows_the_most_recently_updated_first_by_page_and_portal,
    a_record_without_a_version_is_refused,
    a_batch_of_events_is_archived_in_order_and_redelivery_changes_nothing,
);

const URL: &str = "https://www.shpt.gov.cn/zhengwu/zdgkml-qzfwj/2022/188/150001.html";

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

async fn a_batch_of_events_is_archived_in_order_and_redelivery_changes_nothing(db: &TestDb) {
    use govwire_store::ArchiveInput;
    let v1 = versioned(&real_reply(), 1, URL);
    let mut v2 = versioned(&real_reply(), 2, URL);
    v2.title.push_str("（修订）");
    let input = |event_id: &'static str, reply| ArchiveInput {
        event_id,
        event_type: "govwire.reply.published",
        reply,
        changes: None,
        event_time: t(0),
        received_at: t(1),
        body: None,
    };
    let batch = [input("ev-1", &v1), input("ev-2", &v2), input("ev-1", &v1)];
    let new = db.store.archive_events(&batch).await.unwrap();
    assert_eq!(
        new,
        vec![true, true, false],
        "the repeat inside the batch is not new"
    );
    let stats = db.store.archive_stats().await.unwrap();
    assert_eq!(
        stats,
        ArchiveStats {
            replies: 1,
            versions: 2,
            events: 2
        }
    );
    let archived = db.store.archive_reply(&v1.id).await.unwrap().unwrap();
    assert_eq!(archived.current.version, 2);
    // The whole batch again: nothing new, nothing changed.
    let before = db.all_counts().await;
    let again = db.store.archive_events(&batch).await.unwrap();
    assert_eq!(again, vec![false, false, false]);
    assert_eq!(db.all_counts().await, before);
    // One event that cannot be recorded refuses the batch before anything
    // is written.
    let mut nameless = versioned(&real_reply(), 3, URL);
    nameless.id = String::new().into();
    let refused = db
        .store
        .archive_events(&[input("ev-3", &v2), input("ev-4", &nameless)])
        .await;
    assert!(refused.is_err());
    assert_eq!(db.all_counts().await, before);
}

async fn a_redelivered_event_changes_nothing(db: &TestDb) {
    let v1 = versioned(&real_reply(), 1, URL);
    assert!(db
        .store
        .archive_event("ev-1", "govwire.reply.published", &v1, t(0))
        .await
        .unwrap());
    let stats = db.store.archive_stats().await.unwrap();
    assert_eq!(
        stats,
        ArchiveStats {
            replies: 1,
            versions: 1,
            events: 1
        }
    );
    let before = db.all_counts().await;

    let again = db
        .store
        .archive_event("ev-1", "govwire.reply.published", &v1, t(5))
        .await
        .unwrap();
    assert!(!again, "a redelivery is not new");
    assert_eq!(db.store.archive_stats().await.unwrap(), stats);
    assert_eq!(db.all_counts().await, before);
    let archived = db.store.archive_reply(&v1.id).await.unwrap().unwrap();
    assert_eq!(
        archived.versions[0].received_at,
        t(0),
        "the first receipt stands"
    );
}

async fn a_second_event_for_the_same_version_adds_no_version(db: &TestDb) {
    let v1 = versioned(&real_reply(), 1, URL);
    db.store
        .archive_event("ev-published", "govwire.reply.published", &v1, t(0))
        .await
        .unwrap();
    let new = db
        .store
        .archive_event("ev-withdrawn", "govwire.reply.withdrawn", &v1, t(1))
        .await
        .unwrap();
    assert!(new, "a different event is new");
    assert_eq!(
        db.store.archive_stats().await.unwrap(),
        ArchiveStats {
            replies: 1,
            versions: 1,
            events: 2
        }
    );
    let archived = db.store.archive_reply(&v1.id).await.unwrap().unwrap();
    assert_eq!(archived.versions.len(), 1);
    assert_eq!(archived.versions[0].event_id, "ev-published");
}

async fn the_newest_version_stays_current_whatever_the_arrival_order(db: &TestDb) {
    let parsed = real_reply();
    let v1 = versioned(&parsed, 1, URL);
    let mut edited = parsed.clone();
    edited.cc.pop();
    let v2 = versioned(&edited, 2, URL);
    let mut edited_again = edited.clone();
    edited_again.notes.push("另附说明".into());
    let v3 = versioned(&edited_again, 3, URL);

    // Version 2 arrives first, then 3, then the late 1.
    for (event, reply, at) in [
        ("ev-2", &v2, t(1)),
        ("ev-3", &v3, t(2)),
        ("ev-1", &v1, t(3)),
    ] {
        let kind = if reply.version == 1 {
            "govwire.reply.published"
        } else {
            "govwire.reply.updated"
        };
        assert!(db
            .store
            .archive_event(event, kind, reply, at)
            .await
            .unwrap());
    }

    let archived = db.store.archive_reply(&v1.id).await.unwrap().unwrap();
    assert_eq!(archived.current, v3);
    let versions: Vec<(u32, &str)> = archived
        .versions
        .iter()
        .map(|v| (v.version, v.event_id.as_str()))
        .collect();
    assert_eq!(versions, [(1, "ev-1"), (2, "ev-2"), (3, "ev-3")]);
    assert_eq!(archived.versions[0].event_type, "govwire.reply.published");
    assert_eq!(archived.versions[1].content_sha256, v2.content_sha256);
    assert_eq!(archived.versions[2].received_at, t(2));

    assert_eq!(
        db.store.archive_version(&v1.id, 1).await.unwrap(),
        Some(v1.clone())
    );
    assert_eq!(db.store.archive_version(&v1.id, 2).await.unwrap(), Some(v2));
    assert_eq!(db.store.archive_version(&v1.id, 4).await.unwrap(), None);

    let list = db.store.archive_list(None, 10, 0).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].current_version, 3);
    assert_eq!(list[0].first_seen_at, t(1));
    assert_eq!(
        list[0].updated_at,
        t(2),
        "the late version 1 did not touch it"
    );
}

async fn the_list_shows_the_most_recently_updated_first_by_page_and_portal(db: &TestDb) {
    let a = versioned(&reply_numbered(1), 1, URL);
    let b = versioned(&reply_numbered(2), 1, URL);
    let mut c = versioned(&reply_numbered(3), 1, URL);
    c.portal = "pudong".into();
    c.id = "pudong:普府〔2022〕3号".into();
    db.store
        .archive_event("a1", "govwire.reply.published", &a, t(0))
        .await
        .unwrap();
    db.store
        .archive_event("b1", "govwire.reply.published", &b, t(1))
        .await
        .unwrap();
    db.store
        .archive_event("c1", "govwire.reply.published", &c, t(2))
        .await
        .unwrap();
    // A newer version of `a` makes it the most recently updated.
    let mut a2 = a.clone();
    a2.cc.clear();
    let a2 = versioned(&a2, 2, URL);
    db.store
        .archive_event("a2", "govwire.reply.updated", &a2, t(3))
        .await
        .unwrap();

    let ids = |list: Vec<govwire_store::ArchivedSummary>| {
        list.into_iter().map(|s| s.reply_id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(db.store.archive_list(None, 10, 0).await.unwrap()),
        [a.id.clone(), c.id.clone(), b.id.clone()]
    );
    assert_eq!(
        ids(db.store.archive_list(None, 1, 1).await.unwrap()),
        [c.id.clone()]
    );
    assert!(db.store.archive_list(None, 10, 3).await.unwrap().is_empty());
    assert_eq!(
        ids(db.store.archive_list(Some("shpt"), 10, 0).await.unwrap()),
        [a.id.clone(), b.id.clone()]
    );

    let first = db.store.archive_list(None, 1, 0).await.unwrap().remove(0);
    assert_eq!(first.portal, "shpt");
    assert_eq!(first.title, a.title);
    assert_eq!(first.doc_number, a.doc_number);
    assert_eq!(first.current_version, 2);
    assert_eq!((first.first_seen_at, first.updated_at), (t(0), t(3)));

    assert_eq!(db.store.archive_reply("shpt:none").await.unwrap(), None);
}

async fn a_record_without_a_version_is_refused(db: &TestDb) {
    let unversioned = real_reply();
    let error = db
        .store
        .archive_event("ev-0", "govwire.reply.published", &unversioned, t(0))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error:?}");
    assert_eq!(db.store.archive_stats().await.unwrap().events, 0);
}
