//! What the RabbitMQ node itself spends per message on the path every
//! govwire hop takes: a persistent message published with a confirm to a
//! durable exchange, routed to a quorum work queue, delivered to a consumer
//! and acked. It is the floor under the broker's share of the pipeline's
//! CPU per reply: a reply crosses five such queues (the raw page, the
//! parsed page, and its event to the archive, alerts and analytics).
//!
//! Publishing uses `Publisher::publish_all` in batches (confirms
//! pipelined); the consumer takes what the broker has sent (up to the
//! prefetch window) and acks it with one multiple ack, as govwire's stages
//! do. Everything it declares is its own and is deleted at the end.
//!
//! Usage: `cargo run --release -p govwire-bus --example broker_floor --
//! [MESSAGES] [BODY_BYTES] [BATCH] [PREFETCH]` (defaults 20000, 2048, 64,
//! 64), with `GOVWIRE_AMQP_URL` naming the broker (default the local
//! guest). The broker's CPU is read from `/proc` of the node running on
//! this machine.

use std::time::{Duration, Instant};

use govwire_bus::{Bus, BusConfig, Delivery, Message};
use secrecy::SecretString;

/// CPU seconds (user + system) of process `pid`, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .expect("the process's stat is readable");
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // CLK_TCK is 100 on Linux.
    ticks / 100.0
}

/// The pid of the RabbitMQ node (the Erlang VM running `rabbit`).
fn broker_pid() -> String {
    for entry in std::fs::read_dir("/proc")
        .expect("/proc is readable")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.contains("beam.smp") && cmdline.contains("rabbit") {
            return name;
        }
    }
    panic!("no RabbitMQ node runs on this machine (make rabbitmq)");
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .map_or(default, |a| a.parse().expect("a whole number"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (messages, body_bytes, batch, prefetch) =
        (arg(1, 20_000), arg(2, 2048), arg(3, 64), arg(4, 64));
    let url = std::env::var("GOVWIRE_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let prefix = format!("floor-{:016x}", rand::random::<u64>());
    let config = BusConfig {
        url: SecretString::from(url).into(),
        events_exchange: format!("{prefix}.events"),
        pipeline_exchange: format!("{prefix}.pipeline"),
        queue_prefix: prefix.clone(),
        prefetch: prefetch as u16,
        delivery_limit: 5,
        queue_expires_ms: Some(120_000),
        confirm_timeout: Duration::from_secs(30),
        reconnect_max_delay: govwire_bus::DEFAULT_RECONNECT_MAX_DELAY,
    };
    let bus = Bus::connect(&config, "broker-floor")
        .await
        .expect("the broker answers");
    bus.declare_exchanges().await.expect("exchanges declared");
    let queue = bus
        .declare_work_queue("floor", &config.pipeline_exchange, &["floor"])
        .await
        .expect("queue declared");
    let publisher = bus.publisher().await.expect("a publisher");
    let mut consumer = bus.consumer(&queue, "floor").await.expect("a consumer");

    let broker = broker_pid();
    let own = std::process::id().to_string();
    let (broker_before, own_before, start) =
        (cpu_seconds(&broker), cpu_seconds(&own), Instant::now());

    let body = vec![b'x'; body_bytes];
    let exchange = config.pipeline_exchange.clone();
    let publishing = tokio::spawn(async move {
        for first in (0..messages).step_by(batch) {
            let chunk: Vec<Message> = (first..(first + batch).min(messages))
                .map(|i| Message {
                    exchange: exchange.clone(),
                    routing_key: "floor".into(),
                    body: body.clone(),
                    content_type: "application/octet-stream".into(),
                    message_id: format!("m{i}"),
                    kind: None,
                    timestamp: None,
                    headers: Vec::new(),
                })
                .collect();
            for outcome in publisher.publish_all(&chunk).await {
                outcome.expect("the broker confirms");
            }
        }
    });
    let mut received = 0;
    while received < messages {
        let first = consumer
            .next()
            .await
            .expect("the consumer runs")
            .expect("a delivery");
        let mut deliveries: Vec<Delivery> = vec![first];
        while let Some(more) = consumer.ready() {
            deliveries.push(more);
        }
        received += deliveries.len();
        Delivery::ack_through(deliveries).await.expect("acked");
    }
    publishing.await.expect("publishing finished");
    let wall = start.elapsed().as_secs_f64();
    let broker_ms = (cpu_seconds(&broker) - broker_before) * 1000.0 / messages as f64;
    let own_ms = (cpu_seconds(&own) - own_before) * 1000.0 / messages as f64;

    println!(
        "{messages} messages of {body_bytes} bytes, publish batches of {batch}, prefetch {prefetch}: \
         {:.0} messages/s; CPU ms per message: RabbitMQ {broker_ms:.3}, client {own_ms:.3}",
        messages as f64 / wall
    );
    let _ = consumer.cancel().await;
    let _ = bus.delete_work_queue("floor").await;
    let _ = bus.delete_exchanges().await;
    bus.close().await;
}
