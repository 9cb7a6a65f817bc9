//! The alerts subscriber end to end: the fixture portal, every stage, a
//! webhook receiver and an SMTP server started by the test, on both stores.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use chrono::Utc;
use govwire::config::{AlertsConfig, Config};
use govwire_alerts::signature::{verify, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use govwire_alerts::{Event, Rule, SinkConfig};
use govwire_bus::Bus;
use govwire_model::event::ReplyEvent;
use govwire_model::{EventId, EventType, Reply};
use govwire_store::testing::TestDb;
use govwire_store::DeliveryStatus;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::harness::{corpus_goldens, spawn_pipeline_tuned, wait_until, Names, Pipeline};
use super::DEADLINE;

const SECRET: &str = "a-test-signing-secret";

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
struct Request {
    key: String,
    signature: String,
    body: Bytes,
}

impl Request {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A webhook receiver on loopback. The n-th idempotency key it sees gets
/// the n-th script (statuses in order, 200 once they run out).
#[derive(Clone, Default)]
struct Receiver {
    scripts: Arc<Mutex<Vec<Vec<u16>>>>,
    assigned: Arc<Mutex<HashMap<String, Vec<u16>>>>,
    got: Arc<Mutex<Vec<Request>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let key = header(IDEMPOTENCY_HEADER);
    r.got.lock().unwrap().push(Request {
        key: key.clone(),
        signature: header(SIGNATURE_HEADER),
        body,
    });
    let mut assigned = r.assigned.lock().unwrap();
    let script = assigned.entry(key).or_insert_with(|| {
        let mut scripts = r.scripts.lock().unwrap();
        if scripts.is_empty() {
            Vec::new()
        } else {
            scripts.remove(0)
        }
    });
    let status = if script.is_empty() {
        200
    } else {
        script.remove(0)
    };
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    async fn start(scripts: Vec<Vec<u16>>) -> (Self, String) {
        let receiver = Receiver {
            scripts: Arc::new(Mutex::new(scripts)),
            ..Receiver::default()
        };
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, format!("http://{addr}/hook"))
    }

    fn requests(&self) -> Vec<Request> {
        self.got.lock().unwrap().clone()
    }

    fn with_key(&self, key: &str) -> usize {
        self.requests().iter().filter(|r| r.key == key).count()
    }
}

/// One message an SMTP client handed over.
#[derive(Debug, Clone)]
struct Mail {
    to: Vec<String>,
    data: String,
}

/// A small SMTP server on loopback that accepts every message.
#[derive(Clone, Default)]
struct SmtpSink {
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    async fn start() -> (Self, u16) {
        let sink = SmtpSink::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = sink.mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mails = mails.clone();
                tokio::spawn(async move {
                    let _ = smtp_session(stream, mails).await;
                });
            }
        });
        (sink, port)
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn smtp_session(
    stream: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            write
                .write_all(b"250-localhost\r\n250 8BITMIME\r\n")
                .await?;
        } else if command.starts_with("MAIL FROM") {
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if command.starts_with("RCPT TO") {
            to.push(line.trim_end()[8..].trim().to_string());
            write.write_all(b"250 OK\r\n").await?;
        } else if command == "DATA" {
            write.write_all(b"354 go on\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            mails.lock().unwrap().push(Mail {
                to: to.clone(),
                data,
            });
            write.write_all(b"250 queued\r\n").await?;
        } else if command == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"250 OK\r\n").await?;
        }
    }
}

/// The base64 body of the MIME part of `content_type`.
fn mime_part(data: &str, content_type: &str) -> String {
    let start = data
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in\n{data}"));
    let rest = &data[start..];
    let body_start = rest.find("\r\n\r\n").unwrap() + 4;
    let body_end = rest[body_start..].find("\r\n--").unwrap() + body_start;
    let encoded: String = rest[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap()
}

/// The Subject header, its RFC 2047 words decoded.
fn subject(data: &str) -> String {
    let mut header = String::new();
    let mut inside = false;
    for line in data.split("\r\n") {
        if let Some(rest) = line.strip_prefix("Subject:") {
            inside = true;
            header.push_str(rest);
        } else if inside && line.starts_with([' ', '\t']) {
            header.push_str(line);
        } else if inside {
            break;
        }
    }
    let mut out = String::new();
    for word in header.split_whitespace() {
        match word
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="))
        {
            Some(encoded) => out.push_str(
                &String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(encoded)
                        .unwrap(),
                )
                .unwrap(),
            ),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

fn rule(text: &str) -> Rule {
    toml::from_str(text).expect("a rule")
}

fn webhook_sink(name: &str, url: &str) -> SinkConfig {
    toml::from_str(&format!(
        "name = \"{name}\"\nkind = \"webhook\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n\
         timeout_ms = 5000\nmax_attempts = 4\nbase_delay_ms = 10\nmax_delay_ms = 50\n"
    ))
    .unwrap()
}

/// The fixture replies `rule` matches as published events.
fn matching(rule: &Rule) -> Vec<Reply> {
    corpus_goldens()
        .into_iter()
        .filter(|reply| {
            rule.matches(&Event::Reply(Box::new(ReplyEvent::for_reply(
                EventType::ReplyPublished,
                reply.clone(),
                None,
                None,
                Utc::now(),
            ))))
        })
        .collect()
}

fn with_alerts(config: &mut Config, sinks: Vec<SinkConfig>, rules: Vec<Rule>) {
    config.alerts = AlertsConfig {
        sinks,
        rules,
        digest_check_secs: 1,
        ..AlertsConfig::default()
    };
    config
        .alerts
        .validate()
        .expect("the test's alerts are valid");
}

/// Publishes `body` (a recorded event) again, as a redelivery would bring
/// it, then a copy under a new id: once the copy has reached the receiver,
/// the alerts queue (first in, first out) has handled the redelivery too.
async fn redeliver_then_sentinel(pipeline: &Pipeline, body: &Value) -> String {
    let bus = Bus::connect(pipeline.bus_config(), "test-redeliver")
        .await
        .expect("the broker");
    let publisher = bus.publisher().await.unwrap();
    let event: ReplyEvent = serde_json::from_value(body.clone()).unwrap();
    publisher.publish_event(&event).await.unwrap();
    let mut sentinel = event;
    let id = format!("sentinel-{}", rand::random::<u32>());
    sentinel.id = EventId::new(id.clone());
    publisher.publish_event(&sentinel).await.unwrap();
    bus.close().await;
    id
}

pub async fn webhook_deliveries_are_signed_retried_and_never_repeated(db: TestDb) {
    let names = Names::unique();
    // Exactly two fixture replies could not be solved.
    let cannot_solve =
        rule("name = \"cannot-solve\"\nresult = [\"cannot_solve\"]\nsinks = [\"hook\"]\n");
    let expected = matching(&cannot_solve);
    assert_eq!(expected.len(), 2, "the fixture has two such replies");

    // The first reply's delivery fails twice, then goes through; the
    // second is refused.
    let (receiver, url) = Receiver::start(vec![vec![500, 500], vec![400]]).await;
    let pipeline = spawn_pipeline_tuned(&names, &db, |config| {
        with_alerts(
            config,
            vec![webhook_sink("hook", &url)],
            vec![cannot_solve.clone()],
        )
    })
    .await;
    let store = &db.store;
    wait_until(DEADLINE, "both deliveries recorded", || async {
        store
            .recent_alert_deliveries("cannot-solve", 10)
            .await
            .unwrap()
            .len()
            == 2
    })
    .await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 4, "3 attempts and 1 refusal: {requests:#?}");
    let keys: Vec<String> = {
        let mut keys: Vec<String> = requests.iter().map(|r| r.key.clone()).collect();
        keys.dedup();
        keys
    };
    assert_eq!(keys.len(), 2, "{keys:?}");
    let now = Utc::now().timestamp();
    for request in &requests {
        assert!(
            verify(
                SECRET.as_bytes(),
                &request.signature,
                &request.body,
                now,
                300
            ),
            "the signature verifies: {}",
            request.signature
        );
        assert!(!verify(
            b"another secret",
            &request.signature,
            &request.body,
            now,
            300
        ));
        let body = request.json();
        assert_eq!(body["rule"], "cannot-solve");
        assert_eq!(
            request.key,
            format!("cannot-solve:{}", body["event"]["id"].as_str().unwrap())
        );
        assert!(body["summary"]
            .as_str()
            .unwrap()
            .contains("【reply.published】"));
    }
    let subjects: Vec<String> = requests
        .iter()
        .map(|r| r.json()["event"]["subject"].as_str().unwrap().to_string())
        .collect();
    for reply in &expected {
        assert!(subjects.contains(&reply.id.to_string()), "{subjects:?}");
    }

    let first = &keys[0];
    let second = &keys[1];
    let event_of = |key: &str| key.trim_start_matches("cannot-solve:").to_string();
    let sent = store
        .alert_delivery("cannot-solve", &event_of(first), "hook")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.status, DeliveryStatus::Sent);
    assert_eq!(
        sent.attempts, 3,
        "two 500s, then 200: one recorded delivery"
    );
    let refused = store
        .alert_delivery("cannot-solve", &event_of(second), "hook")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(refused.status, DeliveryStatus::Failed);
    assert_eq!(refused.attempts, 1, "a 400 is not retried");
    assert!(
        refused.last_error.as_deref().unwrap().contains("400"),
        "{refused:?}"
    );

    // The refused event waits in the alerts dead-letter queue with the reason.
    let bus = Bus::connect(pipeline.bus_config(), "test-dlq")
        .await
        .unwrap();
    let listing = |bus: Bus| async move {
        let mut out = Vec::new();
        govwire_bus::commands::dlq::list(&bus, Some("alerts"), &mut out)
            .await
            .unwrap();
        String::from_utf8_lossy(&out).to_string()
    };
    // A listing takes the dead letters and puts them back; the next one may
    // run before the broker has them again, so the whole check is waited on.
    wait_until(
        DEADLINE,
        "the refused event dead-lettered with its reason",
        || async {
            let text = listing(bus.clone()).await;
            text.contains(&event_of(second))
                && text.contains("1 message(s)")
                && text.contains("400")
        },
    )
    .await;

    // The delivered event again: nothing is sent twice.
    let delivered = pipeline
        .events()
        .into_iter()
        .find(|e| e.body["id"] == event_of(first).as_str())
        .expect("the recorder saw the event");
    let sentinel = redeliver_then_sentinel(&pipeline, &delivered.body).await;
    wait_until(DEADLINE, "the sentinel delivered", || async {
        receiver.with_key(&format!("cannot-solve:{sentinel}")) == 1
    })
    .await;
    assert_eq!(
        receiver.with_key(first),
        3,
        "no delivery of a redelivered event"
    );
    assert_eq!(receiver.requests().len(), 5);

    // Replayed once the receiver is mended (it answers 200 now), the refused
    // event is delivered, and recorded as sent.
    let mut out = Vec::new();
    govwire_bus::commands::dlq::replay(&bus, "alerts", None, &mut out)
        .await
        .unwrap();
    wait_until(
        DEADLINE,
        "the replayed delivery recorded as sent",
        || async {
            store
                .alert_delivery("cannot-solve", &event_of(second), "hook")
                .await
                .unwrap()
                .is_some_and(|d| d.status == DeliveryStatus::Sent)
        },
    )
    .await;
    assert_eq!(receiver.with_key(second), 2);
    bus.close().await;
    pipeline.stop().await;
    db.cleanup().await;
}

pub async fn email_and_update_rules_deliver_what_they_match(db: TestDb) {
    let names = Names::unique();
    let (smtp, port) = SmtpSink::start().await;
    let (receiver, url) = Receiver::start(Vec::new()).await;
    let hr = rule("name = \"hr\"\nissuer = [\"人力资源和社会保障局\"]\nsinks = [\"desk\"]\n");
    let expected = matching(&hr);
    assert_eq!(expected.len(), 1, "one fixture reply is from that bureau");
    let desk: SinkConfig = toml::from_str(&format!(
        "name = \"desk\"\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"plain\"\nfrom = \"govwire <govwire@example.org>\"\n\
         to = [\"desk@example.org\"]\ntimeout_ms = 5000\n"
    ))
    .unwrap();
    let now_adopted =
        rule("name = \"result-changed\"\nchanged = [\"handling_result\"]\nsinks = [\"hook\"]\n");
    let pipeline = spawn_pipeline_tuned(&names, &db, |config| {
        with_alerts(
            config,
            vec![desk, webhook_sink("hook", &url)],
            vec![hr.clone(), now_adopted.clone()],
        )
    })
    .await;
    let goldens = corpus_goldens();
    pipeline.wait_archived(goldens.len()).await;
    wait_until(DEADLINE, "one email", || async { !smtp.mails().is_empty() }).await;

    // The email: to the configured recipient, the subject naming the rule and
    // the reply, a plain-text and an HTML part with the record's strings
    // escaped.
    let reply = &expected[0];
    let mail = smtp.mails()[0].clone();
    assert_eq!(mail.to, ["<desk@example.org>"]);
    let subject = subject(&mail.data);
    let name = reply.doc_number.as_deref().unwrap_or(&reply.title);
    assert!(
        subject.contains("hr") && subject.contains(name),
        "{subject}"
    );
    let text = mime_part(&mail.data, "text/plain");
    assert!(text.contains(&reply.title), "{text}");
    let html = mime_part(&mail.data, "text/html");
    assert!(
        html.contains(&govwire_alerts::email::escape_html(&reply.title)),
        "{html}"
    );
    assert!(
        html.contains("<table>") && !html.contains("<script"),
        "{html}"
    );

    // A body-only edit and a handling-result edit: the update rule fires on
    // the second only.
    let edited_body = goldens
        .iter()
        .find(|g| g.id != reply.id && g.id != "shpt:普府〔2022〕55号")
        .unwrap();
    let body_item = pipeline.item_id_of(&edited_body.id);
    assert!(pipeline
        .portal
        .edit(&body_item, |doc| doc.add_paragraph("特此补充说明。")));
    let result_item = pipeline.item_id_of("shpt:普府〔2022〕55号");
    assert!(pipeline
        .portal
        .edit(&result_item, |doc| doc.set_handling_result("部分采纳")));
    wait_until(DEADLINE, "both updates published", || async {
        pipeline
            .events()
            .iter()
            .filter(|e| e.kind == "govwire.reply.updated")
            .count()
            == 2
    })
    .await;
    let result_update = pipeline
        .events_about("govwire.reply.updated", "shpt:普府〔2022〕55号")
        .remove(0);
    let sentinel = redeliver_then_sentinel(&pipeline, &result_update.body).await;
    wait_until(DEADLINE, "the sentinel delivered", || async {
        receiver.with_key(&format!("result-changed:{sentinel}")) == 1
    })
    .await;
    let requests = receiver.requests();
    assert_eq!(
        requests.len(),
        2,
        "the handling-result update and the sentinel, not the body edit: {requests:#?}"
    );
    assert_eq!(
        requests[0].key,
        format!(
            "result-changed:{}",
            result_update.body["id"].as_str().unwrap()
        )
    );
    assert_eq!(requests[0].json()["event"]["type"], "govwire.reply.updated");
    assert_eq!(smtp.mails().len(), 1, "the email rule matched once");
    pipeline.stop().await;
    db.cleanup().await;
}
