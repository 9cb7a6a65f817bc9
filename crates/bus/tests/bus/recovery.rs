//! Connection recovery: the broker drops govwire's connection (as it does on
//! a restart or a network cut) and the bus carries on.
//!
//! The broker is told to close the connection with `rabbitmqctl`, which must
//! be on the PATH with access to the local node (as it is for root on the
//! machines govwire is tested on).

use std::process::Command;

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
