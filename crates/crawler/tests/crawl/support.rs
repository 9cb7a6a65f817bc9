//! Test harness: the fixture portal on port 0, a fresh store, a collecting
//! sink, the repository's shpt profile pointed at the fixture, and a small
//! scriptable portal for what the fixture does not do (robots variants,
//! oversized bodies, redirects).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use chrono::NaiveDate;
use govwire_crawler::{Crawler, CrawlerOptions, PageSink, SinkError};
use govwire_fixture_portal::{corpus, Document, FixturePortal, Link, RunningPortal};
use govwire_model::{PortalProfile, RawPage};
use govwire_store::testing::{fresh_postgres, fresh_sqlite, TestDb};
use govwire_store::Store;
use tokio::sync::{watch, Notify};
use tokio_util::sync::{CancellationToken, DropGuard};

/// The profile the real deployment uses; tests point it at the fixture.
const SHPT_PROFILE: &str = include_str!("../../../../config/portals/shpt.toml");

/// The HTML list column of the shpt profile.
pub const HTML_COLUMN: &str = "qzxtabljg-jytabljg";

/// Section ids of the shpt profile and the channel or column each lists.
pub const SECTIONS: [(&str, &str); 3] = [
    ("district-gov-docs", "3"),
    ("bureau-docs", "6"),
    ("cppcc-proposal-replies", HTML_COLUMN),
];

/// How long a test waits for something that should happen at once.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// Logs of the crawler under test, shown for failing tests (`RUST_LOG`).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// A sink that keeps every page it is given, and tells waiters how many.
/// Made with [`CollectingSink::deciding`], it also stands for the rest of
/// the pipeline: each page is decided (its hand-over closed, as the
/// notifier does) as soon as it is handed on.
pub struct CollectingSink {
    pages: Mutex<Vec<RawPage>>,
    count: watch::Sender<usize>,
    decided_in: Option<Store>,
    on_delivery: Mutex<Option<DeliveryHook>>,
}

/// What a test does as a page is delivered, given the page and how many
/// were delivered with it.
type DeliveryHook = Box<dyn FnMut(&RawPage, usize) + Send>;

impl std::fmt::Debug for CollectingSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CollectingSink")
            .field("pages", &self.len())
            .field("deciding", &self.decided_in.is_some())
            .finish()
    }
}

impl CollectingSink {
    /// A sink whose pages are never decided downstream.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            pages: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            decided_in: None,
            on_delivery: Mutex::new(None),
        })
    }

    /// A sink whose pages are decided at once, recorded in `store`.
    pub fn deciding(store: Store) -> Arc<Self> {
        Arc::new(Self {
            pages: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            decided_in: Some(store),
            on_delivery: Mutex::new(None),
        })
    }

    /// Runs `hook` on every page delivered from now on, before the
    /// delivery returns to the crawler: a test's way to change the portal
    /// at a known point of a walk.
    pub fn on_delivery(&self, hook: impl FnMut(&RawPage, usize) + Send + 'static) {
        *self.on_delivery.lock().expect("hook lock") = Some(Box::new(hook));
    }

    /// Every page delivered so far.
    pub fn pages(&self) -> Vec<RawPage> {
        self.pages.lock().expect("sink lock").clone()
    }

    /// How many pages were delivered so far.
    pub fn len(&self) -> usize {
        self.pages.lock().expect("sink lock").len()
    }

    /// Pages delivered after the first `from`.
    pub fn pages_since(&self, from: usize) -> Vec<RawPage> {
        self.pages.lock().expect("sink lock")[from..].to_vec()
    }

    /// Waits until at least `n` pages were delivered, failing after
    /// [`DEADLINE`].
    pub async fn wait_for(&self, n: usize) {
        let mut rx = self.count.subscribe();
        let waited = tokio::time::timeout(DEADLINE, rx.wait_for(|count| *count >= n)).await;
        assert!(
            matches!(waited, Ok(Ok(_))),
            "expected {n} delivered pages within {DEADLINE:?}, got {}",
            self.len()
        );
    }
}

impl PageSink for CollectingSink {
    fn deliver(&self, page: RawPage) -> impl Future<Output = Result<(), SinkError>> + Send {
        let decided_in = self.decided_in.clone();
        let key = (
            page.portal.clone(),
            page.item_id.clone(),
            page.body_sha256(),
        );
        let n = {
            let mut pages = self.pages.lock().expect("sink lock");
            pages.push(page.clone());
            pages.len()
        };
        if let Some(hook) = self.on_delivery.lock().expect("hook lock").as_mut() {
            hook(&page, n);
        }
        self.count.send_replace(n);
        async move {
            if let Some(store) = decided_in {
                store
                    .close_handover(&key.0, &key.1, &key.2)
                    .await
                    .map_err(|e| SinkError::new(format!("cannot record the decision: {e}")))?;
            }
            Ok(())
        }
    }
}

/// The shpt profile as the repository ships it.
pub fn shpt_profile() -> PortalProfile {
    let profile: PortalProfile =
        toml::from_str(SHPT_PROFILE).expect("config/portals/shpt.toml parses");
    profile
        .validate()
        .expect("config/portals/shpt.toml is valid");
    profile
}

/// Options for tests: a few milliseconds between requests, revisits due at
/// once, big revisit rounds.
pub fn test_options(base_url: &str) -> CrawlerOptions {
    let mut options = CrawlerOptions::new("govwire-test/0.1 (+mailto:ops@example.org)");
    options.base_url_override = Some(base_url.to_owned());
    options.min_delay = Some(Duration::from_millis(2));
    options.revisit_interval = Duration::ZERO;
    options.revisit_batch = 10_000;
    options.backoff_base = Duration::from_millis(10);
    options.backoff_cap = Duration::from_millis(100);
    // A wait longer than this (a Retry-After, a block) fails the request at
    // once, so no test waits out a real politeness delay.
    options.max_inline_wait = Duration::from_secs(1);
    options
}

/// `n` news items listed in `channel` (item ids from `first`).
pub fn news_in(channel: &str, first: u32, n: u32) -> Vec<Document> {
    (0..n)
        .map(|i| {
            news(
                &(first + i).to_string(),
                channel,
                1 + (i % 28),
                &format!("政务动态 {channel} {i}"),
            )
        })
        .collect()
}

/// A news item listed in `channel`, published on 2026-07-`day`.
pub fn news(item_id: &str, channel: &str, day: u32, title: &str) -> Document {
    let date = NaiveDate::from_ymd_opt(2026, 7, day).expect("valid test date");
    Document::news_item(item_id, channel, date, title)
}

/// The fixture corpus plus, per section, enough news items for several list
/// pages (some with absolute links) and one entry on another host.
pub fn test_documents() -> Vec<Document> {
    let mut docs = corpus();
    let mut next_id = 900_000u32;
    for (_, channel) in SECTIONS {
        for day in 1..=12 {
            let mut doc = news(
                &next_id.to_string(),
                channel,
                day,
                &format!("政务动态 {channel} {day}"),
            );
            if day % 4 == 0 {
                doc.link = Link::Absolute;
            }
            docs.push(doc);
            next_id += 1;
        }
        let mut external = news(&next_id.to_string(), channel, 6, "转载：国务院文件");
        external.link = Link::External(format!(
            "https://www.gov.cn/zhengce/content/2026-07/06/{next_id}.html"
        ));
        docs.push(external);
        next_id += 1;
    }
    docs
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fixture portal, a fresh store and a crawler pointed at them.
pub struct Harness {
    pub portal: RunningPortal,
    pub db: TestDb,
    pub sink: Arc<CollectingSink>,
    pub crawler: Arc<Crawler<Arc<CollectingSink>>>,
    _stop_portal: DropGuard,
}

impl Harness {
    /// Starts everything on SQLite with [`test_documents`].
    pub async fn start() -> Harness {
        Harness::start_with(Backend::Sqlite, test_documents(), |_, _| {}).await
    }

    /// Starts everything, letting the test adjust the profile and options.
    pub async fn start_with(
        backend: Backend,
        docs: Vec<Document>,
        adjust: impl FnOnce(&mut PortalProfile, &mut CrawlerOptions),
    ) -> Harness {
        init_tracing();
        let cancel = CancellationToken::new();
        let portal =
            FixturePortal::start(SocketAddr::from(([127, 0, 0, 1], 0)), docs, cancel.clone())
                .await
                .expect("the fixture portal starts");
        let db = match backend {
            Backend::Sqlite => fresh_sqlite().await,
            Backend::Postgres => fresh_postgres().await,
        };
        let sink = CollectingSink::deciding(db.store.clone());
        let mut profile = shpt_profile();
        let mut options = test_options(&portal.base_url());
        adjust(&mut profile, &mut options);
        let crawler = Arc::new(
            Crawler::new(profile, db.store.clone(), Arc::clone(&sink), options)
                .expect("the crawler accepts the profile and options"),
        );
        Harness {
            portal,
            db,
            sink,
            crawler,
            _stop_portal: cancel.drop_guard(),
        }
    }

    /// Item ids of the pages the fixture serves for `channel` (entries on
    /// another host excluded).
    pub fn served_ids(&self, channel: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .portal
            .documents()
            .into_iter()
            .filter(|d| d.channel == channel && d.is_served())
            .map(|d| d.item_id)
            .collect();
        ids.sort();
        ids
    }

    /// How many entries of `channel` point to another host.
    pub fn foreign_count(&self, channel: &str) -> u32 {
        let n = self
            .portal
            .documents()
            .iter()
            .filter(|d| d.channel == channel && !d.is_served())
            .count();
        u32::try_from(n).expect("a small corpus")
    }

    /// Polls every section once, asserting each poll succeeds.
    pub async fn poll_all(&self) {
        for (section, _) in SECTIONS {
            self.crawler
                .poll_section(section)
                .await
                .unwrap_or_else(|e| panic!("poll of {section} failed: {e:?}"));
        }
    }
}

/// Item ids of `pages`, sorted, duplicates kept.
pub fn ids_of(pages: &[RawPage]) -> Vec<String> {
    let mut ids: Vec<String> = pages.iter().map(|p| p.item_id.clone()).collect();
    ids.sort();
    ids
}

/// One request a [`MiniPortal`] answered.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub at: tokio::time::Instant,
}

/// A small scriptable portal: the test gives the routes; every request is
/// recorded, and waiters are woken on each.
pub struct MiniPortal {
    pub base_url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    hit: Arc<Notify>,
    _stop: DropGuard,
}

impl MiniPortal {
    pub async fn start(routes: Router) -> MiniPortal {
        init_tracing();
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let hit = Arc::new(Notify::new());
        let (record_hits, record_hit) = (Arc::clone(&hits), Arc::clone(&hit));
        let app = routes.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let hits = Arc::clone(&record_hits);
                let hit = Arc::clone(&record_hit);
                async move {
                    let method = request.method().to_string();
                    let path = request.uri().path().to_owned();
                    let response: Response = next.run(request).await;
                    hits.lock().expect("hits lock").push(Hit {
                        method,
                        path,
                        status: response.status().as_u16(),
                        at: tokio::time::Instant::now(),
                    });
                    hit.notify_waiters();
                    response
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a port");
        let addr = listener.local_addr().expect("local address");
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(stop.cancelled_owned())
                .await;
            if let Err(error) = served {
                panic!("the mini portal failed: {error}");
            }
        });
        MiniPortal {
            base_url: format!("http://{addr}"),
            hits,
            hit,
            _stop: cancel.drop_guard(),
        }
    }

    /// Every request answered so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits lock").clone()
    }

    /// Paths requested so far, with how often.
    pub fn path_counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for hit in self.hits() {
            *counts.entry(hit.path).or_insert(0) += 1;
        }
        counts
    }

    /// Waits until at least `n` requests were answered, failing after
    /// [`DEADLINE`].
    pub async fn wait_for_hits(&self, n: usize) {
        let waited = tokio::time::timeout(DEADLINE, async {
            loop {
                let notified = self.hit.notified();
                if self.hits().len() >= n {
                    return;
                }
                notified.await;
            }
        })
        .await;
        assert!(
            waited.is_ok(),
            "expected {n} requests within {DEADLINE:?}, got {:?}",
            self.hits()
        );
    }
}

/// A one-section JSON profile for the mini portal.
pub fn mini_profile() -> PortalProfile {
    let text = r#"
id = "mini"
name = "mini portal"
base_url = "https://portal.example.org"
[politeness]
min_delay_ms = 3000
poll_interval_secs = 900
max_body_bytes = 65536
connect_timeout_secs = 5
request_timeout_secs = 10
[[sections]]
id = "docs"
name = "docs"
max_pages = 5
[sections.json_api]
endpoint = "/front/api/data/affair"
channel = "3"
page_size = 15
request = '{"channelList":["{channel}"],"pageSize":{page_size},"pageNo":{page}}'
[sections.json_api.fields]
list = "data.list"
id = "id"
title = "title"
url = "url"
date = "display_date"
page_no = "data.pageNo"
"#;
    toml::from_str(text).expect("the mini profile parses")
}

/// A list API answer: page 1 lists `items` (id, path), later pages are
/// empty.
pub fn list_answer(body: &str, items: &[(&str, &str)]) -> serde_json::Value {
    let page: u64 = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["pageNo"].as_u64())
        .unwrap_or(1);
    if page != 1 {
        return serde_json::json!({"data": {"list": [], "pageNo": 0}});
    }
    let list: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, url)| serde_json::json!({"id": id, "title": format!("文件 {id}"), "url": url, "display_date": "2026-07-01"}))
        .collect();
    serde_json::json!({"data": {"list": list, "pageNo": 1}})
}

/// A fresh SQLite store for tests on the mini portal.
pub async fn fresh_sqlite_store() -> TestDb {
    fresh_sqlite().await
}
