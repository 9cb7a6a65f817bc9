//! What the alerts subscriber delivered.

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_store::testing::TestDb;
use govwire_store::{AlertDelivery, DeliveryStatus};

use crate::support::on_both_backends;

on_both_backends!(
    a_sent_delivery_is_final_and_a_failed_one_is_replaced,
    deliveries_are_listed_newest_first_and_counted_for_the_rate_limit,
    held_deliveries_wait_for_their_digest_and_are_final,
);

fn at(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(m)
}

fn delivery(event: &str, status: DeliveryStatus, minute: i64) -> AlertDelivery {
    AlertDelivery {
        rule: "lifts".into(),
        event_id: event.into(),
        sink: "newsroom".into(),
        event_type: "govwire.reply.published".into(),
        subject: "shpt:普府〔2022〕55号".into(),
        status,
        attempts: 1,
        last_error: (status == DeliveryStatus::Failed).then(|| "HTTP 400".into()),
        decided_at: at(minute),
        summary: None,
        event: None,
    }
}

async fn a_sent_delivery_is_final_and_a_failed_one_is_replaced(db: &TestDb) {
    let s = &db.store;
    assert_eq!(
        s.alert_delivery("lifts", "e1", "newsroom").await.unwrap(),
        None
    );

    let failed = AlertDelivery {
        attempts: 4,
        ..delivery("e1", DeliveryStatus::Failed, 0)
    };
    assert!(s.record_alert_delivery(&failed).await.unwrap());
    assert_eq!(
        s.alert_delivery("lifts", "e1", "newsroom").await.unwrap(),
        Some(failed)
    );

    let sent = delivery("e1", DeliveryStatus::Sent, 5);
    assert!(
        s.record_alert_delivery(&sent).await.unwrap(),
        "a failed delivery is replaced"
    );
    assert_eq!(
        s.alert_delivery("lifts", "e1", "newsroom").await.unwrap(),
        Some(sent.clone())
    );

    // The event again (redelivered): nothing changes, and the caller is told.
    let again = delivery("e1", DeliveryStatus::Failed, 9);
    assert!(!s.record_alert_delivery(&again).await.unwrap());
    let resent = delivery("e1", DeliveryStatus::Sent, 9);
    assert!(!s.record_alert_delivery(&resent).await.unwrap());
    assert_eq!(
        s.alert_delivery("lifts", "e1", "newsroom").await.unwrap(),
        Some(sent)
    );

    // Another sink of the same rule and event is its own delivery.
    let other_sink = AlertDelivery {
        sink: "log".into(),
        ..delivery("e1", DeliveryStatus::Sent, 9)
    };
    assert!(s.record_alert_delivery(&other_sink).await.unwrap());
}

async fn deliveries_are_listed_newest_first_and_counted_for_the_rate_limit(db: &TestDb) {
    let s = &db.store;
    for (event, status, minute) in [
        ("e1", DeliveryStatus::Sent, 0),
        ("e2", DeliveryStatus::Failed, 10),
        ("e3", DeliveryStatus::Sent, 20),
        ("e4", DeliveryStatus::Sent, 30),
    ] {
        s.record_alert_delivery(&delivery(event, status, minute))
            .await
            .unwrap();
    }
    let recent = s.recent_alert_deliveries("lifts", 3).await.unwrap();
    let events: Vec<&str> = recent.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(events, ["e4", "e3", "e2"]);
    assert!(s
        .recent_alert_deliveries("other", 3)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(
        s.alert_deliveries_sent_since("lifts", "newsroom", at(0))
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        s.alert_deliveries_sent_since("lifts", "newsroom", at(15))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.alert_deliveries_sent_since("lifts", "newsroom", at(31))
            .await
            .unwrap(),
        0
    );
}

async fn held_deliveries_wait_for_their_digest_and_are_final(db: &TestDb) {
    let s = &db.store;
    let held = |event: &str, minute| AlertDelivery {
        attempts: 0,
        summary: Some(format!("【reply.published】{event}")),
        event: Some(format!("{{\"id\":\"{event}\"}}")),
        ..delivery(event, DeliveryStatus::Held, minute)
    };
    for (event, minute) in [("h1", 5), ("h2", 50), ("h3", 70)] {
        assert!(s.record_alert_delivery(&held(event, minute)).await.unwrap());
    }
    // A held event redelivered is neither held again nor sent.
    assert!(!s
        .record_alert_delivery(&delivery("h1", DeliveryStatus::Sent, 80))
        .await
        .unwrap());
    assert_eq!(
        s.alert_deliveries_sent_since("lifts", "newsroom", at(0))
            .await
            .unwrap(),
        0,
        "held deliveries are not counted as sent"
    );

    let due = s.held_alert_deliveries(at(60)).await.unwrap();
    let events: Vec<&str> = due.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(events, ["h1", "h2"]);
    assert_eq!(due[0], held("h1", 5));

    assert_eq!(
        s.mark_alert_digest("lifts", "newsroom", at(60))
            .await
            .unwrap(),
        2
    );
    assert!(s.held_alert_deliveries(at(60)).await.unwrap().is_empty());
    let h1 = s
        .alert_delivery("lifts", "h1", "newsroom")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h1.status, DeliveryStatus::Digested);
    assert_eq!(
        h1.event, None,
        "a digested delivery keeps no copy of the event"
    );
    assert!(!s
        .record_alert_delivery(&delivery("h1", DeliveryStatus::Sent, 90))
        .await
        .unwrap());
    assert_eq!(
        s.held_alert_deliveries(at(120)).await.unwrap().len(),
        1,
        "h3, held in the next hour, still waits"
    );

    let counts = s.alert_delivery_counts().await.unwrap();
    assert_eq!(
        counts,
        vec![
            ("lifts".to_string(), DeliveryStatus::Digested, 2),
            ("lifts".to_string(), DeliveryStatus::Held, 1),
        ]
    );
}
