//! Publishing: properties survive the trip, and failures are errors.

use chrono::{TimeZone, Utc};
use govwire_bus::{BusError, Message, PublishError};

use crate::helpers::{next_delivery, spawn_bus, unique};

#[tokio::test]
async fn a_published_message_arrives_with_all_its_properties_and_headers() {
    let t = spawn_bus("props", 5).await;
    let queue = t.work_queue("parser", "raw-page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut consumer = t
        .bus
        .consumer(&queue, "props-test")
        .await
        .expect("consumer");

    let sent_at = Utc
        .with_ymd_and_hms(2024, 3, 5, 8, 30, 15)
        .single()
        .expect("date");
    let message = Message {
        exchange: t.config.pipeline_exchange.clone(),
        routing_key: "raw-page".to_owned(),
        body: "{\"title\":\"关于加强社区养老服务的建议的答复\"}"
            .as_bytes()
            .to_vec(),
        content_type: "application/json".to_owned(),
        message_id: "page-42".to_owned(),
        kind: Some("govwire.raw_page".to_owned()),
        timestamp: Some(sent_at),
        headers: vec![
            ("x-govwire-portal".to_owned(), "shpt".to_owned()),
            ("x-govwire-reason".to_owned(), "原因: 测试".to_owned()),
        ],
    };
    publisher
        .publish(&message)
        .await
        .expect("publish is confirmed");

    let delivery = next_delivery(&mut consumer).await;
    assert_eq!(delivery.body(), message.body.as_slice());
    assert_eq!(delivery.message_id(), Some("page-42"));
    assert_eq!(delivery.kind(), Some("govwire.raw_page"));
    assert_eq!(delivery.content_type(), Some("application/json"));
    assert_eq!(delivery.app_id(), Some("govwire"));
    assert_eq!(delivery.timestamp(), Some(sent_at));
    assert!(delivery.is_persistent(), "messages must be persistent");
    assert_eq!(delivery.routing_key(), "raw-page");
    assert_eq!(delivery.exchange(), t.config.pipeline_exchange);
    assert_eq!(delivery.queue(), queue);
    assert!(!delivery.redelivered());
    assert_eq!(delivery.delivery_count(), 0);
    assert_eq!(delivery.header("x-govwire-portal").as_deref(), Some("shpt"));
    assert_eq!(
        delivery.header("x-govwire-reason").as_deref(),
        Some("原因: 测试")
    );
    assert_eq!(delivery.header("x-absent"), None);
    delivery.ack().await.expect("ack");

    consumer.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn publishing_to_a_routing_key_with_no_bound_queue_is_unroutable() {
    let t = spawn_bus("unroutable", 5).await;
    let publisher = t.bus.publisher().await.expect("publisher");

    let result = publisher
        .publish(&t.message("nobody-listens", "m-1", "{}"))
        .await;

    match result {
        Err(BusError::Publish(PublishError::Unroutable {
            exchange,
            routing_key,
        })) => {
            assert_eq!(exchange, t.config.pipeline_exchange);
            assert_eq!(routing_key, "nobody-listens");
        }
        other => panic!("expected an unroutable error, got {other:?}"),
    }
    t.cleanup().await;
}

#[tokio::test]
async fn after_an_unroutable_message_the_next_routable_one_is_confirmed() {
    let t = spawn_bus("unroutable-then-ok", 5).await;
    let queue = t.work_queue("parser", "bound").await;
    let publisher = t.bus.publisher().await.expect("publisher");

    let unroutable = publisher.publish(&t.message("unbound", "m-1", "{}")).await;
    assert!(
        matches!(
            unroutable.as_ref().err().and_then(BusError::as_publish),
            Some(PublishError::Unroutable { .. })
        ),
        "{unroutable:?}"
    );
    publisher
        .publish(&t.message("bound", "m-2", "{}"))
        .await
        .expect("a routable message after an unroutable one is confirmed");

    assert_eq!(t.bus.queue_message_count(&queue).await.expect("depth"), 1);
    t.cleanup().await;
}

#[tokio::test]
async fn publishing_to_a_missing_exchange_fails_and_the_publisher_keeps_working() {
    let t = spawn_bus("missing-exchange", 5).await;
    let queue = t.work_queue("parser", "bound").await;
    let publisher = t.bus.publisher().await.expect("publisher");

    let mut message = t.message("bound", "m-1", "{}");
    message.exchange = unique("no-such-exchange");
    let result = publisher.publish(&message).await;
    assert!(
        matches!(result, Err(BusError::Publish(PublishError::Failed { .. }))),
        "expected a failed publish, got {result:?}"
    );

    // The broker closed the publisher's channel; the next publish reopens it.
    publisher
        .publish(&t.message("bound", "m-2", "{}"))
        .await
        .expect("the publisher recovers from a closed channel");
    assert_eq!(t.bus.queue_message_count(&queue).await.expect("depth"), 1);
    t.cleanup().await;
}

#[tokio::test]
async fn a_name_longer_than_amqp_allows_is_an_error_not_a_panic() {
    let t = spawn_bus("long-name", 5).await;
    let publisher = t.bus.publisher().await.expect("publisher");

    let message = t.message(&"k".repeat(300), "m-1", "{}");
    let result = publisher.publish(&message).await;

    assert!(
        matches!(
            result,
            Err(BusError::InvalidName {
                what: "routing key",
                ..
            })
        ),
        "{result:?}"
    );
    t.cleanup().await;
}

/// A pipelined batch: every message confirmed, and the one no queue is
/// bound for is the one reported unroutable, whatever the order in which
/// the broker's returns and confirms arrive.
#[tokio::test]
async fn publish_all_confirms_a_batch_and_names_the_unroutable_message() {
    let t = spawn_bus("publish-all", 5).await;
    let queue = t.work_queue("parser", "bound").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut messages: Vec<Message> = (0..20)
        .map(|i| t.message("bound", &format!("m-{i}"), "{}"))
        .collect();
    messages[7] = t.message("unbound", "lost-7", "{}");

    let outcomes = publisher.publish_all(&messages).await;

    assert_eq!(outcomes.len(), 20);
    for (i, outcome) in outcomes.iter().enumerate() {
        if i == 7 {
            assert!(
                matches!(
                    outcome.as_ref().err().and_then(BusError::as_publish),
                    Some(PublishError::Unroutable { .. })
                ),
                "message 7: {outcome:?}"
            );
        } else {
            assert!(outcome.is_ok(), "message {i}: {outcome:?}");
        }
    }
    crate::helpers::wait_for_queue_depth(&t.bus, &queue, 19).await;
    // The channel stays usable after the batch.
    publisher
        .publish(&t.message("bound", "after", "{}"))
        .await
        .expect("a later publish is confirmed");
    crate::helpers::wait_for_queue_depth(&t.bus, &queue, 20).await;
    t.cleanup().await;
}

#[tokio::test]
async fn a_message_many_frames_long_arrives_whole_over_small_frames() {
    let t = spawn_bus("frames", 5).await;
    assert_eq!(
        t.bus.frame_max(),
        govwire_bus::DEFAULT_FRAME_MAX,
        "the client asks for small frames; the broker's default is larger"
    );
    let queue = t.work_queue("parser", "raw-page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut consumer = t
        .bus
        .consumer(&queue, "frames-test")
        .await
        .expect("consumer");
    // Twenty frames and a bit, with every byte value, so a frame boundary
    // that dropped or repeated a byte would show.
    let body: Vec<u8> = (0..govwire_bus::DEFAULT_FRAME_MAX as usize * 20 + 777)
        .map(|i| (i % 251) as u8)
        .collect();
    let mut message = t.message("raw-page", &unique("big"), "");
    message.body = body.clone();
    publisher
        .publish(&message)
        .await
        .expect("publish is confirmed");
    let delivery = next_delivery(&mut consumer).await;
    assert_eq!(delivery.body().len(), body.len());
    assert!(
        delivery.body() == body.as_slice(),
        "the body changed on the way"
    );
}
