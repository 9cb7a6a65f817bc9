//! A per-test bus on the shared broker: unique exchanges, queue prefix and
//! short-lived queues, plus helpers that wait on conditions with deadlines.

use std::future::Future;
use std::time::Duration;

use govwire_bus::{Bus, BusConfig, Consumer, Delivery, Message};
use secrecy::{ExposeSecret, SecretString};

/// The broker tests talk to, unless `GOVWIRE_TEST_AMQP_URL` says otherwise.
pub const DEFAULT_TEST_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The test broker's URL.
pub fn amqp_url() -> String {
    std::env::var("GOVWIRE_TEST_AMQP_URL").unwrap_or_else(|_| DEFAULT_TEST_URL.to_owned())
}

/// A name no other test (or earlier run) uses.
pub fn unique(label: &str) -> String {
    format!("test-{label}-{:016x}", rand::random::<u64>())
}

/// A connected bus with its own exchanges and queue prefix.
pub struct TestBus {
    /// The connection under test.
    pub bus: Bus,
    /// Its configuration (unique names).
    pub config: BusConfig,
}

/// Shows the bus's logs in failing tests (`RUST_LOG=govwire_bus=debug`).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("govwire_bus=info")),
        )
        .with_test_writer()
        .try_init();
}

/// A test configuration: unique names, queues that expire when idle.
pub fn test_config(label: &str, delivery_limit: u32) -> BusConfig {
    test_config_at(&amqp_url(), label, delivery_limit)
}

/// A test configuration for the broker at `url`.
pub fn test_config_at(url: &str, label: &str, delivery_limit: u32) -> BusConfig {
    let prefix = unique(label);
    BusConfig {
        url: SecretString::from(url.to_owned()).into(),
        events_exchange: format!("{prefix}.events"),
        pipeline_exchange: format!("{prefix}.pipeline"),
        queue_prefix: prefix,
        prefetch: 16,
        delivery_limit,
        queue_expires_ms: Some(120_000),
        confirm_timeout: Duration::from_secs(10),
        reconnect_max_delay: govwire_bus::DEFAULT_RECONNECT_MAX_DELAY,
    }
}

/// Connects (failing the test with a clear message if the broker is not
/// there) and declares the exchanges.
pub async fn spawn_bus(label: &str, delivery_limit: u32) -> TestBus {
    init_logs();
    let config = test_config(label, delivery_limit);
    let bus = connect(&config, label).await;
    bus.declare_exchanges()
        .await
        .unwrap_or_else(|error| panic!("declaring the test exchanges failed: {error}"));
    TestBus { bus, config }
}

/// Connects or fails the test naming the (redacted) URL.
pub async fn connect(config: &BusConfig, service: &str) -> Bus {
    match tokio::time::timeout(WAIT, Bus::connect(config, service)).await {
        Ok(Ok(bus)) => bus,
        Ok(Err(error)) => panic!(
            "cannot reach the test broker at {}: is RabbitMQ running? ({error})",
            config.redacted_url()
        ),
        Err(_) => panic!(
            "connecting to the test broker at {} took longer than {WAIT:?}: is RabbitMQ running?",
            config.redacted_url()
        ),
    }
}

impl TestBus {
    /// A JSON pipeline message to the pipeline exchange.
    pub fn message(&self, routing_key: &str, id: &str, body: &str) -> Message {
        Message {
            exchange: self.config.pipeline_exchange.clone(),
            routing_key: routing_key.to_owned(),
            body: body.as_bytes().to_vec(),
            content_type: "application/json".to_owned(),
            message_id: id.to_owned(),
            kind: Some("govwire.test".to_owned()),
            timestamp: None,
            headers: Vec::new(),
        }
    }

    /// Declares a work queue bound to the pipeline exchange with `key`.
    pub async fn work_queue(&self, name: &str, key: &str) -> String {
        self.bus
            .declare_work_queue(name, &self.config.pipeline_exchange, &[key])
            .await
            .unwrap_or_else(|error| panic!("declaring work queue {name} failed: {error}"))
    }

    /// Deletes this test's exchanges so the shared broker does not collect
    /// them (queues expire by themselves).
    pub async fn cleanup(self) {
        let exchanges = [
            self.config.events_exchange.clone(),
            govwire_model::pipeline::unrouted_exchange(&self.config.events_exchange),
            self.config.pipeline_exchange.clone(),
            self.config.dead_letter_exchange(),
        ];
        if let Ok(connection) = lapin::Connection::connect(
            first_url(&self.config),
            lapin::ConnectionProperties::default(),
        )
        .await
        {
            if let Ok(channel) = connection.create_channel().await {
                for exchange in exchanges {
                    let _ = channel
                        .exchange_delete(
                            exchange.as_str().into(),
                            lapin::options::ExchangeDeleteOptions::default(),
                        )
                        .await;
                }
                let _ = channel.close(200, "test cleanup".into()).await;
            }
            let _ = connection.close(200, "test cleanup".into()).await;
        }
        self.bus.close().await;
    }
}

/// The next delivery, or a test failure after [`WAIT`].
pub async fn next_delivery(consumer: &mut Consumer) -> Delivery {
    match tokio::time::timeout(WAIT, consumer.next()).await {
        Ok(Some(Ok(delivery))) => delivery,
        Ok(Some(Err(error))) => panic!("consumer on {} failed: {error}", consumer.queue()),
        Ok(None) => panic!("consumer on {} ended unexpectedly", consumer.queue()),
        Err(_) => panic!("no delivery on {} within {WAIT:?}", consumer.queue()),
    }
}

/// Polls `check` until it returns `Some`, failing the test with `what`
/// after [`WAIT`]. Between polls it yields to the runtime briefly (a
/// deadline-bounded poll, not a fixed sleep standing in for a condition).
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut interval = tokio::time::interval(Duration::from_millis(50));
    loop {
        interval.tick().await;
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {WAIT:?} waiting for {what}"
        );
    }
}

/// Waits until `queue` holds exactly `count` ready messages.
pub async fn wait_for_queue_depth(bus: &Bus, queue: &str, count: u32) {
    wait_for(&format!("{queue} to hold {count} message(s)"), || async {
        match bus.queue_message_count(queue).await {
            Ok(depth) if depth == count => Some(()),
            Ok(_) => None,
            Err(error) => panic!("cannot inspect queue {queue}: {error}"),
        }
    })
    .await
}

/// The first of the configuration's broker URLs, for a plain lapin
/// connection beside the bus.
pub fn first_url(config: &BusConfig) -> &str {
    config
        .url
        .iter()
        .next()
        .expect("the test configuration names a broker")
        .expose_secret()
}
