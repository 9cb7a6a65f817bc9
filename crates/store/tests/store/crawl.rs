//! Crawler state: validators, crawl items, known items, revisit order.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use govwire_store::testing::TestDb;
use govwire_store::{CrawlItem, Validators};

use crate::support::on_both_backends;

on_both_backends!(
    validators_round_trip_and_are_replaced,
    crawl_items_round_trip_with_every_field,
    an_upsert_replaces_an_item_but_keeps_its_first_sighting,
    known_items_are_the_given_ids_the_portal_already_has,
    items_due_are_the_oldest_due_first_up_to_the_limit,
);

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, h, m, 0).unwrap()
}

fn item(portal: &str, item_id: &str, next_visit_at: Option<DateTime<Utc>>) -> CrawlItem {
    CrawlItem {
        portal: portal.into(),
        section: "replies".into(),
        item_id: item_id.into(),
        url: format!("https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2025/197/{item_id}.html"),
        title: None,
        published_on: None,
        etag: None,
        last_modified: None,
        body_sha256: None,
        first_seen_at: at(1, 0),
        last_fetched_at: None,
        last_changed_at: None,
        next_visit_at,
        last_status: None,
        consecutive_missing: 0,
    }
}

async fn validators_round_trip_and_are_replaced(db: &TestDb) {
    let url = "https://www.shpt.gov.cn/front/api/data/affair?channel=3";
    assert_eq!(db.store.http_validators(url).await.unwrap(), None);

    let first = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Tue, 07 Jul 2026 08:00:00 GMT".into()),
    };
    db.store.set_http_validators(url, &first).await.unwrap();
    assert_eq!(db.store.http_validators(url).await.unwrap(), Some(first));

    let second = Validators {
        etag: None,
        last_modified: Some("Wed, 08 Jul 2026 08:00:00 GMT".into()),
    };
    db.store.set_http_validators(url, &second).await.unwrap();
    assert_eq!(db.store.http_validators(url).await.unwrap(), Some(second));
    assert_eq!(db.count_rows("http_validators").await, 1);
}

async fn crawl_items_round_trip_with_every_field(db: &TestDb) {
    let full = CrawlItem {
        portal: "shpt".into(),
        section: "replies".into(),
        item_id: "197298".into(),
        url: "https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2025/197/197298.html".into(),
        title: Some("关于区十五届政协五次会议第142072号提案的答复".into()),
        published_on: NaiveDate::from_ymd_opt(2025, 7, 16),
        etag: Some("W/\"5f-1\"".into()),
        last_modified: Some("Wed, 16 Jul 2025 02:00:00 GMT".into()),
        body_sha256: Some("ab".repeat(32)),
        // Nanoseconds survive the round trip.
        first_seen_at: at(1, 0) + Duration::nanoseconds(123_456_789),
        last_fetched_at: Some(at(2, 0)),
        last_changed_at: Some(at(2, 0) + Duration::microseconds(7)),
        next_visit_at: Some(at(8, 0)),
        last_status: Some(304),
        consecutive_missing: 2,
    };
    db.store.upsert_crawl_item(&full).await.unwrap();
    let sparse = item("shpt", "1", None);
    db.store.upsert_crawl_item(&sparse).await.unwrap();

    assert_eq!(
        db.store.crawl_item("shpt", "197298").await.unwrap(),
        Some(full)
    );
    assert_eq!(
        db.store.crawl_item("shpt", "1").await.unwrap(),
        Some(sparse)
    );
    assert_eq!(db.store.crawl_item("shpt", "2").await.unwrap(), None);
    assert_eq!(db.store.crawl_item("pudong", "197298").await.unwrap(), None);
}

async fn an_upsert_replaces_an_item_but_keeps_its_first_sighting(db: &TestDb) {
    let original = item("shpt", "204477", Some(at(3, 0)));
    db.store.upsert_crawl_item(&original).await.unwrap();

    let mut revisited = original.clone();
    revisited.first_seen_at = at(5, 0);
    revisited.last_fetched_at = Some(at(5, 0));
    revisited.last_status = Some(404);
    revisited.consecutive_missing = 1;
    revisited.next_visit_at = Some(at(6, 0));
    db.store.upsert_crawl_item(&revisited).await.unwrap();

    let stored = db
        .store
        .crawl_item("shpt", "204477")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.first_seen_at, original.first_seen_at);
    assert_eq!(stored.last_status, Some(404));
    assert_eq!(stored.consecutive_missing, 1);
    assert_eq!(stored.next_visit_at, Some(at(6, 0)));
    assert_eq!(db.count_rows("crawl_items").await, 1);
}

async fn known_items_are_the_given_ids_the_portal_already_has(db: &TestDb) {
    // More ids than one IN list holds, so the chunking is exercised.
    for n in (0..1200).step_by(3) {
        db.store
            .upsert_crawl_item(&item("shpt", &n.to_string(), None))
            .await
            .unwrap();
    }
    db.store
        .upsert_crawl_item(&item("pudong", "1", None))
        .await
        .unwrap();

    let asked: Vec<String> = (0..1200).map(|n| n.to_string()).collect();
    let known = db.store.known_items("shpt", &asked).await.unwrap();
    assert_eq!(known.len(), 400);
    assert!(known.contains("0") && known.contains("1197"));
    assert!(
        !known.contains("1"),
        "an id of another portal must not count"
    );

    assert!(db.store.known_items("shpt", &[]).await.unwrap().is_empty());
    let unknown = db
        .store
        .known_items("shpt", &["999999".to_string()])
        .await
        .unwrap();
    assert!(unknown.is_empty());
}

async fn items_due_are_the_oldest_due_first_up_to_the_limit(db: &TestDb) {
    for (id, next) in [
        ("late", Some(at(7, 0))),
        ("earliest", Some(at(4, 0))),
        ("future", Some(at(12, 0))),
        ("never", None),
        ("middle", Some(at(6, 0) + Duration::milliseconds(1))),
        ("exactly-now", Some(at(9, 0))),
    ] {
        db.store
            .upsert_crawl_item(&item("shpt", id, next))
            .await
            .unwrap();
    }
    db.store
        .upsert_crawl_item(&item("pudong", "other-portal", Some(at(1, 0))))
        .await
        .unwrap();

    let ids = |items: Vec<CrawlItem>| items.into_iter().map(|i| i.item_id).collect::<Vec<_>>();
    let due = db.store.items_due("shpt", at(9, 0), 10).await.unwrap();
    assert_eq!(ids(due), ["earliest", "middle", "late", "exactly-now"]);

    let first_two = db.store.items_due("shpt", at(9, 0), 2).await.unwrap();
    assert_eq!(ids(first_two), ["earliest", "middle"]);

    assert!(db
        .store
        .items_due("shpt", at(3, 0), 10)
        .await
        .unwrap()
        .is_empty());
}
