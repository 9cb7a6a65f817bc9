//! The daemon against the real broker: events published to the events
//! exchange are counted and served by `GET /analytics`; a message that is
//! not an event is dead-lettered and does not stop the rest.

use std::time::{Duration, Instant};

use govwire_analytics::{run, AnalyticsSettings};
use govwire_bus::{dead_letter_queue_name, Bus, BusConfig, Message};
use govwire_model::pipeline::ANALYTICS_QUEUE;
use govwire_store::testing::fresh_sqlite;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::{corpus_events, corpus_records};

/// How long the daemon may take to count what was published.
const DEADLINE: Duration = Duration::from_secs(60);
/// Pause between two looks at a condition being waited on.
const POLL_PAUSE: Duration = Duration::from_millis(200);

/// A bus configuration with exchange and queue names no other test uses.
fn unique_config() -> BusConfig {
    let suffix = format!(
        "analytics-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    );
    BusConfig {
        url: std::env::var("GOVWIRE_TEST_AMQP_URL")
            .unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into())
            .into(),
        events_exchange: format!("govwire.test.{suffix}.events"),
        pipeline_exchange: format!("govwire.test.{suffix}.pipeline"),
        queue_prefix: format!("govwire.test.{suffix}"),
        queue_expires_ms: Some(120_000),
        ..BusConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_events_are_counted_and_served_while_a_bad_message_is_dead_lettered() {
    let db = fresh_sqlite().await;
    let config = unique_config();
    let bus = Bus::connect(&config, "analytics-test")
        .await
        .expect("RabbitMQ on 127.0.0.1:5672 (or GOVWIRE_TEST_AMQP_URL) is reachable");
    let cancel = CancellationToken::new();
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let daemon = tokio::spawn(run(
        bus.clone(),
        db.store.clone(),
        AnalyticsSettings {
            listen: Some("127.0.0.1:0".parse().unwrap()),
        },
        cancel.clone(),
        Some(bound_tx),
    ));
    let addr = tokio::time::timeout(DEADLINE, bound_rx)
        .await
        .expect("the API listens in time")
        .expect("the daemon reports its address");

    // The daemon has declared its queue: a message that is not an event
    // first, then the corpus.
    let publisher = bus.publisher().await.unwrap();
    publisher
        .publish(&Message {
            exchange: config.events_exchange.clone(),
            routing_key: "shpt.reply.published".into(),
            body: b"{not json".to_vec(),
            content_type: "application/cloudevents+json".into(),
            message_id: "not-an-event".into(),
            kind: Some("govwire.reply.published".into()),
            timestamp: None,
            headers: vec![],
        })
        .await
        .unwrap();
    let events = corpus_events();
    for event in &events {
        publisher.publish_event(event).await.unwrap();
    }

    let replies = {
        let mut ids: Vec<String> = corpus_records()
            .into_iter()
            .map(|r| r.id.to_string())
            .collect();
        ids.sort();
        ids.dedup();
        ids.len() as u64
    };
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/analytics");
    let started = Instant::now();
    let analytics: Value = loop {
        let got: Option<Value> = match http.get(&url).send().await {
            Ok(response) => response.json().await.ok(),
            Err(_) => None,
        };
        if let Some(a) = got {
            if a["totals"]["events"] == events.len() as u64 {
                break a;
            }
        }
        assert!(
            started.elapsed() < DEADLINE,
            "analytics did not count {} events within {DEADLINE:?}",
            events.len()
        );
        tokio::time::sleep(POLL_PAUSE).await;
    };
    assert_eq!(analytics["totals"]["replies"], replies);
    assert_eq!(analytics["totals"]["withdrawn"], 1);
    assert!(analytics["result_categories"].as_array().unwrap().len() >= 3);

    let report = http
        .get(format!("http://{addr}/report"))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), reqwest::StatusCode::OK);
    assert!(report.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = report.text().await.unwrap();
    assert!(html.contains(&format!("<dd id=\"total-replies\">{replies}</dd>")));
    let health = http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");

    let dlq = dead_letter_queue_name(&config.queue_name(ANALYTICS_QUEUE.name));
    let letters = bus.dead_letters(&dlq).await.unwrap();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].message_id.as_deref(), Some("not-an-event"));
    assert!(letters[0].poison);

    cancel.cancel();
    tokio::time::timeout(DEADLINE, daemon)
        .await
        .expect("the daemon stops in time")
        .expect("the daemon task does not panic")
        .expect("the daemon stops cleanly");
    bus.delete_work_queue(ANALYTICS_QUEUE.name).await.unwrap();
    bus.delete_exchanges().await.unwrap();
    bus.close().await;
    db.cleanup().await;
}
