//! `deploy/rabbitmq/definitions.json` is the topology the daemons declare:
//! every stage declares its exchanges and queues on the test's broker under
//! names of the test's own, the broker's own view of them is read back with
//! `rabbitmqctl`, and it must equal the definitions file, name for name
//! (the test's prefix read as `govwire`), argument for argument, binding
//! for binding.

use std::collections::BTreeSet;
use std::process::Command;

use govwire::services::{declare_topology, Service};
use govwire_bus::{Bus, BusConfig};
use serde_json::{json, Value};

/// `rabbitmqctl <what> <columns> --formatter json`, parsed.
fn rabbitmqctl(what: &str, columns: &[&str]) -> Vec<Value> {
    let out = Command::new("rabbitmqctl")
        .arg(what)
        .args(columns)
        .args(["--formatter", "json", "--quiet"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "rabbitmqctl cannot be run ({e}); this test reads the broker's topology \
                 with it: install RabbitMQ's tools beside the broker (make rabbitmq)"
            )
        });
    assert!(
        out.status.success(),
        "rabbitmqctl {what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "rabbitmqctl {what} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `[["x-queue-type","longstr","quorum"], …]` as `{"x-queue-type": "quorum"}`.
fn arguments(listed: &Value) -> Value {
    let mut map = serde_json::Map::new();
    for triple in listed.as_array().into_iter().flatten() {
        let key = triple[0].as_str().unwrap().to_owned();
        map.insert(key, triple[2].clone());
    }
    Value::Object(map)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_definitions_file_is_what_the_daemons_declare() {
    let prefix = format!("govwire.t{:08x}", rand::random::<u32>());
    let config = BusConfig {
        url: std::env::var("GOVWIRE_TEST_AMQP_URL")
            .unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into())
            .into(),
        events_exchange: format!("{prefix}.events"),
        pipeline_exchange: format!("{prefix}.pipeline"),
        queue_prefix: prefix.clone(),
        queue_expires_ms: None,
        ..BusConfig::default()
    };
    let bus = Bus::connect(&config, "topology-test")
        .await
        .expect("RabbitMQ answers (make rabbitmq)");
    for service in Service::ALL {
        declare_topology(service, &bus).await.unwrap();
    }
    let ours = |name: &str| name == prefix || name.starts_with(&format!("{prefix}."));
    let general = |name: &str| name.replacen(&prefix, "govwire", 1);

    let exchanges: BTreeSet<String> = rabbitmq_set(
        rabbitmqctl(
            "list_exchanges",
            &[
                "name",
                "type",
                "durable",
                "auto_delete",
                "internal",
                "arguments",
            ],
        ),
        |e| {
            ours(e["name"].as_str()?).then(|| {
                json!({
                    "name": general(e["name"].as_str().unwrap()),
                    "type": e["type"], "durable": e["durable"],
                    "auto_delete": e["auto_delete"], "internal": e["internal"],
                    "arguments": arguments(&e["arguments"]),
                })
            })
        },
    );
    let queues: BTreeSet<String> = rabbitmq_set(
        rabbitmqctl(
            "list_queues",
            &["name", "durable", "auto_delete", "arguments"],
        ),
        |q| {
            ours(q["name"].as_str()?).then(|| {
                let mut args = arguments(&q["arguments"]);
                for key in ["x-dead-letter-exchange", "x-dead-letter-routing-key"] {
                    if let Some(Value::String(name)) = args.get(key).cloned() {
                        args[key] = Value::String(general(&name));
                    }
                }
                json!({
                    "name": general(q["name"].as_str().unwrap()),
                    "durable": q["durable"], "auto_delete": q["auto_delete"],
                    "arguments": args,
                })
            })
        },
    );
    let bindings: BTreeSet<String> = rabbitmq_set(
        rabbitmqctl(
            "list_bindings",
            &[
                "source_name",
                "destination_name",
                "destination_kind",
                "routing_key",
                "arguments",
            ],
        ),
        |b| {
            // The default exchange's implicit bindings are not declared.
            let source = b["source_name"].as_str()?;
            (ours(source) && !source.is_empty()).then(|| {
                let key = b["routing_key"].as_str().unwrap();
                json!({
                    "source": general(source),
                    "destination": general(b["destination_name"].as_str().unwrap()),
                    "destination_type": b["destination_kind"],
                    "routing_key": if ours(key) { general(key) } else { key.to_owned() },
                    "arguments": arguments(&b["arguments"]),
                })
            })
        },
    );

    let file: Value =
        serde_json::from_str(include_str!("../deploy/rabbitmq/definitions.json")).unwrap();
    let strip = |items: &Value, keep: &[&str]| -> BTreeSet<String> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let mut v = serde_json::Map::new();
                for key in keep {
                    v.insert((*key).to_owned(), item[*key].clone());
                }
                sorted(Value::Object(v)).to_string()
            })
            .collect()
    };
    let want_exchanges = strip(
        &file["exchanges"],
        &[
            "name",
            "type",
            "durable",
            "auto_delete",
            "internal",
            "arguments",
        ],
    );
    let want_queues = strip(
        &file["queues"],
        &["name", "durable", "auto_delete", "arguments"],
    );
    let want_bindings = strip(
        &file["bindings"],
        &[
            "source",
            "destination",
            "destination_type",
            "routing_key",
            "arguments",
        ],
    );

    for name in ["parser", "notifier", "archive", "alerts", "analytics"] {
        let _ = bus.delete_work_queue(name).await;
    }
    let _ = bus.delete_exchanges().await;
    bus.close().await;

    assert_eq!(exchanges, want_exchanges, "exchanges");
    assert_eq!(queues, want_queues, "queues");
    assert_eq!(bindings, want_bindings, "bindings");
    assert_eq!(
        queues.len(),
        10,
        "five work queues and their dead-letter queues"
    );
}

/// The items `pick` keeps, as comparable JSON texts (keys sorted).
fn rabbitmq_set(items: Vec<Value>, pick: impl Fn(&Value) -> Option<Value>) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(&pick)
        .map(|v| sorted(v).to_string())
        .collect()
}

/// `value` with the keys of every object in sorted order, so two texts of
/// the same JSON compare equal whatever order their keys came in.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
