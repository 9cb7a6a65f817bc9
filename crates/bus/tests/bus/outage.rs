//! Outages of a broker of the test's own (`govwire_bus::testing`): the
//! shared broker is never stopped. The node is taken down with
//! `rabbitmqctl stop_app` (its listener closes, every connection drops) and
//! brought back with `start_app`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use govwire_bus::testing::RabbitNode;
use govwire_bus::BusConfig;

use crate::helpers::{connect, next_delivery, test_config_at, wait_for, TestBus, WAIT};

/// The cap on the waits between reconnection attempts in these tests.
const RECONNECT_CAP: Duration = Duration::from_millis(200);
/// How long the broker stays down: longer than any fixed retry budget with
/// this cap allows (twenty attempts, each after a wait of at most the cap,
/// are over in four seconds), so only retrying forever gets the connection
/// back. This sleep is the outage itself, not a wait for a condition.
const OUTAGE: Duration = Duration::from_secs(8);

/// Log lines written while the returned guard lives, on this thread (the
/// test runtime's only thread, where the bus's tasks run too).
fn capture_logs() -> (tracing::subscriber::DefaultGuard, Arc<Mutex<Vec<u8>>>) {
    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = Buffer(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("govwire_bus=info"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (tracing::subscriber::set_default(subscriber), buffer)
}

/// A bus on a fresh private node, with the short reconnection cap.
async fn bus_on(node: &RabbitNode, label: &str) -> TestBus {
    let config = BusConfig {
        reconnect_max_delay: RECONNECT_CAP,
        confirm_timeout: Duration::from_secs(2),
        ..test_config_at(&node.url(), label, 5)
    };
    let bus = connect(&config, label).await;
    bus.declare_exchanges()
        .await
        .unwrap_or_else(|error| panic!("declaring the test exchanges failed: {error}"));
    TestBus { bus, config }
}

#[tokio::test]
async fn consumers_and_publishers_carry_on_after_an_outage_longer_than_any_retry_budget() {
    let (_logs_guard, logs) = capture_logs();
    let node = RabbitNode::start()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let t = bus_on(&node, "outage").await;
    let queue = t.work_queue("parser", "page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut consumer = t
        .bus
        .consumer(&queue, "outlasting")
        .await
        .expect("consumer");
    publisher
        .publish(&t.message("page", "before", "{}"))
        .await
        .expect("publish before the outage");
    next_delivery(&mut consumer).await.ack().await.expect("ack");

    node.stop_app()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    wait_for("the bus to see its connection drop", || async {
        (!t.bus.is_connected()).then_some(())
    })
    .await;
    let during = tokio::time::timeout(WAIT, publisher.publish(&t.message("page", "during", "{}")))
        .await
        .expect("a publish during the outage gives up after its confirm timeout");
    assert!(
        during.is_err(),
        "nothing can be published while the broker is down"
    );
    tokio::time::sleep(OUTAGE).await;
    assert!(!t.bus.is_connected(), "the broker is still down");

    node.start_app()
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    let back = Instant::now();
    wait_for("a publish to be confirmed after the outage", || async {
        publisher
            .publish(&t.message("page", "after", "{}"))
            .await
            .ok()
    })
    .await;
    let resumed = back.elapsed();
    // Reported, not asserted: timing belongs to measurements, and the
    // bound comes from the capped backoff (unit-tested in the bus crate).
    eprintln!("publishing resumed {resumed:?} after the broker was back");
    // The same consumer receives what was published after the outage (an
    // attempt that timed out may have reached the broker too: skip copies).
    loop {
        let delivery = next_delivery(&mut consumer).await;
        let id = delivery.message_id().map(str::to_owned);
        delivery.ack().await.expect("ack after the outage");
        if id.as_deref() == Some("after") {
            break;
        }
    }
    assert!(t.bus.is_connected());

    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert_eq!(
        text.matches("Lost the connection to RabbitMQ; reconnecting.")
            .count(),
        1,
        "the loss is logged once, not per attempt:\n{text}"
    );
    let reconnected: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("Reconnected to RabbitMQ."))
        .collect();
    assert_eq!(reconnected.len(), 1, "{text}");
    assert!(
        reconnected[0].contains("down_for_secs="),
        "the reconnection says how long the connection was down: {}",
        reconnected[0]
    );
    assert!(!text.contains("guest:guest"), "no password in the logs");

    consumer.cancel().await.expect("cancel");
    t.bus.close().await;
}
