//! `examples/python-consumer/` as an external client of a real pipeline:
//! a Python process (pika, jsonschema) with a queue of its own receives
//! every `reply.published` event, each valid against `schemas/`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use govwire_store::testing::fresh_sqlite;
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::harness::{config_for, corpus_goldens, spawn_pipeline, Names};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_example_subscriber_receives_every_new_reply_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("target/python-consumer-venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run scripts/ensure-python-example.sh (make test does) to install \
         the example's packages",
        python.display()
    );
    let db = fresh_sqlite().await;
    let names = Names::unique();
    let config = config_for(&names, &db);
    let replies = corpus_goldens().len();
    let mut child = Command::new(&python)
        .current_dir(root)
        .arg("examples/python-consumer/consumer.py")
        .args([
            "--url",
            config
                .amqp
                .url
                .iter()
                .next()
                .expect("an AMQP URL")
                .expose_secret(),
        ])
        .args(["--exchange", &config.amqp.events_exchange])
        .args([
            "--queue",
            &format!("{}.python-example", config.amqp.queue_prefix),
        ])
        .args(["--binding", "*.reply.published"])
        .args(["--count", &replies.to_string(), "--timeout", "150"])
        .args(["--expires-ms", "120000"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Its queue is bound before the first event is published.
    let ready = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the example says it is ready");
    assert!(ready.contains("\"ready\": true"), "{ready}");

    let pipeline = spawn_pipeline(&names, &db, None).await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let lines: Vec<Value> = rx
        .try_iter()
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    pipeline.stop().await;
    db.cleanup().await;

    assert!(status.success(), "the example failed: {lines:#?}");
    assert_eq!(lines.len(), replies, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| l["valid"] == true && l["type"] == "govwire.reply.published"),
        "{lines:#?}"
    );
    let ids: std::collections::BTreeSet<&str> =
        lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), replies, "one event per reply");
}
