//! A bus on a three-node RabbitMQ cluster of the test's own
//! (`govwire_bus::testing::RabbitCluster`): when the node the connection is
//! on stops, publishers and consumers move to a remaining node, and every
//! message the broker confirmed is delivered.
//!
//! Where this machine cannot start three nodes, the test says why on stderr
//! and returns.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use govwire_bus::testing::RabbitCluster;
use govwire_bus::{BrokerUrls, BusConfig};
use secrecy::SecretString;

use crate::helpers::{connect, init_logs, test_config_at, TestBus, WAIT};

/// Messages published in all; the node stops after the first third.
const MESSAGES: usize = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_and_consumers_move_to_a_remaining_node_and_lose_no_confirmed_message() {
    if let Err(why) = RabbitCluster::can_start() {
        eprintln!(
            "NOT RUN: publishers_and_consumers_move_to_a_remaining_node_and_lose_no_confirmed_message \
             needs a three-node RabbitMQ cluster of its own, and this machine cannot start one: {why}"
        );
        return;
    }
    init_logs();
    let mut cluster = RabbitCluster::start()
        .await
        .unwrap_or_else(|error| panic!("the test's RabbitMQ cluster did not start: {error}"));
    let urls = cluster.urls();
    let config = BusConfig {
        url: BrokerUrls::new(urls.iter().cloned().map(SecretString::from)),
        reconnect_max_delay: Duration::from_millis(500),
        ..test_config_at(&urls[0], "cluster", 5)
    };
    let bus = connect(&config, "cluster").await;
    bus.declare_exchanges().await.expect("declaring exchanges");
    let t = TestBus { bus, config };
    let queue = t.work_queue("parser", "page").await;
    let node_0 = format!(":{}/", cluster.node(0).port());
    assert!(
        t.bus.node_url().contains(&node_0),
        "the bus is on the first address: {}",
        t.bus.node_url()
    );

    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut consumer = t.bus.consumer(&queue, "cluster").await.expect("consumer");
    let seen = received.clone();
    tokio::spawn(async move {
        while let Some(next) = consumer.next().await {
            let Ok(delivery) = next else { continue };
            let id = delivery.message_id().unwrap_or_default().to_owned();
            if delivery.ack().await.is_ok() {
                seen.lock().unwrap().push(id);
            }
        }
    });

    let publisher = t.bus.publisher().await.expect("publisher");
    let mut confirmed = BTreeSet::new();
    let mut failed_attempts = 0;
    let mut stopped_at = None;
    for i in 0..MESSAGES {
        if i == MESSAGES / 3 {
            cluster
                .stop_node(0)
                .await
                .unwrap_or_else(|error| panic!("stopping node 0 failed: {error}"));
            stopped_at = Some(Instant::now());
        }
        let id = format!("m{i:04}");
        // A publish that fails is sent again, as govwire's stages do.
        let give_up = Instant::now() + Duration::from_secs(60);
        loop {
            match publisher.publish(&t.message("page", &id, "{}")).await {
                Ok(()) => break,
                Err(error) if Instant::now() < give_up => {
                    failed_attempts += 1;
                    eprintln!("publish of {id} failed, sending it again: {error}");
                }
                Err(error) => panic!("{id} could not be published for a minute: {error}"),
            }
        }
        confirmed.insert(id);
    }
    let moved_after = stopped_at.map(|at| at.elapsed());
    assert!(
        !t.bus.node_url().contains(&node_0),
        "the bus moved off the stopped node: {}",
        t.bus.node_url()
    );

    let give_up = Instant::now() + WAIT;
    loop {
        let got: BTreeSet<String> = received.lock().unwrap().iter().cloned().collect();
        let missing: Vec<&String> = confirmed.difference(&got).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < give_up,
            "confirmed but never delivered after {WAIT:?}: {missing:?} (queue holds {:?})",
            t.bus.queue_message_count(&queue).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = received.lock().unwrap().clone();
    let distinct: BTreeSet<&String> = received.iter().collect();
    eprintln!(
        "{} messages confirmed and delivered across the stop of node 0 (now on {}); \
         {failed_attempts} publishes sent again, {} deliveries repeated; the {} published \
         after the stop were confirmed within {moved_after:?} of it",
        confirmed.len(),
        t.bus.node_url(),
        received.len() - distinct.len(),
        MESSAGES - MESSAGES / 3,
    );

    cluster
        .start_node(0)
        .await
        .unwrap_or_else(|error| panic!("starting node 0 again failed: {error}"));
    t.bus.close().await;
}
