//! Topology: quorum work queues, idempotent declarations, and tailing the
//! events exchange.

use chrono::{TimeZone, Utc};
use govwire_bus::{dead_letter_queue_name, BusError};
use govwire_model::CloudEvent;
use lapin::options::QueueDeclareOptions;
use lapin::types::{AMQPValue, FieldTable};

use crate::helpers::{next_delivery, spawn_bus, unique};

#[tokio::test]
async fn declaring_a_work_queue_twice_is_idempotent() {
    let t = spawn_bus("idempotent", 5).await;
    t.bus.declare_exchanges().await.expect("exchanges again");

    let first = t.work_queue("parser", "page").await;
    let second = t
        .bus
        .declare_work_queue("parser", &t.config.pipeline_exchange, &["page"])
        .await
        .expect("declaring the same queue again succeeds");

    assert_eq!(first, second);
    assert_eq!(first, format!("{}.parser", t.config.queue_prefix));
    assert_eq!(t.bus.queue_message_count(&first).await.expect("queue"), 0);
    assert_eq!(
        t.bus
            .queue_message_count(&dead_letter_queue_name(&first))
            .await
            .expect("its dead-letter queue exists"),
        0
    );
    t.cleanup().await;
}

#[tokio::test]
async fn work_queues_and_their_dead_letter_queues_are_quorum_queues() {
    let t = spawn_bus("quorum", 5).await;
    let queue = t.work_queue("parser", "page").await;
    let dlq = dead_letter_queue_name(&queue);

    // The broker refuses to redeclare a queue with another x-queue-type
    // (all other arguments equal), naming the current type: proof of what
    // the queue really is.
    let connection = lapin::Connection::connect(
        crate::helpers::first_url(&t.config),
        lapin::ConnectionProperties::default(),
    )
    .await
    .expect("raw connection");
    let expires = AMQPValue::LongLongInt(
        t.config
            .queue_expires_ms
            .expect("tests set x-expires")
            .into(),
    );
    let text = |s: &str| AMQPValue::LongString(s.into());
    let mut queue_args = FieldTable::default();
    queue_args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(t.config.delivery_limit.into()),
    );
    queue_args.insert(
        "x-dead-letter-exchange".into(),
        text(&t.config.dead_letter_exchange()),
    );
    queue_args.insert("x-dead-letter-routing-key".into(), text(&queue));
    queue_args.insert("x-expires".into(), expires.clone());
    let mut dlq_args = FieldTable::default();
    dlq_args.insert("x-expires".into(), expires);
    for (name, mut args) in [(&queue, queue_args), (&dlq, dlq_args)] {
        let channel = connection.create_channel().await.expect("channel");
        args.insert("x-queue-type".into(), text("classic"));
        let error = channel
            .queue_declare(name.as_str().into(), QueueDeclareOptions::durable(), args)
            .await
            .expect_err("a quorum queue cannot be redeclared as classic");
        let message = error.to_string();
        assert!(
            message.contains("PRECONDITION") && message.contains("x-queue-type"),
            "unexpected error for {name}: {message}"
        );
        assert!(message.contains("quorum"), "{message}");
        drop(channel);
    }
    let _ = connection.close(200, "done".into()).await;
    t.cleanup().await;
}

#[tokio::test]
async fn declaring_a_binding_to_a_missing_exchange_is_a_declare_error() {
    let t = spawn_bus("missing-exchange-binding", 5).await;

    let result = t
        .bus
        .declare_work_queue("parser", "test-no-such-exchange-for-bus", &["page"])
        .await;

    match result {
        Err(BusError::Declare { what, name, .. }) => {
            assert_eq!(what, "binding");
            assert!(name.contains("test-no-such-exchange-for-bus"), "{name}");
        }
        other => panic!("expected a declare error, got {other:?}"),
    }
    t.cleanup().await;
}

fn event(portal: &str, id: &str) -> CloudEvent<serde_json::Value> {
    CloudEvent {
        specversion: "1.0".to_owned(),
        id: id.into(),
        source: format!("/portals/{portal}"),
        event_type: "govwire.reply.published".to_owned(),
        subject: format!("{portal}:普府〔2022〕55号"),
        time: Utc
            .with_ymd_and_hms(2024, 6, 1, 2, 3, 4)
            .single()
            .expect("time"),
        datacontenttype: "application/json".to_owned(),
        dataschema: "urn:govwire:schema:reply-event:1".to_owned(),
        data: serde_json::json!({ "reply": { "title": "答复" } }),
    }
}

#[tokio::test]
async fn tail_receives_events_published_to_the_events_exchange() {
    let t = spawn_bus("tail", 5).await;
    let mut everything = t.bus.tail("#").await.expect("tail #");
    let mut shpt_only = t.bus.tail("shpt.reply.*").await.expect("tail shpt");
    let publisher = t.bus.publisher().await.expect("publisher");

    let pudong = event("pudong", "ev-pudong");
    let shpt = event("shpt", "ev-shpt");
    publisher
        .publish_event(&pudong)
        .await
        .expect("publish pudong");
    publisher.publish_event(&shpt).await.expect("publish shpt");

    let first = next_delivery(&mut everything).await;
    assert_eq!(first.message_id(), Some("ev-pudong"));
    assert_eq!(first.routing_key(), "pudong.reply.published");
    assert_eq!(first.kind(), Some("govwire.reply.published"));
    assert_eq!(first.content_type(), Some("application/cloudevents+json"));
    assert_eq!(first.timestamp(), Some(pudong.time));
    assert_eq!(first.exchange(), t.config.events_exchange);
    let parsed: CloudEvent<serde_json::Value> =
        serde_json::from_slice(first.body()).expect("the body is the CloudEvent");
    assert_eq!(parsed, pudong);
    first.ack().await.expect("ack");
    let second = next_delivery(&mut everything).await;
    assert_eq!(second.message_id(), Some("ev-shpt"));
    second.ack().await.expect("ack");

    // The narrower binding skipped pudong's event.
    let only = next_delivery(&mut shpt_only).await;
    assert_eq!(only.message_id(), Some("ev-shpt"));
    assert_eq!(only.routing_key(), "shpt.reply.published");
    only.ack().await.expect("ack");

    everything.cancel().await.expect("cancel");
    shpt_only.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn a_shared_connection_closes_with_its_last_handle() {
    let t = spawn_bus("share", 5).await;
    let first = t.bus.share();
    let second = t.bus.share();
    t.bus.close().await;
    first.close().await;
    assert!(
        second.is_connected(),
        "closing two of three handles must leave the connection open"
    );
    // The remaining handle still works.
    t.work_queue("parser", "raw-page").await;
    let publisher = second.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("raw-page", &unique("shared"), "{}"))
        .await
        .expect("publish on the shared connection is confirmed");
    second.close().await;
    assert!(
        !t.bus.is_connected(),
        "the last handle's close closes the connection"
    );
}
