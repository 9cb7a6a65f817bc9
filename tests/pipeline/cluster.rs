//! The pipeline against a three-node RabbitMQ cluster of the test's own
//! (`govwire_bus::testing::RabbitCluster`), its `amqp.url` the nodes' list:
//! a backfill of the fixture portal runs through the crawler, parser,
//! notifier and archive while the node every connection is on (the first
//! address) stops, and starts again later. Nothing may be lost or doubled.
//!
//! Where this machine cannot run three more RabbitMQ nodes (RabbitMQ not
//! installed, too little memory) the test says so on stderr and returns:
//! the one test in govwire that may not run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use govwire::backfill::BackfillRequest;
use govwire::services::{self, Reports, RunPlan, Service};
use govwire_bus::testing::RabbitCluster;
use govwire_bus::{dead_letter_queue_name, Bus};
use govwire_fixture_portal::{scaled, FixturePortal};
use govwire_store::testing::fresh_sqlite;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::harness::{config_at, repo_root, urlencode, wait_until, Names, Stats};

/// How long each phase may take on a loaded machine before the test fails.
const DEADLINE: Duration = Duration::from_secs(240);
/// The replies the fixture portal serves: enough that the backfill is
/// still walking when the node stops.
const REPLIES: usize = 200;
/// The crawler's pause between two requests to the portal: the backfill
/// lasts a while, as one against a real portal does.
const MIN_DELAY_MS: u64 = 40;

/// One event as the witness queue received it.
#[derive(Debug, Clone)]
struct Seen {
    id: String,
    kind: String,
    subject: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_loses_nothing_when_the_node_the_pipeline_is_on_stops_and_returns() {
    if let Err(why) = RabbitCluster::can_start() {
        eprintln!(
            "NOT RUN: a_backfill_loses_nothing_when_the_node_the_pipeline_is_on_stops_and_returns \
             needs a three-node RabbitMQ cluster of its own, and this machine cannot start one: {why}"
        );
        return;
    }
    // The stages' logs, with RUST_LOG set (RUST_LOG=govwire=info,govwire_bus=info).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mut cluster = RabbitCluster::start()
        .await
        .unwrap_or_else(|error| panic!("the test's RabbitMQ cluster did not start: {error}"));
    apply_shipped_policies(&cluster).await;
    let ports: Vec<u16> = (0..RabbitCluster::SIZE)
        .map(|i| cluster.node(i).port())
        .collect();

    let names = Names::unique();
    let db = fresh_sqlite().await;
    let mut config = config_at(&names, &db, &cluster.urls().join(","));
    config.crawler.min_delay_ms = Some(MIN_DELAY_MS);
    let bus_config = config.bus();
    assert_eq!(
        bus_config.url.len(),
        RabbitCluster::SIZE,
        "GOVWIRE__AMQP__URL with commas is the cluster's list"
    );

    // The portal as `govwire fixture-portal --scale N` serves it: distinct
    // replies in every section, none with attachments (reading those needs
    // tools of its own, `make tools`, which are not what this test is
    // about). The corpus's own replies are left out: a scaled copy of one
    // is the same proposal's answer, so it would count as its update.
    let docs = scaled(REPLIES);
    let expected: BTreeSet<String> = docs
        .iter()
        .filter_map(|doc| doc.golden())
        .map(|golden| golden.id.to_string())
        .collect();
    let portal = FixturePortal::start(
        "127.0.0.1:0".parse().unwrap(),
        docs,
        CancellationToken::new(),
    )
    .await
    .expect("the fixture portal starts");

    // A witness of every event: a quorum queue of its own on the events
    // exchange, so the events survive the node as the stages' queues do.
    let witness_bus = Bus::connect(&bus_config, "test-witness")
        .await
        .unwrap_or_else(|error| panic!("the witness cannot reach the test cluster: {error}"));
    witness_bus.declare_exchanges().await.unwrap();
    let witness_queue = witness_bus
        .declare_work_queue("witness", &bus_config.events_exchange, &["#"])
        .await
        .unwrap();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let mut witness = witness_bus
        .consumer(&witness_queue, "test-witness")
        .await
        .unwrap();
    let witnessed = seen.clone();
    tokio::spawn(async move {
        while let Some(Ok(delivery)) = witness.next().await {
            let body: Value = serde_json::from_slice(delivery.body()).unwrap_or(Value::Null);
            witnessed.lock().unwrap().push(Seen {
                id: delivery.message_id().unwrap_or_default().to_owned(),
                kind: delivery.kind().unwrap_or_default().to_owned(),
                subject: body["subject"].as_str().unwrap_or_default().to_owned(),
            });
            let _ = delivery.ack().await;
        }
    });

    let overrides = BTreeMap::from([("shpt".to_owned(), portal.base_url())]);
    let portals = config
        .portal_profiles(&repo_root().join("config"), &overrides, &BTreeMap::new())
        .expect("the shipped profiles load");
    let plan = RunPlan {
        config,
        portals,
        archive_listen: Some("127.0.0.1:0".parse().unwrap()),
        analytics_listen: Some("127.0.0.1:0".parse().unwrap()),
        telemetry_listen: Some("127.0.0.1:0".parse().unwrap()),
    };
    let stages = Stages::start(plan.clone()).await;
    let http = reqwest::Client::new();
    let stats = |http: reqwest::Client, archive: String| async move {
        http.get(format!("{archive}/stats"))
            .send()
            .await
            .expect("the archive API answers")
            .json::<Stats>()
            .await
            .expect("stats are JSON")
    };

    // Progress: when the archive's count last grew, and the longest wait
    // between two growths.
    let progress = Arc::new(Mutex::new(Progress::default()));
    let watching = CancellationToken::new();
    {
        let (progress, watching, http, archive) = (
            progress.clone(),
            watching.clone(),
            http.clone(),
            stages.archive.clone(),
        );
        tokio::spawn(async move {
            while !watching.is_cancelled() {
                let now = stats(http.clone(), archive.clone()).await.replies;
                progress.lock().unwrap().saw(now, Instant::now());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    }

    // Every connection (the stages', the witness's) went to the first
    // address that accepted: node 0. The backfill's will too.
    let before = connection_ports(&cluster, 0).await;
    assert!(
        !before.is_empty() && before.iter().all(|port| *port == ports[0]),
        "every connection is on the first address ({}): {before:?}",
        ports[0]
    );
    // The shipped policy spreads the queues' leaders over the nodes.
    let leaders = queue_leaders(&cluster, &names).await;
    eprintln!("queue leaders before the stop: {leaders:#?}");
    let leader_nodes: BTreeSet<&String> = leaders.values().collect();
    assert!(
        leader_nodes.len() > 1,
        "the queues' leaders are spread over the nodes: {leaders:#?}"
    );
    let led_by_node_0 = leaders
        .values()
        .filter(|node| cluster.index_of(node) == Some(0))
        .count();

    let backfill = {
        let plan = plan.clone();
        tokio::spawn(async move {
            let request = BackfillRequest {
                portal: "shpt".into(),
                section: None,
                since: None,
                until: None,
            };
            govwire::backfill::run(&plan, &request, |_| {}, CancellationToken::new()).await
        })
    };

    let tenth = (expected.len() / 10) as u64;
    wait_until(DEADLINE, "a tenth of the replies archived", || async {
        stats(http.clone(), stages.archive.clone()).await.replies >= tenth
    })
    .await;

    let archived_at_stop = stats(http.clone(), stages.archive.clone()).await.replies;
    let backfill_running_at_stop = !backfill.is_finished();
    cluster
        .stop_node(0)
        .await
        .unwrap_or_else(|error| panic!("stopping node 0 failed: {error}"));
    let stopped = Instant::now();
    eprintln!(
        "stopped node 0 with {archived_at_stop} of {} replies archived, the backfill {}, \
         {led_by_node_0} queue leaders on it",
        expected.len(),
        if backfill_running_at_stop {
            "still walking"
        } else {
            "done"
        }
    );

    // The pipeline carries on on the other nodes.
    wait_until(DEADLINE, "the archive to grow with node 0 down", || async {
        let now = stats(http.clone(), stages.archive.clone()).await.replies;
        now > archived_at_stop || now as usize == expected.len()
    })
    .await;
    wait_until(
        DEADLINE,
        "the connections to move to nodes 1 and 2",
        || async {
            let now = connection_ports(&cluster, 1).await;
            // The stages' connection and the witness's at least.
            now.len() >= 2 && now.iter().all(|port| *port != ports[0])
        },
    )
    .await;
    eprintln!(
        "with node 0 down, connections are on ports {:?} ({:?} after the stop)",
        connection_ports(&cluster, 1).await,
        stopped.elapsed()
    );

    cluster
        .start_node(0)
        .await
        .unwrap_or_else(|error| panic!("starting node 0 again failed: {error}"));
    let reports = tokio::time::timeout(DEADLINE, backfill)
        .await
        .expect("the backfill ends")
        .expect("the backfill task did not panic")
        .unwrap_or_else(|error| panic!("the backfill failed: {error:#}"));
    assert!(
        reports.iter().all(|report| report.completed),
        "every section walked to its end: {reports:#?}"
    );
    let give_up = Instant::now() + DEADLINE;
    while (stats(http.clone(), stages.archive.clone()).await.replies as usize) < expected.len() {
        if Instant::now() >= give_up {
            let mut missing = Vec::new();
            for id in &expected {
                if !archived(&http, &stages.archive, id).await {
                    missing.push(id.clone());
                }
            }
            let queues = cluster
                .ctl(&[
                    "list_queues",
                    "name",
                    "messages_ready",
                    "messages_unacknowledged",
                    "consumers",
                    "leader",
                    "--quiet",
                ])
                .await
                .unwrap_or_else(|error| error);
            let witnessed: Vec<Seen> = seen
                .lock()
                .unwrap()
                .iter()
                .filter(|e| missing.contains(&e.subject))
                .cloned()
                .collect();
            panic!(
                "timed out after {DEADLINE:?} waiting for all {} replies to be archived; \
                 missing: {missing:?}; their events as the witness saw them: {witnessed:?}; \
                 queues:\n{queues}",
                expected.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_until(
        DEADLINE,
        "the witness to see every reply's event",
        || async {
            let seen = seen.lock().unwrap();
            let ids: BTreeSet<&str> = seen.iter().map(|e| e.id.as_str()).collect();
            ids.len() >= expected.len()
        },
    )
    .await;
    // A duplicate would come from a late republish: let the stages settle.
    wait_until(DEADLINE, "the stages' queues to drain", || async {
        let mut empty = true;
        for name in ["parser", "notifier", "archive", "witness"] {
            let queue = bus_config.queue_name(name);
            empty &= matches!(witness_bus.queue_message_count(&queue).await, Ok(0));
        }
        empty
    })
    .await;
    watching.cancel();

    let stats_now = stats(http.clone(), stages.archive.clone()).await;
    assert_eq!(
        stats_now.replies as usize,
        expected.len(),
        "every reply archived"
    );
    assert_eq!(
        stats_now.versions as usize,
        expected.len(),
        "each reply archived once: one version each"
    );
    for id in &expected {
        assert!(
            archived(&http, &stages.archive, id).await,
            "{id} is in the archive"
        );
    }

    let seen = seen.lock().unwrap().clone();
    let distinct: BTreeMap<&str, &Seen> = seen.iter().map(|e| (e.id.as_str(), e)).collect();
    assert!(
        distinct
            .values()
            .all(|e| e.kind == "govwire.reply.published"),
        "only published events: {distinct:#?}"
    );
    assert_eq!(
        distinct.len(),
        expected.len(),
        "one published event per reply"
    );
    let subjects: BTreeSet<String> = distinct.values().map(|e| e.subject.clone()).collect();
    assert_eq!(subjects, expected, "an event about every reply, none twice");

    for name in ["parser", "notifier", "archive", "witness"] {
        let dlq = dead_letter_queue_name(&bus_config.queue_name(name));
        let count = witness_bus.queue_message_count(&dlq).await;
        assert!(matches!(count, Ok(0)), "{dlq} is empty: {count:?}");
    }

    let progress = progress.lock().unwrap().clone();
    eprintln!(
        "cluster failover: {} replies through the pipeline; longest gap in archiving \
         progress {:?}; {} event copies delivered twice (at least once, deduplicated by id)",
        expected.len(),
        progress.longest_gap,
        seen.len() - distinct.len()
    );

    stages.stop().await;
    witness_bus.close().await;
    db.cleanup().await;
}

/// Whether the archive at `archive` holds the reply `id`.
async fn archived(http: &reqwest::Client, archive: &str, id: &str) -> bool {
    http.get(format!("{archive}/replies/{}", urlencode(id)))
        .send()
        .await
        .expect("the archive API answers")
        .status()
        == reqwest::StatusCode::OK
}

/// The growth of the archive over time.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// The last count seen and when it was first seen.
    last: Option<(u64, Instant)>,
    /// The longest time the count stood still before growing again.
    longest_gap: Duration,
}

impl Progress {
    fn saw(&mut self, count: u64, at: Instant) {
        match self.last {
            Some((last, since)) if count > last => {
                self.longest_gap = self.longest_gap.max(at.duration_since(since));
                self.last = Some((count, at));
            }
            Some(_) => {}
            None if count > 0 => self.last = Some((count, at)),
            None => {}
        }
    }
}

/// The parser, notifier and archive of the test, run as `govwire` runs
/// them, on a thread and runtime of their own.
struct Stages {
    archive: String,
    cancel: CancellationToken,
    handle: std::thread::JoinHandle<anyhow::Result<()>>,
}

impl Stages {
    async fn start(plan: RunPlan) -> Stages {
        let (tx, rx) = tokio::sync::oneshot::channel::<SocketAddr>();
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        let handle = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime for the stages");
            runtime.block_on(services::run(
                plan,
                vec![Service::Parser, Service::Notifier, Service::Archive],
                token,
                Reports {
                    archive_bound: Some(tx),
                    analytics_bound: None,
                    telemetry_bound: None,
                },
            ))
        });
        let archive = match tokio::time::timeout(DEADLINE, rx).await {
            Ok(Ok(address)) => format!("http://{address}"),
            _ => {
                cancel.cancel();
                let outcome = tokio::task::spawn_blocking(move || handle.join()).await;
                panic!("the stages did not start: {outcome:?}");
            }
        };
        Stages {
            archive,
            cancel,
            handle,
        }
    }

    async fn stop(self) {
        self.cancel.cancel();
        let handle = self.handle;
        let joined = tokio::task::spawn_blocking(move || handle.join());
        match tokio::time::timeout(Duration::from_secs(60), joined).await {
            Ok(Ok(Ok(Ok(())))) => {}
            Ok(Ok(Ok(Err(error)))) => panic!("the stages stopped with an error: {error:#}"),
            other => panic!("the stages did not stop cleanly: {other:?}"),
        }
    }
}

/// Sets the policies of `deploy/rabbitmq/definitions.json` on the cluster,
/// as an operator loading the file does.
async fn apply_shipped_policies(cluster: &RabbitCluster) {
    let file: Value =
        serde_json::from_str(include_str!("../../deploy/rabbitmq/definitions.json")).unwrap();
    let policies = file["policies"].as_array().expect("the file has policies");
    assert!(!policies.is_empty());
    for policy in policies {
        let definition = policy["definition"].to_string();
        let priority = policy["priority"].to_string();
        cluster
            .ctl(&[
                "set_policy",
                "--vhost",
                policy["vhost"].as_str().unwrap(),
                "--apply-to",
                policy["apply-to"].as_str().unwrap(),
                "--priority",
                &priority,
                policy["name"].as_str().unwrap(),
                policy["pattern"].as_str().unwrap(),
                &definition,
            ])
            .await
            .unwrap_or_else(|error| panic!("the broker refuses the shipped policy: {error}"));
    }
}

/// The server-side AMQP ports of the cluster's client connections, as node
/// `via` (a running one) lists them.
async fn connection_ports(cluster: &RabbitCluster, via: usize) -> Vec<u16> {
    let out = cluster
        .node(via)
        .ctl(&["list_connections", "port", "--formatter", "json", "--quiet"])
        .await
        .unwrap_or_else(|error| panic!("listing connections failed: {error}"));
    let listed: Vec<Value> = serde_json::from_str(out.trim()).unwrap_or_default();
    listed
        .iter()
        .filter_map(|c| c["port"].as_u64())
        .filter_map(|port| u16::try_from(port).ok())
        .collect()
}

/// The leader node of each of the test's queues.
async fn queue_leaders(cluster: &RabbitCluster, names: &Names) -> BTreeMap<String, String> {
    let out = cluster
        .ctl(&[
            "list_queues",
            "name",
            "leader",
            "--formatter",
            "json",
            "--quiet",
        ])
        .await
        .unwrap_or_else(|error| panic!("listing queues failed: {error}"));
    let listed: Vec<Value> = serde_json::from_str(out.trim()).unwrap_or_default();
    listed
        .iter()
        .filter(|q| {
            q["name"]
                .as_str()
                .is_some_and(|name| name.contains(&names.suffix))
        })
        .filter_map(|q| {
            Some((
                q["name"].as_str()?.to_owned(),
                q["leader"].as_str()?.to_owned(),
            ))
        })
        .collect()
}
