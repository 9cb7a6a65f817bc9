//! The events exchange's alternate exchange: an event no subscriber's
//! binding takes is kept in `<prefix>.events.unrouted`, not dropped, and an
//! events exchange declared before it had one is still used.

use govwire_bus::{Bus, Message};
use govwire_model::pipeline::{unrouted_exchange, UNROUTED_QUEUE};

use crate::helpers::{connect, init_logs, spawn_bus, test_config, TestBus, WAIT};

fn event(t: &TestBus, routing_key: &str, id: &str) -> Message {
    Message {
        exchange: t.config.events_exchange.clone(),
        routing_key: routing_key.to_owned(),
        body: format!("{{\"id\":\"{id}\"}}").into_bytes(),
        content_type: "application/cloudevents+json".to_owned(),
        message_id: id.to_owned(),
        kind: Some("govwire.reply.published".to_owned()),
        timestamp: None,
        headers: Vec::new(),
    }
}

#[tokio::test]
async fn an_event_no_subscriber_takes_is_confirmed_and_kept_in_the_unrouted_queue() {
    let t = spawn_bus("unrouted-kept", 5).await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let unrouted = t.config.queue_name(UNROUTED_QUEUE);
    assert_eq!(
        t.bus.queue_message_count(&unrouted).await.expect("queue"),
        0
    );

    publisher
        .publish(&event(&t, "shpt.reply.published", "e-1"))
        .await
        .expect("an event with no subscriber is confirmed, not returned");

    // A subscriber bound later gets what is published after it; the one
    // before it waits in the unrouted queue.
    let subscriber = t
        .bus
        .declare_work_queue("sub", &t.config.events_exchange, &["*.reply.*"])
        .await
        .expect("subscriber queue");
    publisher
        .publish(&event(&t, "shpt.reply.updated", "e-2"))
        .await
        .expect("publish");

    let mut kept = t.bus.consumer(&unrouted, "test").await.expect("consumer");
    let delivery = tokio::time::timeout(WAIT, kept.next())
        .await
        .expect("the unrouted event arrives in time")
        .expect("a delivery")
        .expect("no error");
    assert_eq!(delivery.message_id(), Some("e-1"));
    assert_eq!(delivery.body(), b"{\"id\":\"e-1\"}");
    delivery.ack().await.expect("ack");
    kept.cancel().await.expect("cancel");
    assert_eq!(
        t.bus.queue_message_count(&unrouted).await.expect("queue"),
        0,
        "only the event no queue took is kept"
    );
    assert_eq!(
        t.bus.queue_message_count(&subscriber).await.expect("queue"),
        1
    );
    t.bus.delete_work_queue("sub").await.expect("delete");
    t.bus.delete_queue(&unrouted).await.expect("delete");
    t.cleanup().await;
}

#[tokio::test]
async fn an_events_exchange_declared_without_an_alternate_exchange_is_still_used() {
    init_logs();
    let config = test_config("unrouted-old-exchange", 5);
    // What an earlier govwire declared: the topic exchange with no arguments.
    let connection = lapin::Connection::connect(
        crate::helpers::first_url(&config),
        lapin::ConnectionProperties::default(),
    )
    .await
    .expect("the test broker answers");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .exchange_declare(
            config.events_exchange.as_str().into(),
            lapin::ExchangeKind::Topic,
            lapin::options::ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .expect("declare the old exchange");

    let bus: Bus = connect(&config, "unrouted-old-exchange").await;
    bus.declare_exchanges()
        .await
        .expect("an existing events exchange without an alternate exchange is accepted");
    // Still usable: a queue bound to it receives events.
    let queue = bus
        .declare_work_queue("sub", &config.events_exchange, &["#"])
        .await
        .expect("subscriber queue");
    let t = TestBus { bus, config };
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&event(&t, "shpt.reply.published", "e-1"))
        .await
        .expect("publish");
    assert_eq!(t.bus.queue_message_count(&queue).await.expect("queue"), 1);
    t.bus.delete_work_queue("sub").await.expect("delete");
    t.bus
        .delete_queue(&t.config.queue_name(UNROUTED_QUEUE))
        .await
        .expect("delete");
    let _ = channel
        .exchange_delete(
            unrouted_exchange(&t.config.events_exchange).as_str().into(),
            Default::default(),
        )
        .await;
    let _ = connection.close(200, "done".into()).await;
    t.cleanup().await;
}
