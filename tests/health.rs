//! `/livez` and `/readyz` of the health and metrics listener: ready only
//! while RabbitMQ is connected, every store answers and every consumer
//! runs, and saying which is not.

use std::time::Duration;

use govwire::health::{serve, Readiness};
use govwire_bus::{Bus, BusConfig};
use govwire_store::testing::fresh_sqlite;
use tokio_util::sync::CancellationToken;

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("the listener answers");
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_answers_503_naming_each_missing_part() {
    let db = fresh_sqlite().await;
    let config = BusConfig {
        url: std::env::var("GOVWIRE_TEST_AMQP_URL")
            .unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into())
            .into(),
        ..BusConfig::default()
    };
    let bus = Bus::connect(&config, "health-test")
        .await
        .expect("RabbitMQ answers (make rabbitmq)");
    let queue = format!("test-health-{:08x}.parser", rand::random::<u32>());
    let readiness = Readiness {
        bus: bus.clone(),
        stores: vec![("sqlite://test.db".into(), db.store.clone())],
        queues: vec![queue.clone()],
    };
    let cancel = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(serve(
        "127.0.0.1:0".parse().unwrap(),
        readiness,
        cancel.clone(),
        Some(tx),
    ));
    let base = format!(
        "http://{}",
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap()
            .unwrap()
    );

    assert_eq!(get(&format!("{base}/livez")).await, (200, "ok\n".into()));
    // Connected and answering, but its consumer never started.
    assert_eq!(
        get(&format!("{base}/readyz")).await,
        (
            503,
            format!("not ready: the consumer of {queue} has not started yet\n")
        )
    );

    db.store.close().await;
    bus.close().await;
    let (status, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("not connected to RabbitMQ at amqp://"),
        "{body}"
    );
    assert!(
        body.contains("the store at sqlite://test.db does not answer"),
        "{body}"
    );
    assert!(!body.contains("guest:guest"), "no password: {body}");
    // Live all the same: the process runs.
    assert_eq!(get(&format!("{base}/livez")).await.0, 200);

    cancel.cancel();
    server.await.unwrap().unwrap();
}
