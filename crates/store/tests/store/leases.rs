//! Section leases and backfill cursors.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use govwire_store::testing::TestDb;
use govwire_store::BackfillCursor;

use crate::support::on_both_backends;

on_both_backends!(
    a_free_due_section_is_claimed_by_one_holder_only,
    an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew_it,
    a_released_section_is_not_due_again_before_its_next_poll,
    backfill_cursors_round_trip_per_date_range,
);

fn at(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(m)
}

async fn a_free_due_section_is_claimed_by_one_holder_only(db: &TestDb) {
    let s = &db.store;
    assert!(s
        .claim_section("shpt", "a", "one", at(0), at(10))
        .await
        .unwrap());
    assert!(!s
        .claim_section("shpt", "a", "two", at(1), at(11))
        .await
        .unwrap());
    assert!(
        s.claim_section("shpt", "a", "one", at(1), at(11))
            .await
            .unwrap(),
        "the holder may claim again (a renewal)"
    );
    assert!(s
        .claim_section("shpt", "b", "two", at(1), at(11))
        .await
        .unwrap());
    let lease = s.section_lease("shpt", "a").await.unwrap().expect("row");
    assert_eq!(lease.holder.as_deref(), Some("one"));
    assert_eq!(lease.expires_at, Some(at(11)));
    assert_eq!(s.section_leases("shpt").await.unwrap().len(), 2);
}

async fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew_it(db: &TestDb) {
    let s = &db.store;
    assert!(s
        .claim_section("shpt", "a", "dead", at(0), at(5))
        .await
        .unwrap());
    assert!(!s
        .claim_section("shpt", "a", "alive", at(4), at(14))
        .await
        .unwrap());
    assert!(s
        .claim_section("shpt", "a", "alive", at(5), at(15))
        .await
        .unwrap());
    assert!(!s
        .renew_section_lease("shpt", "a", "dead", at(6), at(16))
        .await
        .unwrap());
    assert!(!s
        .release_section("shpt", "a", "dead", Some(at(99)), at(6))
        .await
        .unwrap());
    assert!(s
        .renew_section_lease("shpt", "a", "alive", at(6), at(20))
        .await
        .unwrap());
    let lease = s.section_lease("shpt", "a").await.unwrap().expect("row");
    assert_eq!(lease.holder.as_deref(), Some("alive"));
    assert_eq!(lease.expires_at, Some(at(20)));
    assert_eq!(
        lease.next_poll_at, None,
        "the dead holder's release changed nothing"
    );
}

async fn a_released_section_is_not_due_again_before_its_next_poll(db: &TestDb) {
    let s = &db.store;
    assert!(s
        .claim_section("shpt", "a", "one", at(0), at(10))
        .await
        .unwrap());
    assert!(s
        .release_section("shpt", "a", "one", Some(at(15)), at(2))
        .await
        .unwrap());
    let lease = s.section_lease("shpt", "a").await.unwrap().expect("row");
    assert_eq!((lease.holder, lease.next_poll_at), (None, Some(at(15))));
    assert!(!s
        .claim_section("shpt", "a", "two", at(14), at(24))
        .await
        .unwrap());
    assert!(!s
        .claim_section("shpt", "a", "one", at(14), at(24))
        .await
        .unwrap());
    assert!(s
        .claim_section("shpt", "a", "two", at(15), at(25))
        .await
        .unwrap());
}

async fn backfill_cursors_round_trip_per_date_range(db: &TestDb) {
    let s = &db.store;
    let since = NaiveDate::from_ymd_opt(2020, 1, 1);
    assert_eq!(
        s.backfill_cursor("shpt", "a", since, None).await.unwrap(),
        None
    );
    let mut cursor = BackfillCursor {
        portal: "shpt".into(),
        section: "a".into(),
        since,
        until: None,
        next_page: 4,
        items_seen: 45,
        new_items: 12,
        started_at: at(0),
        updated_at: at(3),
        completed_at: None,
    };
    s.save_backfill_cursor(&cursor).await.unwrap();
    assert_eq!(
        s.backfill_cursor("shpt", "a", since, None).await.unwrap(),
        Some(cursor.clone())
    );
    assert_eq!(
        s.backfill_cursor("shpt", "a", None, None).await.unwrap(),
        None,
        "another range is another backfill"
    );
    cursor.next_page = 9;
    cursor.completed_at = Some(at(7));
    cursor.updated_at = at(7);
    let restarted = BackfillCursor {
        started_at: at(6),
        ..cursor.clone()
    };
    s.save_backfill_cursor(&restarted).await.unwrap();
    assert_eq!(
        s.backfill_cursor("shpt", "a", since, None).await.unwrap(),
        Some(cursor.clone()),
        "the first start is kept"
    );
    cursor.next_page = 0;
    assert!(s.save_backfill_cursor(&cursor).await.is_err());
}
