//! `spawn_pipeline()`: the fixture portal and every stage on random ports,
//! with unique exchange, queue and database names, plus helpers that wait on
//! conditions with deadlines instead of sleeping.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use govwire::config::Config;
use govwire::services::{self, Reports, RunPlan, Service};
use govwire_bus::{Bus, BusConfig};
use govwire_fixture_portal::{corpus, FixturePortal, RunningPortal};
use govwire_model::reply::PROVENANCE_FIELDS;
use govwire_model::Reply;
use govwire_store::testing::TestDb;
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Exchange, queue and prefix names no other test uses.
#[derive(Debug, Clone)]
pub struct Names {
    pub suffix: String,
}

impl Names {
    pub fn unique() -> Self {
        Self {
            suffix: format!("{}-{:08x}", std::process::id(), rand::random::<u32>()),
        }
    }
    fn events(&self) -> String {
        format!("govwire.test.{}.events", self.suffix)
    }
    fn pipeline(&self) -> String {
        format!("govwire.test.{}.pipeline", self.suffix)
    }
    fn prefix(&self) -> String {
        format!("govwire.test.{}", self.suffix)
    }
}

/// One event as a subscriber saw it.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub kind: String,
    pub routing_key: String,
    pub message_id: String,
    pub content_type: String,
    pub body: Value,
}

/// Every event published on the test's exchange, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    events: Arc<Mutex<Vec<RecordedEvent>>>,
}

impl Recorder {
    pub fn all(&self) -> Vec<RecordedEvent> {
        self.events.lock().unwrap().clone()
    }
    pub fn len(&self) -> usize {
        self.events.lock().unwrap().len()
    }
}

pub struct Pipeline {
    pub portal: RunningPortal,
    recorder: Recorder,
    bus_config: BusConfig,
    cancel: CancellationToken,
    handle: std::thread::JoinHandle<anyhow::Result<()>>,
    archive: String,
    analytics: String,
    telemetry: String,
    http: reqwest::Client,
}

#[derive(Debug, serde::Deserialize)]
pub struct Stats {
    pub replies: u64,
    pub versions: u64,
    #[allow(dead_code)]
    pub events: u64,
}

/// Pause between two looks at a condition being waited on.
const POLL_PAUSE: Duration = Duration::from_millis(200);

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn test_amqp_url() -> String {
    std::env::var("GOVWIRE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub fn config_for(names: &Names, db: &TestDb) -> Config {
    config_at(names, db, &test_amqp_url())
}

/// The test configuration with `amqp_url` as `GOVWIRE__AMQP__URL` (one URL,
/// or a cluster's separated by commas).
pub fn config_at(names: &Names, db: &TestDb, amqp_url: &str) -> Config {
    let shipped = std::fs::read_to_string(repo_root().join("config/govwire.toml")).unwrap();
    let env: Vec<(String, String)> = [
        ("GOVWIRE__AMQP__URL", amqp_url.to_owned()),
        ("GOVWIRE__AMQP__EVENTS_EXCHANGE", names.events()),
        ("GOVWIRE__AMQP__PIPELINE_EXCHANGE", names.pipeline()),
        ("GOVWIRE__AMQP__QUEUE_PREFIX", names.prefix()),
        ("GOVWIRE__AMQP__QUEUE_EXPIRES_SECS", "120".into()),
        ("GOVWIRE__STORE__URL", db.url.expose_secret().to_string()),
        ("GOVWIRE__CRAWLER__MIN_DELAY_MS", "0".into()),
        ("GOVWIRE__CRAWLER__POLL_INTERVAL_SECS", "1".into()),
        ("GOVWIRE__CRAWLER__REVISIT_INTERVAL_SECS", "1".into()),
        ("GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS", "1".into()),
        ("GOVWIRE__NOTIFIER__OUTBOX_INTERVAL_MS", "200".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    Config::from_toml(&shipped, env).expect("the test configuration is valid")
}

async fn start_recorder(bus_config: &BusConfig) -> Recorder {
    let bus = Bus::connect(bus_config, "test-recorder")
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach RabbitMQ at {} (is it running?): {e}",
                bus_config.redacted_url()
            )
        });
    bus.declare_exchanges().await.unwrap();
    let mut consumer = bus.tail("#").await.unwrap();
    let recorder = Recorder::default();
    let events = recorder.events.clone();
    tokio::spawn(async move {
        let _bus = bus;
        while let Some(Ok(delivery)) = consumer.next().await {
            let body: Value = serde_json::from_slice(delivery.body()).unwrap_or(Value::Null);
            events.lock().unwrap().push(RecordedEvent {
                kind: delivery.kind().unwrap_or_default().to_string(),
                routing_key: delivery.routing_key().to_string(),
                message_id: delivery.message_id().unwrap_or_default().to_string(),
                content_type: delivery.content_type().unwrap_or_default().to_string(),
                body,
            });
            let _ = delivery.ack().await;
        }
    });
    recorder
}

/// Starts the fixture portal (or reuses one) and every stage.
pub async fn spawn_pipeline(
    names: &Names,
    db: &TestDb,
    reuse: Option<(RunningPortal, Recorder)>,
) -> Pipeline {
    spawn_with(config_for(names, db), reuse).await
}

/// Starts the stages with `config`, and the fixture portal and recorder
/// unless `reuse` hands them in.
async fn spawn_with(config: Config, reuse: Option<(RunningPortal, Recorder)>) -> Pipeline {
    let (portal, recorder) = match reuse {
        Some(r) => r,
        None => {
            let portal = FixturePortal::start(
                "127.0.0.1:0".parse().unwrap(),
                corpus(),
                CancellationToken::new(),
            )
            .await
            .expect("the fixture portal starts");
            let recorder = start_recorder(&config.bus()).await;
            (portal, recorder)
        }
    };
    let overrides = BTreeMap::from([("shpt".to_string(), portal.base_url())]);
    let portals = config
        .portal_profiles(&repo_root().join("config"), &overrides, &BTreeMap::new())
        .expect("the shipped profiles load");
    let bus_config = config.bus();
    let plan = RunPlan {
        config,
        portals,
        archive_listen: Some("127.0.0.1:0".parse().unwrap()),
        analytics_listen: Some("127.0.0.1:0".parse().unwrap()),
        telemetry_listen: Some("127.0.0.1:0".parse().unwrap()),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let (analytics_tx, analytics_rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let (telemetry_tx, telemetry_rx) = tokio::sync::oneshot::channel::<SocketAddr>();
    let cancel = CancellationToken::new();
    // The pipeline runs on its own thread and runtime, as the binary runs
    // it, so the test's runtime only drives the test.
    let token = cancel.clone();
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the pipeline");
        runtime.block_on(services::run(
            plan,
            Service::ALL.to_vec(),
            token,
            Reports {
                archive_bound: Some(tx),
                analytics_bound: Some(analytics_tx),
                telemetry_bound: Some(telemetry_tx),
            },
        ))
    });
    let all = async { (rx.await, analytics_rx.await, telemetry_rx.await) };
    let (archive, analytics, telemetry) =
        match tokio::time::timeout(Duration::from_secs(60), all).await {
            Ok((Ok(archive), Ok(analytics), Ok(telemetry))) => (
                format!("http://{archive}"),
                format!("http://{analytics}"),
                format!("http://{telemetry}"),
            ),
            _ => {
                cancel.cancel();
                let outcome = tokio::task::spawn_blocking(move || handle.join()).await;
                panic!("the pipeline did not start: {outcome:?}");
            }
        };
    Pipeline {
        portal,
        recorder,
        bus_config,
        cancel,
        handle,
        archive,
        analytics,
        telemetry,
        http: reqwest::Client::new(),
    }
}

impl Pipeline {
    /// `GET` of the analytics API at `path` (`/analytics`, `/report`): the
    /// status and the body.
    pub async fn analytics_get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.analytics))
            .send()
            .await
            .expect("the analytics API answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// `GET` of the health and metrics listener at `path` (`/livez`,
    /// `/readyz`, `/metrics`): the status and the body.
    pub async fn telemetry_get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.telemetry))
            .send()
            .await
            .expect("the health and metrics listener answers");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// The broker settings the stages run with (exchanges and prefix
    /// included).
    pub fn bus_config(&self) -> &BusConfig {
        &self.bus_config
    }

    pub fn events(&self) -> Vec<RecordedEvent> {
        self.recorder.all()
    }

    pub fn recorder(&self) -> Recorder {
        self.recorder.clone()
    }

    pub async fn archive_stats(&self) -> Stats {
        self.http
            .get(format!("{}/stats", self.archive))
            .send()
            .await
            .expect("the archive API answers")
            .json()
            .await
            .expect("stats are JSON")
    }

    /// The current archived record of `id`, if archived.
    pub async fn archived_reply(&self, id: &str) -> Option<Value> {
        let url = reqwest::Url::parse(&format!("{}/replies/", self.archive))
            .unwrap()
            .join(&urlencode(id))
            .unwrap();
        let response = self
            .http
            .get(url)
            .send()
            .await
            .expect("the archive API answers");
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return None;
        }
        let body: Value = response.json().await.expect("a reply is JSON");
        Some(body["current"].clone())
    }

    /// The fixture item id of the document whose golden record is `reply_id`.
    pub fn item_id_of(&self, reply_id: &str) -> String {
        corpus()
            .into_iter()
            .find(|d| d.golden().is_some_and(|g| g.id == reply_id))
            .map(|d| d.item_id().to_string())
            .unwrap_or_else(|| panic!("no corpus document for {reply_id}"))
    }

    fn list_requests(&self) -> usize {
        self.portal
            .requests()
            .iter()
            .filter(|r| {
                r.path.starts_with("/front/api/data/affair") || r.path.ends_with("/index.html")
            })
            .count()
    }

    /// Waits until the archive holds `n` replies; on timeout, says what the
    /// pipeline did get to.
    pub async fn wait_archived(&self, n: usize) {
        let give_up = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let stats = self.archive_stats().await;
            if stats.replies as usize >= n {
                return;
            }
            if tokio::time::Instant::now() >= give_up {
                let requests = self.portal.requests();
                let failed: Vec<String> = requests
                    .iter()
                    .filter(|r| r.status >= 400)
                    .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
                    .collect();
                panic!(
                    "timed out waiting for {n} archived replies: archive has {stats:?}; \
                     {} events recorded ({:?}); the portal answered {} requests, failures: {failed:?}",
                    self.recorder.len(),
                    self.recorder.all().iter().map(|e| e.body["subject"].to_string()).collect::<Vec<_>>(),
                    requests.len(),
                );
            }
            tokio::time::sleep(POLL_PAUSE).await;
        }
    }

    /// Waits until the crawler has polled every section `n` more times.
    pub async fn wait_for_full_polls(&self, n: usize) {
        let sections = 3; // the shipped shpt profile: two API channels, one HTML list
        let start = self.list_requests();
        wait_until(
            Duration::from_secs(60),
            "the crawler polls again",
            || async { self.list_requests() >= start + n * sections },
        )
        .await;
    }

    fn detail_requests(&self, item: &str) -> usize {
        let tail = format!("/{item}.html");
        self.portal
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(&tail))
            .count()
    }

    /// Waits until the crawler has requested item `item`'s page `n` more times.
    pub async fn wait_for_revisits(&self, item: &str, n: usize) {
        let start = self.detail_requests(item);
        wait_until(
            Duration::from_secs(60),
            "the crawler revisits the page",
            || async { self.detail_requests(item) >= start + n },
        )
        .await;
    }

    /// Stops every stage and checks they stopped cleanly.
    /// Stops every stage, checks they stopped cleanly, then deletes the
    /// test's queues and exchanges: the broker is shared, and each quorum
    /// queue holds file handles on it until deleted.
    pub async fn stop(self) {
        let bus_config = self.bus_config.clone();
        self.stop_keeping_queues().await;
        delete_topology(&bus_config).await;
    }

    /// Stops every stage and checks they stopped cleanly, leaving the queues
    /// in place (for a restart).
    pub async fn stop_keeping_queues(self) {
        self.cancel.cancel();
        let handle = self.handle;
        let joined = tokio::task::spawn_blocking(move || handle.join());
        match tokio::time::timeout(Duration::from_secs(30), joined).await {
            Ok(Ok(Ok(Ok(())))) => {}
            Ok(Ok(Ok(Err(e)))) => panic!("the pipeline stopped with an error: {e:#}"),
            Ok(Ok(Err(_))) => panic!("the pipeline thread panicked"),
            Ok(Err(e)) => panic!("joining the pipeline thread failed: {e}"),
            Err(_) => panic!("the pipeline did not stop within 30 s of the signal"),
        }
    }
}

/// Deletes what a pipeline with `bus_config` declared on the broker.
pub async fn delete_topology(bus_config: &BusConfig) {
    let Ok(bus) = Bus::connect(bus_config, "test-cleanup").await else {
        return;
    };
    for name in ["parser", "notifier", "archive"] {
        let _ = bus.delete_work_queue(name).await;
    }
    let _ = bus.delete_exchanges().await;
    bus.close().await;
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Golden records of every reply in the fixture corpus.
pub fn corpus_goldens() -> Vec<Reply> {
    corpus().into_iter().filter_map(|d| d.golden()).collect()
}

/// Asserts the archived record has the golden record's content (provenance
/// aside). Golden records write the portal's own URLs (attachments, and the
/// warning naming the attachment a reply was read from) site-relative, so
/// the archived record's URLs on its page's origin are compared by path.
pub fn assert_same_content(golden: &Reply, archived: &Value) {
    let mut expected = serde_json::to_value(golden).unwrap();
    let mut actual = archived.clone();
    if let Some(origin) = archived["url"]
        .as_str()
        .and_then(|u| url::Url::parse(u).ok())
        .map(|u| u.origin().ascii_serialization())
    {
        let relative = actual.to_string().replace(&format!("{origin}/"), "/");
        actual = serde_json::from_str(&relative).unwrap();
    }
    for key in PROVENANCE_FIELDS {
        expected.as_object_mut().unwrap().remove(*key);
        actual.as_object_mut().unwrap().remove(*key);
    }
    assert_eq!(
        actual, expected,
        "archived record of {} differs from its golden record",
        golden.id
    );
}

/// Polls `condition` until it holds, failing the test after `deadline`.
pub async fn wait_until<F, Fut>(deadline: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let give_up = tokio::time::Instant::now() + deadline;
    let mut pause = Duration::from_millis(20);
    loop {
        if condition().await {
            return;
        }
        if tokio::time::Instant::now() >= give_up {
            panic!("timed out after {deadline:?} waiting for: {what}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// Starts the fixture portal and every stage as [`spawn_pipeline`] does,
/// after `tune` adjusted the test configuration (tests of the notifier's
/// sweep shorten its thresholds and interval this way).
pub async fn spawn_pipeline_tuned(
    names: &Names,
    db: &TestDb,
    tune: impl FnOnce(&mut Config),
) -> Pipeline {
    let mut config = config_for(names, db);
    tune(&mut config);
    spawn_with(config, None).await
}

impl Pipeline {
    /// Events of type `kind` (`govwire.reply.withdrawn`) about `subject`
    /// received so far.
    pub fn events_about(&self, kind: &str, subject: &str) -> Vec<RecordedEvent> {
        self.recorder
            .all()
            .into_iter()
            .filter(|e| e.kind == kind && e.body["subject"] == subject)
            .collect()
    }

    /// The archive's `status` of `id` (`active`, `withdrawn`), if archived.
    pub async fn archived_status(&self, id: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("{}/replies/", self.archive))
            .unwrap()
            .join(&urlencode(id))
            .unwrap();
        let response = self
            .http
            .get(url)
            .send()
            .await
            .expect("the archive API answers");
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return None;
        }
        let body: Value = response.json().await.expect("a reply is JSON");
        body["status"].as_str().map(str::to_string)
    }
}
