//! `govwire dlq list` and `govwire dlq replay` against the real broker: a
//! dead-lettered page is seen with its reason and put back into the queue it
//! failed in, uncounted, and nothing else moves.

use std::process::{Command, Output};
use std::time::Duration;

use govwire_bus::{dead_letter_queue_name, Bus, BusConfig, Delivery, Message};

const WAIT: Duration = Duration::from_secs(20);

struct Names {
    suffix: String,
}

impl Names {
    fn unique() -> Self {
        Names {
            suffix: format!("dlq-{}-{:x}", std::process::id(), rand::random::<u32>()),
        }
    }

    fn config(&self) -> BusConfig {
        BusConfig {
            url: std::env::var("GOVWIRE_TEST_AMQP_URL")
                .unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into())
                .into(),
            events_exchange: format!("govwire.test.{}.events", self.suffix),
            pipeline_exchange: format!("govwire.test.{}.pipeline", self.suffix),
            queue_prefix: format!("govwire.test.{}", self.suffix),
            queue_expires_ms: Some(120_000),
            delivery_limit: 1,
            ..BusConfig::default()
        }
    }

    /// `govwire dlq …` with this test's names.
    fn govwire(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_govwire"));
        command.current_dir(env!("CARGO_MANIFEST_DIR"));
        for (k, _) in std::env::vars() {
            if k.starts_with("GOVWIRE") && k != "GOVWIRE_TEST_AMQP_URL" {
                command.env_remove(k);
            }
        }
        if let Ok(url) = std::env::var("GOVWIRE_TEST_AMQP_URL") {
            command.env("GOVWIRE__AMQP__URL", url);
        }
        let config = self.config();
        command
            .arg("dlq")
            .args(args)
            .env("GOVWIRE__AMQP__EVENTS_EXCHANGE", &config.events_exchange)
            .env(
                "GOVWIRE__AMQP__PIPELINE_EXCHANGE",
                &config.pipeline_exchange,
            )
            .env("GOVWIRE__AMQP__QUEUE_PREFIX", &config.queue_prefix)
            .output()
            .expect("govwire runs")
    }
}

async fn next(consumer: &mut govwire_bus::Consumer) -> Delivery {
    tokio::time::timeout(WAIT, consumer.next())
        .await
        .expect("a delivery in time")
        .expect("the consumer is open")
        .expect("a delivery")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_with_their_reason_and_replayed_into_their_queue_uncounted() {
    let names = Names::unique();
    let config = names.config();
    let bus = Bus::connect(&config, "dlq-test").await.unwrap_or_else(|e| {
        panic!(
            "cannot reach RabbitMQ at {} (is it running?): {e}",
            config.redacted_url()
        )
    });
    bus.declare_exchanges().await.unwrap();
    let queue = bus
        .declare_work_queue("notifier", &config.pipeline_exchange, &["parsed"])
        .await
        .unwrap();
    let dlq = dead_letter_queue_name(&queue);
    let publisher = bus.publisher().await.unwrap();
    for id in ["page-poison", "page-limit"] {
        publisher
            .publish(&Message {
                exchange: config.pipeline_exchange.clone(),
                routing_key: "parsed".into(),
                body: format!("{{\"id\":\"{id}\"}}").into_bytes(),
                content_type: "application/json".into(),
                message_id: id.into(),
                kind: Some("govwire.pipeline.parsed_page".into()),
                timestamp: Some(chrono::Utc::now()),
                headers: vec![],
            })
            .await
            .unwrap();
    }
    // One is poison (govwire moves it), the other fails past the delivery
    // limit of 1 (the broker moves it).
    let mut consumer = bus.consumer(&queue, "failing").await.unwrap();
    let mut limit_returns = 0;
    let mut poisoned = false;
    // A delivery limit of 1: the second return dead-letters the message.
    while !(poisoned && limit_returns == 2) {
        let delivery = next(&mut consumer).await;
        if delivery.message_id() == Some("page-poison") {
            delivery
                .dead_letter(&publisher, "parse failure: no body")
                .await
                .unwrap();
            poisoned = true;
        } else {
            limit_returns += 1;
            delivery.requeue().await.unwrap();
        }
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while bus.queue_message_count(&dlq).await.unwrap() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the broker did not dead-letter the message past its delivery limit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    consumer.cancel().await.unwrap();

    let listed = names.govwire(&["list"]);
    let (stdout, stderr) = text(&listed);
    assert!(listed.status.success(), "{stderr}");
    assert!(stdout.contains(&format!("{dlq}: 2 message(s)")), "{stdout}");
    assert!(
        stdout.contains("page-poison") && stdout.contains("poison: parse failure: no body"),
        "{stdout}"
    );
    assert!(
        stdout.contains("page-limit") && stdout.contains("broker: delivery_limit"),
        "{stdout}"
    );
    // The listing reads the messages unacknowledged and closes its channel;
    // the broker puts them back as it handles the close, so wait for it.
    settles_at(&bus, &dlq, 2, "listing removes nothing").await;

    // One message by id: back in the notifier's queue, counted afresh.
    let replayed = names.govwire(&["replay", "notifier", "--id", "page-limit"]);
    let (stdout, stderr) = text(&replayed);
    assert!(replayed.status.success(), "{stderr}");
    assert!(stdout.contains("1 replayed, 1 left"), "{stdout}");
    settles_at(&bus, &dlq, 1, "the message not replayed stays").await;
    let mut consumer = bus.consumer(&queue, "fixed").await.unwrap();
    let back = next(&mut consumer).await;
    assert_eq!(back.message_id(), Some("page-limit"));
    assert_eq!(back.body(), b"{\"id\":\"page-limit\"}");
    assert_eq!(back.delivery_count(), 0, "a replay starts the count afresh");
    assert_eq!(back.header("x-first-death-reason"), None);
    back.ack().await.unwrap();

    // The rest, then nothing is left.
    let replayed = names.govwire(&["replay", "notifier"]);
    let (stdout, stderr) = text(&replayed);
    assert!(replayed.status.success(), "{stderr}");
    assert!(stdout.contains("1 replayed, 0 left"), "{stdout}");
    let back = next(&mut consumer).await;
    assert_eq!(back.message_id(), Some("page-poison"));
    assert_eq!(back.header(govwire_bus::REASON_HEADER), None);
    back.ack().await.unwrap();
    consumer.cancel().await.unwrap();
    assert_eq!(bus.queue_message_count(&dlq).await.unwrap(), 0);

    // A queue govwire does not have is refused, naming the ones it has.
    let wrong = names.govwire(&["replay", "nosuch"]);
    let (_, stderr) = text(&wrong);
    assert_eq!(wrong.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("parser, notifier, archive"), "{stderr}");

    let _ = bus.delete_work_queue("notifier").await;
    let _ = bus.delete_exchanges().await;
    bus.close().await;
}

/// Waits (up to `WAIT`) until `queue` holds `count` ready messages; a
/// command that read messages without acknowledging them has them put back
/// by the broker as it closes the command's channel.
async fn settles_at(bus: &Bus, queue: &str, count: u32, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = bus.queue_message_count(queue).await.unwrap();
        if now == count {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: {now} message(s) in {queue}, expected {count}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
