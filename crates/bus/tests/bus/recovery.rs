//! Connection recovery: the broker drops govwire's connection (as it does on
//! a restart or a network cut) and the bus carries on.
//!
//! The broker is told to close the connection with `rabbitmqctl`, which must
//! be on the PATH with access to the local node (as it is for root on the
//! machines govwire is tested on).

use std::process::Command;

use govwire_bus::Message;

use crate::helpers::{next_delivery, spawn_bus, unique};

/// Asks the broker to close every connection whose client properties
/// mention `marker`; returns how many it closed.
fn close_connections_named(marker: &str) -> usize {
    let listed = Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output()
        .unwrap_or_else(|error| {
            panic!("this test needs rabbitmqctl to drop a connection, and it cannot run: {error}")
        });
    assert!(
        listed.status.success(),
        "rabbitmqctl list_connections failed: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    let pids: Vec<String> = text
        .lines()
        .filter(|line| line.contains(marker))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    for pid in &pids {
        let closed = Command::new("rabbitmqctl")
            .args(["-q", "close_connection", pid, "test: simulated outage"])
            .output()
            .unwrap_or_else(|error| panic!("rabbitmqctl close_connection cannot run: {error}"));
        assert!(
            closed.status.success(),
            "rabbitmqctl close_connection failed: {}",
            String::from_utf8_lossy(&closed.stderr)
        );
    }
    pids.len()
}

#[tokio::test]
async fn consumers_and_publishers_carry_on_after_the_broker_drops_the_connection() {
    let mut t = spawn_bus("recovery", 5).await;
    // Reconnect under a service name this test alone uses.
    let service = unique("recovering-service");
    t.bus.close().await;
    t.bus = crate::helpers::connect(&t.config, &service).await;
    let queue = t.work_queue("parser", "page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut consumer = t.bus.consumer(&queue, "survivor").await.expect("consumer");
    publisher
        .publish(&t.message("page", "before", "{}"))
        .await
        .expect("publish before the outage");
    next_delivery(&mut consumer).await.ack().await.expect("ack");

    let closed = tokio::task::spawn_blocking({
        let service = service.clone();
        move || close_connections_named(&service)
    })
    .await
    .expect("rabbitmqctl task");
    assert_eq!(closed, 1, "exactly the bus's connection is dropped");

    // A publish right after the drop waits for the connection to come back
    // and is confirmed.
    publisher
        .publish(&t.message("page", "after", "{}"))
        .await
        .expect("publishing works again after the outage");
    assert!(t.bus.is_connected());
    // The same consumer receives it.
    let delivery = next_delivery(&mut consumer).await;
    assert_eq!(delivery.message_id(), Some("after"));
    delivery.ack().await.expect("ack after recovery");

    consumer.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn a_connection_whose_recovery_stalls_is_replaced_and_consumers_and_publishers_move() {
    crate::helpers::init_logs();
    let mut t = spawn_bus("stalled", 5).await;
    let service = unique("stalling-service");
    t.bus.close().await;
    // Reconnection waits of at most a second: the bus replaces a connection
    // that has not recovered 15 s after the broker was reachable again.
    t.config.reconnect_max_delay = std::time::Duration::from_secs(1);
    t.bus = crate::helpers::connect(&t.config, &service).await;
    let queue = t.work_queue("parser", "page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut consumer = t.bus.consumer(&queue, "mover").await.expect("consumer");
    let mut tail = t.bus.tail("#").await.expect("tail");
    publisher
        .publish(&t.message("page", "before", "{}"))
        .await
        .expect("publish before the outage");
    next_delivery(&mut consumer).await.ack().await.expect("ack");
    assert_eq!(t.bus.replaced_connections(), 0);

    // The connection is dropped and its own recovery can never complete.
    t.bus.stall_recovery();
    let closed = tokio::task::spawn_blocking({
        let service = service.clone();
        move || close_connections_named(&service)
    })
    .await
    .expect("rabbitmqctl task");
    assert_eq!(closed, 1, "exactly the bus's connection is dropped");

    // Publishing fails (each attempt bounded by the confirm timeout) until
    // the bus has a new connection; then it is confirmed.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut attempts = 0;
    let mut retry = tokio::time::interval(std::time::Duration::from_millis(250));
    loop {
        retry.tick().await;
        attempts += 1;
        match publisher.publish(&t.message("page", "after", "{}")).await {
            Ok(()) => break,
            Err(error) => assert!(
                tokio::time::Instant::now() < deadline,
                "no publish confirmed within 90 s of a stalled recovery ({attempts} attempts): {error}"
            ),
        }
    }
    assert_eq!(t.bus.replaced_connections(), 1, "one new connection");
    assert!(t.bus.is_connected());
    // The same consumer, started again on the new connection, receives it.
    let delivery = next_delivery(&mut consumer).await;
    assert_eq!(delivery.message_id(), Some("after"));
    delivery.ack().await.expect("ack on the new connection");
    // So does the tail, once it has declared its queue again on the new
    // connection (its old queue went with the old connection).
    let tail_queue = tail.queue().to_owned();
    let tailing = tokio::spawn(async move {
        let delivery = next_delivery(&mut tail).await;
        (delivery, tail)
    });
    crate::helpers::wait_for("the tail's queue declared again", || async {
        t.bus.queue_message_count(&tail_queue).await.ok()
    })
    .await;
    let publish_event = t
        .bus
        .publisher()
        .await
        .expect("a publisher on the new connection");
    publish_event
        .publish(&Message {
            exchange: t.config.events_exchange.clone(),
            ..t.message("shpt.reply.published", "tailed", "{}")
        })
        .await
        .expect("an event");
    let (tailed, tail) = tailing.await.expect("the tail task");
    assert_eq!(tailed.message_id(), Some("tailed"));

    consumer.cancel().await.expect("cancel");
    tail.cancel().await.expect("cancel the tail");
    t.cleanup().await;
}
