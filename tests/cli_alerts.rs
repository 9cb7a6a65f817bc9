//! `govwire alerts test` and `govwire alerts list` as an operator runs them:
//! a rule tried on an event file without sending anything, and the rules
//! listed with their last deliveries from the store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{TimeZone, Utc};
use govwire_model::event::ReplyEvent;
use govwire_model::{EventType, Reply};
use govwire_store::{AlertDelivery, DeliveryStatus, Store};
use secrecy::SecretString;

struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "govwire-cli-alerts-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const ALERTS: &str = r#"
[[sinks]]
name = "newsroom"
kind = "webhook"
url = "http://127.0.0.1:9/hook?token=abc"
secret = "do-not-print-me"

[[sinks]]
name = "ops"
kind = "log"

[[rules]]
name = "adopted"
result = ["adopted"]
sinks = ["newsroom", "ops"]

[[rules]]
name = "withdrawals"
events = ["reply.withdrawn"]
sinks = ["ops"]
"#;

fn setup(dir: &Path) -> (PathBuf, String) {
    let config = dir.join("govwire.toml");
    std::fs::write(
        &config,
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/govwire.toml"))
            .unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("alerts.toml"), ALERTS).unwrap();
    (
        config,
        format!("sqlite://{}", dir.join("govwire.db").display()),
    )
}

fn govwire(config: &Path, store: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_govwire"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GOVWIRE") {
            c.env_remove(k);
        }
    }
    c.arg("--config")
        .arg(config)
        .arg("--log-format")
        .arg("json")
        .env("GOVWIRE__STORE__URL", store);
    c
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn adopted_reply() -> Reply {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .find(|r| {
            r.handling_result.as_ref().and_then(|h| h.category)
                == Some(govwire_model::HandlingCategory::Adopted)
        })
        .expect("an adopted reply in the fixture")
}

#[test]
fn alerts_test_shows_what_a_rule_would_send_without_sending() {
    let dir = Dir::new();
    let (config, store) = setup(&dir.0);
    let reply = adopted_reply();
    let event = ReplyEvent::for_reply(
        EventType::ReplyPublished,
        reply.clone(),
        None,
        None,
        Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap(),
    );
    let file = dir.0.join("event.json");
    std::fs::write(&file, serde_json::to_vec(&event).unwrap()).unwrap();

    let out = govwire(&config, &store)
        .args(["alerts", "test", "--rule", "adopted"])
        .arg(&file)
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("rule `adopted` matches: 2 sink(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing was sent"), "{stdout}");
    assert!(
        stdout.contains("sink `newsroom`: webhook POST http://127.0.0.1:9/hook"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("\"id\": \"{}\"", event.id)),
        "{stdout}"
    );
    assert!(stdout.contains("sink `ops`: log line"), "{stdout}");
    for secret in ["do-not-print-me", "token=abc"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret}"
        );
    }

    let out = govwire(&config, &store)
        .args(["alerts", "test", "--rule", "withdrawals"])
        .arg(&file)
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("does not match"), "{stdout}");

    let out = govwire(&config, &store)
        .args(["alerts", "test", "--rule", "nope"])
        .arg(&file)
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("no rule is named `nope`") && stderr.contains("adopted, withdrawals"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_list_shows_the_rules_and_their_last_deliveries() {
    let dir = Dir::new();
    let (config, store_url) = setup(&dir.0);
    let url = SecretString::from(store_url.clone());
    Store::init(&url).await.expect("a fresh SQLite store");
    let store = Store::connect(&url).await.unwrap();
    let reply = adopted_reply();
    record(&store, &reply.id, "ev-1", DeliveryStatus::Sent, None).await;
    record(
        &store,
        &reply.id,
        "ev-2",
        DeliveryStatus::Failed,
        Some("HTTP 400"),
    )
    .await;
    store.close().await;

    let out = govwire(&config, &store_url)
        .args(["alerts", "list"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("rule `adopted` → newsroom, ops"),
        "{stdout}"
    );
    assert!(stdout.contains("result = [\"adopted\"]"), "{stdout}");
    assert!(stdout.contains("deliveries: 1 failed, 1 sent"), "{stdout}");
    assert!(stdout.contains("(HTTP 400)"), "{stdout}");
    assert!(stdout.contains(&reply.id.to_string()), "{stdout}");
    assert!(
        stdout.contains("rule `withdrawals` → ops") && stdout.contains("deliveries: none yet"),
        "{stdout}"
    );
}

async fn record(
    store: &Store,
    subject: &str,
    event: &str,
    status: DeliveryStatus,
    error: Option<&str>,
) {
    store
        .record_alert_delivery(&AlertDelivery {
            rule: "adopted".into(),
            event_id: event.into(),
            sink: "newsroom".into(),
            event_type: "govwire.reply.published".into(),
            subject: subject.into(),
            status,
            attempts: 1,
            last_error: error.map(str::to_string),
            decided_at: Utc::now(),
            summary: None,
            event: None,
        })
        .await
        .unwrap();
}

/// The README's few lines of Python verify what govwire signs, and refuse a
/// changed body or another secret.
#[test]
fn the_readme_python_verifies_a_webhook_signature() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("```python\nimport hashlib, hmac, time")
        .expect("the README shows how to verify a signature in Python");
    let code = &readme[start + "```python\n".len()..];
    let code = &code[..code.find("```").unwrap()];
    let body = r#"{"rule":"lifts","summary":"【reply.published】…"}"#;
    let now = Utc::now().timestamp();
    let header = govwire_alerts::signature::sign(b"s3cret", now, body.as_bytes());
    let script = format!(
        "{code}\nimport sys\nh = {header:?}\nb = {body:?}.encode()\n\
         print(verify(b's3cret', h, b), verify(b'other', h, b), verify(b's3cret', h, b + b' '))\n"
    );
    let out = Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3 runs (install it: apt-get install python3)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "True False False");
}
