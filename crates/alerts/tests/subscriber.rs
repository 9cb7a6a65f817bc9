//! The subscriber's handler on a real store (SQLite and PostgreSQL) with a
//! webhook receiver on loopback: one outcome per rule, event and sink; the
//! rate limit and its digest; bad messages.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use chrono::{TimeDelta, TimeZone, Utc};
use govwire_alerts::{Alerts, AlertsConfig};
use govwire_bus::HandlerError;
use govwire_model::event::ReplyEvent;
use govwire_model::{EventType, Reply};
use govwire_store::testing::TestDb;
use govwire_store::DeliveryStatus;
use serde_json::Value;

use govwire_store::on_both_backends;

on_both_backends!(
    past_the_rate_limit_matches_are_held_and_sent_as_one_digest,
    a_log_sink_records_its_line_and_bad_messages_are_poison,
);

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
}

async fn receive(State(r): State<Receiver>, body: Bytes) -> &'static str {
    r.got
        .lock()
        .unwrap()
        .push(serde_json::from_slice(&body).unwrap());
    "ok"
}

async fn receiver() -> (Receiver, String) {
    let receiver = Receiver::default();
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (receiver, format!("http://{addr}/hook"))
}

fn replies() -> Vec<Reply> {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .collect()
}

fn published(reply: Reply) -> Vec<u8> {
    serde_json::to_vec(&ReplyEvent::for_reply(
        EventType::ReplyPublished,
        reply,
        None,
        None,
        Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap(),
    ))
    .unwrap()
}

fn alerts(text: &str) -> Alerts {
    let config: AlertsConfig = toml::from_str(text).expect("an [alerts] section");
    Alerts::from_config(&config).expect("valid alerts")
}

async fn past_the_rate_limit_matches_are_held_and_sent_as_one_digest(db: &TestDb) {
    let (receiver, url) = receiver().await;
    let alerts = alerts(&format!(
        r#"
        [[sinks]]
        name = "hook"
        kind = "webhook"
        url = "{url}"
        secret = "s"

        [[rules]]
        name = "planned"
        result = ["planned"]
        max_per_hour = 2
        sinks = ["hook"]
        "#
    ));
    let planned: Vec<Reply> = replies()
        .into_iter()
        .filter(|r| {
            r.handling_result.as_ref().and_then(|h| h.category)
                == Some(govwire_model::HandlingCategory::Planned)
        })
        .take(5)
        .collect();
    assert_eq!(planned.len(), 5);
    let bodies: Vec<Vec<u8>> = planned.iter().cloned().map(published).collect();
    for body in &bodies {
        alerts.handle_event(&db.store, body).await.unwrap();
    }
    assert_eq!(receiver.got.lock().unwrap().len(), 2, "two sent one by one");
    let recent = db
        .store
        .recent_alert_deliveries("planned", 10)
        .await
        .unwrap();
    let held = recent
        .iter()
        .filter(|d| d.status == DeliveryStatus::Held)
        .count();
    assert_eq!(held, 3);

    // Handled again (redelivered), nothing changes and nothing is sent.
    for body in &bodies {
        alerts.handle_event(&db.store, body).await.unwrap();
    }
    assert_eq!(receiver.got.lock().unwrap().len(), 2);

    // Within the hour, the digest waits; once it is over, one digest goes.
    let now = Utc::now();
    assert_eq!(alerts.send_due_digests(&db.store, now).await.unwrap(), 0);
    let later = now + TimeDelta::hours(1);
    assert_eq!(alerts.send_due_digests(&db.store, later).await.unwrap(), 1);
    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let digest = &got[2];
    assert_eq!(digest["digest"], true);
    assert_eq!(digest["rule"], "planned");
    assert_eq!(digest["events"].as_array().unwrap().len(), 3);
    assert_eq!(digest["summaries"].as_array().unwrap().len(), 3);
    assert!(
        digest["summary"].as_str().unwrap().starts_with("3 matches"),
        "{digest}"
    );
    // Sent once: the next look finds nothing.
    assert_eq!(alerts.send_due_digests(&db.store, later).await.unwrap(), 0);
    let digested = db
        .store
        .recent_alert_deliveries("planned", 10)
        .await
        .unwrap()
        .iter()
        .filter(|d| d.status == DeliveryStatus::Digested)
        .count();
    assert_eq!(digested, 3);
}

async fn a_log_sink_records_its_line_and_bad_messages_are_poison(db: &TestDb) {
    let alerts = alerts(
        r#"
        [[sinks]]
        name = "ops"
        kind = "log"

        [[rules]]
        name = "everything"
        sinks = ["ops"]
        "#,
    );
    let reply = replies().remove(0);
    let body = published(reply.clone());
    alerts.handle_event(&db.store, &body).await.unwrap();
    alerts.handle_event(&db.store, &body).await.unwrap();
    let recent = db
        .store
        .recent_alert_deliveries("everything", 10)
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].status, DeliveryStatus::Sent);
    assert_eq!(recent[0].subject, reply.id.as_str());

    for bad in [
        &b"not json"[..],
        br#"{"type":"govwire.reply.exploded"}"#,
        br#"{"type":"govwire.reply.published","id":"x"}"#,
    ] {
        match alerts.handle_event(&db.store, bad).await {
            Err(HandlerError::Poison(reason)) => assert!(!reason.is_empty()),
            other => panic!(
                "{:?} is poison, not {other:?}",
                String::from_utf8_lossy(bad)
            ),
        }
    }
}
