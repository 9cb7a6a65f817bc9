//! Section health: the counts the crawler's polls and the parser stage's
//! parses build up, and the transaction that records a section degraded or
//! recovered with its event.

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_model::event::PortalEvent;
use govwire_store::testing::TestDb;
use govwire_store::{HealthChange, OutboxEvent, SectionPollRecord, StoreError};

use crate::support::on_both_backends;

on_both_backends!(
    polls_count_empty_and_failed_runs_per_section,
    an_unchanged_list_is_neither_a_listing_nor_an_empty_one,
    parse_outcomes_count_failures_in_a_row_from_concurrent_parsers,
    a_degradation_and_a_recovery_are_recorded_with_their_events_once,
    a_batch_of_parse_outcomes_counts_the_failures_after_its_last_success,
);

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn poll(section: &str, minutes: i64, listed: u32) -> SectionPollRecord {
    SectionPollRecord {
        portal: "shpt".into(),
        section: section.into(),
        at: at(minutes),
        listed,
        new_items: 0,
        errors: 0,
        error: None,
        not_modified: false,
    }
}

fn portal_event(event: PortalEvent, now: DateTime<Utc>) -> OutboxEvent {
    OutboxEvent {
        event_id: event.id.to_string(),
        event_type: event.event_type.clone(),
        routing_key: event.routing_key(),
        body: serde_json::to_vec(&event).unwrap(),
        created_at: now,
    }
}

async fn polls_count_empty_and_failed_runs_per_section(db: &TestDb) {
    db.store
        .record_section_poll(&poll("3", 0, 15))
        .await
        .unwrap();
    db.store
        .record_section_poll(&poll("3", 1, 0))
        .await
        .unwrap();
    db.store
        .record_section_poll(&poll("3", 2, 0))
        .await
        .unwrap();
    db.store
        .record_section_poll(&poll("6", 2, 0))
        .await
        .unwrap();
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(h.polls, 3);
    assert_eq!(h.last_poll_at, Some(at(2)));
    assert_eq!(h.last_listed, Some(0));
    assert_eq!(h.last_nonempty_at, Some(at(0)));
    assert_eq!(h.empty_polls, 2);
    assert_eq!(h.failed_polls, 0);
    let other = db.store.section_health("shpt", "6").await.unwrap().unwrap();
    assert_eq!(other.empty_polls, 1);
    assert_eq!(other.last_nonempty_at, None, "never listed anything");

    // A failed poll says nothing of the listing.
    db.store
        .record_section_poll(&SectionPollRecord {
            error: Some("HTTP 503 from the list API".into()),
            ..poll("3", 3, 0)
        })
        .await
        .unwrap();
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(h.failed_polls, 1);
    assert_eq!(h.empty_polls, 2);
    assert_eq!(h.last_error.as_deref(), Some("HTTP 503 from the list API"));
    assert_eq!(
        h.failing_since,
        Some(at(3)),
        "failing from the first failure"
    );
    db.store
        .record_section_poll(&SectionPollRecord {
            error: Some("unreachable".into()),
            ..poll("3", 3, 0)
        })
        .await
        .unwrap();
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(
        (h.failed_polls, h.failing_since),
        (2, Some(at(3))),
        "still failing since the first failure"
    );

    db.store
        .record_section_poll(&poll("3", 4, 15))
        .await
        .unwrap();
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!((h.empty_polls, h.failed_polls), (0, 0));
    assert_eq!(h.failing_since, None, "a good poll ends the failing run");
    assert_eq!(h.last_nonempty_at, Some(at(4)));
    let all = db.store.all_section_health().await.unwrap();
    let sections: Vec<&str> = all.iter().map(|h| h.section.as_str()).collect();
    assert_eq!(sections, vec!["3", "6"]);
}

async fn an_unchanged_list_is_neither_a_listing_nor_an_empty_one(db: &TestDb) {
    db.store
        .record_section_poll(&poll("list", 0, 20))
        .await
        .unwrap();
    db.store
        .record_section_poll(&SectionPollRecord {
            not_modified: true,
            ..poll("list", 1, 0)
        })
        .await
        .unwrap();
    let h = db
        .store
        .section_health("shpt", "list")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.empty_polls, 0);
    assert_eq!(h.last_listed, Some(20));
}

async fn parse_outcomes_count_failures_in_a_row_from_concurrent_parsers(db: &TestDb) {
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            store.record_parse_outcome("shpt", "3", false, at(i)).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(h.parse_failures, 6, "no failure lost");
    assert_eq!(h.polls, 0, "the crawler's columns are untouched");
    db.store
        .record_parse_outcome("shpt", "3", true, at(10))
        .await
        .unwrap();
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(h.parse_failures, 0);
    assert_eq!(h.last_parse_at, Some(at(10)));
}

async fn a_batch_of_parse_outcomes_counts_the_failures_after_its_last_success(db: &TestDb) {
    let failures = || async {
        let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
        h.parse_failures
    };
    db.store
        .record_parse_outcomes("shpt", "3", &[false, false], at(0))
        .await
        .unwrap();
    assert_eq!(failures().await, 2);
    // No success in the batch: its failures add to the ones in a row.
    db.store
        .record_parse_outcomes("shpt", "3", &[false], at(1))
        .await
        .unwrap();
    assert_eq!(failures().await, 3);
    // A success resets the count; only the failures after it remain.
    db.store
        .record_parse_outcomes("shpt", "3", &[false, true, false, false], at(2))
        .await
        .unwrap();
    assert_eq!(failures().await, 2);
    db.store
        .record_parse_outcomes("shpt", "3", &[false, true], at(3))
        .await
        .unwrap();
    assert_eq!(failures().await, 0);
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!(h.last_parse_at, Some(at(3)));
}

async fn a_degradation_and_a_recovery_are_recorded_with_their_events_once(db: &TestDb) {
    assert_eq!(
        db.store
            .apply_section_health("shpt", "3", at(0), |_| panic!("no row, no decision"))
            .await
            .unwrap(),
        None
    );
    db.store
        .record_section_poll(&poll("3", 0, 15))
        .await
        .unwrap();
    db.store
        .record_section_poll(&poll("3", 1, 0))
        .await
        .unwrap();

    let change = db
        .store
        .apply_section_health("shpt", "3", at(2), |h| {
            assert_eq!(h.empty_polls, 1, "fresh row");
            Some(HealthChange::Degraded {
                reason: "empty".into(),
                event: portal_event(
                    PortalEvent::degraded("shpt", "3", "empty", h.degradations, at(2)),
                    at(2),
                ),
            })
        })
        .await
        .unwrap();
    assert!(matches!(change, Some(HealthChange::Degraded { .. })));
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert!(h.is_degraded());
    assert_eq!(h.degraded_at, Some(at(2)));
    assert_eq!(h.degraded_reason.as_deref(), Some("empty"));
    assert_eq!(h.degradations, 1);
    assert_eq!(
        h.empty_polls, 1,
        "the sweep leaves the crawler's counts alone"
    );

    // Degrading it again is refused and writes nothing.
    let counts = db.all_counts().await;
    let again = db
        .store
        .apply_section_health("shpt", "3", at(3), |h| {
            Some(HealthChange::Degraded {
                reason: "empty".into(),
                event: portal_event(
                    PortalEvent::degraded("shpt", "3", "empty", h.degradations, at(3)),
                    at(3),
                ),
            })
        })
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(_))), "{again:?}");
    assert_eq!(db.all_counts().await, counts);
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert_eq!((h.degradations, h.degraded_at), (1, Some(at(2))));

    let recovered = db
        .store
        .apply_section_health("shpt", "3", at(4), |h| {
            Some(HealthChange::Recovered {
                event: portal_event(
                    PortalEvent::recovered("shpt", "3", "lists again", h.degradations, at(4)),
                    at(4),
                ),
            })
        })
        .await
        .unwrap();
    assert!(matches!(recovered, Some(HealthChange::Recovered { .. })));
    let h = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert!(!h.is_degraded());
    assert_eq!(h.degraded_reason, None);
    assert_eq!(h.degradations, 1);
    let pending = db.store.pending_outbox(10).await.unwrap();
    let routes: Vec<&str> = pending.iter().map(|e| e.routing_key.as_str()).collect();
    assert_eq!(
        routes,
        vec!["shpt.portal.degraded", "shpt.portal.recovered"]
    );
}
