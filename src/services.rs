//! The stages as daemons. Each runs until its cancellation token fires, then
//! stops taking work, finishes or hands back what is in flight (an unacked
//! message goes back to its queue) and closes its connections.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use govwire_bus::{Bus, Publisher};
use govwire_crawler::{Crawler, PageSink, SinkError};
use govwire_model::pipeline::{Envelope, WorkQueue, PARSER_QUEUE};
use govwire_model::{PortalProfile, RawPage};
use govwire_store::{FileWatch, Store, StoreError};
use secrecy::SecretString;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn, Instrument};

use crate::config::Config;

/// One stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    /// Polls portals and hands pages on.
    Crawler,
    /// Turns pages into records.
    Parser,
    /// Decides and publishes events.
    Notifier,
    /// Keeps every version and serves them.
    Archive,
    /// Delivers the events people's rules match.
    Alerts,
    /// Keeps the aggregates and serves the report.
    Analytics,
}

impl Service {
    /// Every stage, in pipeline order.
    pub const ALL: [Service; 6] = [
        Service::Crawler,
        Service::Parser,
        Service::Notifier,
        Service::Archive,
        Service::Alerts,
        Service::Analytics,
    ];

    /// The work queue the stage consumes, if it consumes one.
    pub fn consumes(self) -> Option<govwire_model::pipeline::WorkQueue> {
        use govwire_model::pipeline as p;
        match self {
            Service::Crawler => None,
            Service::Parser => Some(p::PARSER_QUEUE),
            Service::Notifier => Some(p::NOTIFIER_QUEUE),
            Service::Archive => Some(p::ARCHIVE_QUEUE),
            Service::Alerts => Some(p::ALERTS_QUEUE),
            Service::Analytics => Some(p::ANALYTICS_QUEUE),
        }
    }

    /// What a daemon of this stage, run alone, adds to
    /// `telemetry.listen`'s port.
    pub fn telemetry_offset(self) -> u16 {
        match self {
            Service::Crawler => 1,
            Service::Parser => 2,
            Service::Notifier => 3,
            Service::Archive => 4,
            Service::Alerts => 5,
            Service::Analytics => 6,
        }
    }

    /// The name used in logs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Service::Crawler => "crawler",
            Service::Parser => "parser",
            Service::Notifier => "notifier",
            Service::Archive => "archive",
            Service::Alerts => "alerts",
            Service::Analytics => "analytics",
        }
    }
}

/// Everything a run needs besides the configuration: the portal profiles as
/// resolved (with base-URL overrides) and where the archive API should bind.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// The configuration.
    pub config: Config,
    /// Profiles with their base-URL override, if any.
    pub portals: Vec<(PortalProfile, Option<String>)>,
    /// Overrides `archive.listen` (tests bind port 0).
    pub archive_listen: Option<SocketAddr>,
    /// Overrides `analytics.listen` (tests bind port 0).
    pub analytics_listen: Option<SocketAddr>,
    /// Overrides `telemetry.listen`, offset included (tests bind port 0).
    pub telemetry_listen: Option<SocketAddr>,
}

/// Things a running pipeline reports back (for tests and `make demo`).
#[derive(Debug, Default)]
pub struct Reports {
    /// Receives the archive API's bound address.
    pub archive_bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    /// Receives the analytics API's bound address.
    pub analytics_bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    /// Receives the health and metrics listener's bound address.
    pub telemetry_bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
}

/// Loads the configuration and profiles as the command line and environment
/// say.
pub fn plan(
    config_path: &std::path::Path,
    base_urls: &BTreeMap<String, String>,
) -> Result<RunPlan> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(config_path, env.clone())?;
    let config_dir = crate::config::config_dir(config_path);
    let env_map: BTreeMap<String, String> = env.into_iter().collect();
    let portals = config.portal_profiles(config_dir, base_urls, &env_map)?;
    Ok(RunPlan {
        config,
        portals,
        archive_listen: None,
        analytics_listen: None,
        telemetry_listen: None,
    })
}

/// Runs `services` until `cancel` fires or one of them fails; then stops the
/// others and returns the first failure.
pub async fn run(
    plan: RunPlan,
    services: Vec<Service>,
    cancel: CancellationToken,
    mut reports: Reports,
) -> Result<()> {
    let config = plan.config.clone();
    let bus_config = config.bus();
    // One store per distinct URL, shared by the stages that name it.
    let mut stores = Stores::default();
    let mut stage_stores = Vec::with_capacity(services.len());
    for service in &services {
        let Some(url) = store_url(&config, *service) else {
            continue;
        };
        stage_stores.push((*service, stores.open(url).await?));
    }
    // Every stage writes its row before any stage takes work, so a store
    // that cannot be written stops the start instead of every write after.
    for (service, store) in &stage_stores {
        check_writable(store, service.name()).await?;
    }
    let store_of = |service: Service| {
        stage_stores
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, store)| store.clone())
            .expect("every stage that needs a store has one")
    };

    // One connection for the process, each stage on channels of its own,
    // and the whole topology declared before any stage starts: a
    // subscriber's queue must exist before the first event is published, or
    // the event would reach only the queues bound so far.
    let (name, who) = match services.as_slice() {
        [one] => (one.name(), format!("the {}", one.name())),
        _ => ("all", "govwire".to_owned()),
    };
    let bus = Bus::connect(&bus_config, name).await.with_context(|| {
        format!(
            "{who} cannot reach RabbitMQ at {}",
            bus_config.redacted_url()
        )
    })?;
    let mut connected = Vec::with_capacity(services.len());
    for service in services {
        declare_topology(service, &bus)
            .await
            .with_context(|| format!("declaring the {}'s queues", service.name()))?;
        // Each stage closes its handle when it stops; the connection
        // closes with the last.
        connected.push((service, bus.share()));
    }
    let readiness = crate::health::Readiness {
        queues: connected
            .iter()
            .filter_map(|(service, _)| service.consumes())
            .map(|queue| bus_config.queue_name(queue.name))
            .collect(),
        bus: bus.clone(),
        stores: stores
            .all()
            .map(|store| (store.redacted_url().to_owned(), store.clone()))
            .collect(),
    };
    bus.close().await;

    let mut tasks: JoinSet<(&'static str, Result<()>)> = JoinSet::new();
    // Installed before any stage counts anything.
    crate::health::metrics();
    let listen = plan
        .telemetry_listen
        .unwrap_or_else(|| telemetry_address(config.telemetry.listen, &connected));
    let token = cancel.clone();
    let bound = reports.telemetry_bound.take();
    tasks.spawn(
        async move {
            (
                "health and metrics listener",
                crate::health::serve(listen, readiness, token, bound).await,
            )
        }
        .in_current_span(),
    );
    // A SQLite file deleted or replaced under a running daemon ends the run
    // with an error, so a supervisor restarts it (and the restart refuses
    // to start on the missing store).
    for watch in stores.all().filter_map(Store::file_watch) {
        let token = cancel.clone();
        tasks.spawn(
            async move {
                (
                    "store watch",
                    watch_store_file(watch, STORE_WATCH_INTERVAL, token).await,
                )
            }
            .in_current_span(),
        );
    }
    for (service, bus) in connected {
        let token = cancel.clone();
        let span = tracing::info_span!("service", service = service.name());
        match service {
            Service::Crawler => {
                let store = store_of(service);
                let plan = plan.clone();
                tasks.spawn(
                    async move { (service.name(), run_crawlers(bus, store, &plan, token).await) }
                        .instrument(span),
                );
            }
            Service::Parser => {
                let profiles: Vec<PortalProfile> =
                    plan.portals.iter().map(|(p, _)| p.clone()).collect();
                let store = store_of(service);
                tasks.spawn(
                    async move {
                        (
                            service.name(),
                            govwire_parser_stage::run(bus, store, profiles, token).await,
                        )
                    }
                    .instrument(span),
                );
            }
            Service::Notifier => {
                let store = store_of(service);
                let settings = config.notifier.settings();
                tasks.spawn(
                    async move {
                        let result =
                            govwire_notifier::run(bus.clone(), store, settings, token).await;
                        bus.close().await;
                        (service.name(), result)
                    }
                    .instrument(span),
                );
            }
            Service::Archive => {
                let store = store_of(service);
                let settings = govwire_archive::ArchiveSettings {
                    listen: Some(plan.archive_listen.unwrap_or(config.archive.listen)),
                };
                let bound = reports.archive_bound.take();
                tasks.spawn(
                    async move {
                        let result =
                            govwire_archive::run(bus.clone(), store, settings, token, bound).await;
                        bus.close().await;
                        (service.name(), result)
                    }
                    .instrument(span),
                );
            }
            Service::Analytics => {
                let store = store_of(service);
                let settings = govwire_analytics::AnalyticsSettings {
                    listen: Some(plan.analytics_listen.unwrap_or(config.analytics.listen)),
                };
                let bound = reports.analytics_bound.take();
                tasks.spawn(
                    async move {
                        let result =
                            govwire_analytics::run(bus.clone(), store, settings, token, bound)
                                .await;
                        bus.close().await;
                        (service.name(), result)
                    }
                    .instrument(span),
                );
            }
            Service::Alerts => {
                let store = store_of(service);
                let alerts = govwire_alerts::Alerts::from_config(&config.alerts)?;
                tasks.spawn(
                    async move {
                        let result = govwire_alerts::run(bus.clone(), store, alerts, token).await;
                        bus.close().await;
                        (service.name(), result)
                    }
                    .instrument(span),
                );
            }
        }
    }

    let mut first_error: Option<anyhow::Error> = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((service, Ok(()))) => {
                if !cancel.is_cancelled() {
                    warn!(service, "Service stopped on its own; stopping the others.");
                    cancel.cancel();
                }
            }
            Ok((service, Err(e))) => {
                error!(service, error = %format!("{e:#}"), "Service failed; stopping the others.");
                cancel.cancel();
                first_error.get_or_insert(e.context(format!("the {service} failed")));
            }
            Err(e) => {
                error!(error = %e, "Service task panicked; stopping the others.");
                cancel.cancel();
                first_error.get_or_insert(anyhow::anyhow!("a service task panicked: {e}"));
            }
        }
    }
    for store in stores.all() {
        store.close().await;
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Where this process serves health and metrics: `configured` for several
/// stages (`govwire all`), its port plus the stage's offset for one stage
/// alone, so the daemons of one machine do not collide (port 0 stays 0).
fn telemetry_address(configured: SocketAddr, stages: &[(Service, Bus)]) -> SocketAddr {
    match stages {
        [(one, _)] if configured.port() != 0 => SocketAddr::new(
            configured.ip(),
            configured.port().saturating_add(one.telemetry_offset()),
        ),
        _ => configured,
    }
}

/// Declares the exchanges and the queues `service` consumes or publishes
/// into. Idempotent; each daemon also declares its own on start.
pub async fn declare_topology(service: Service, bus: &Bus) -> Result<()> {
    let queues = match service {
        Service::Crawler => BusPageSink::QUEUES,
        Service::Parser => govwire_parser_stage::QUEUES,
        Service::Notifier => govwire_notifier::QUEUES,
        Service::Archive => govwire_archive::QUEUES,
        Service::Alerts => govwire_alerts::QUEUES,
        Service::Analytics => govwire_analytics::QUEUES,
    };
    bus.declare_stage_queues(queues).await?;
    Ok(())
}

/// The database `service` works in, if it needs one: the shared store's,
/// or a subscriber's own.
fn store_url(config: &Config, service: Service) -> Option<SecretString> {
    Some(match service {
        Service::Crawler | Service::Parser | Service::Notifier => config.store.url.clone(),
        Service::Archive => config.archive_store_url(),
        Service::Alerts => config.alerts_store_url(),
        Service::Analytics => config.analytics_store_url(),
    })
}

/// The stores a run has opened: one per distinct URL.
#[derive(Default)]
struct Stores {
    open: Vec<(SecretString, Store)>,
}

impl Stores {
    /// The store at `url`, opened on first use.
    async fn open(&mut self, url: SecretString) -> Result<Store> {
        use secrecy::ExposeSecret;
        if let Some((_, store)) = self
            .open
            .iter()
            .find(|(u, _)| u.expose_secret() == url.expose_secret())
        {
            return Ok(store.clone());
        }
        let store = open_store(url.clone()).await?;
        self.open.push((url, store.clone()));
        Ok(store)
    }

    fn all(&self) -> impl Iterator<Item = &Store> {
        self.open.iter().map(|(_, store)| store)
    }
}

/// How often a running daemon looks at its SQLite file to notice it being
/// deleted or replaced. Not configurable: a look is one `stat`, and a few
/// seconds of writes into a lost file is as long as a daemon should go on
/// unaware.
pub const STORE_WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Opens the existing store at `url`, naming it (redacted) when it cannot be
/// opened; a store that does not exist is refused with a pointer to
/// `govwire init`.
pub async fn open_store(url: SecretString) -> Result<Store> {
    let shown = govwire_store::redact_url(secrecy::ExposeSecret::expose_secret(&url));
    match Store::connect(&url).await {
        Ok(store) => Ok(store),
        Err(e @ StoreError::Missing { .. }) => Err(anyhow::Error::new(e).context(format!(
            "the store at {shown} does not exist; create it with `govwire init` \
             (a daemon never creates its store, so a lost one is noticed, not replaced)"
        ))),
        Err(e @ StoreError::NotWritable { .. }) => Err(anyhow::Error::new(e).context(format!(
            "the store at {shown} cannot be written; refusing to start"
        ))),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot open the store at {shown}"))),
    }
}

/// The write a daemon makes before it takes work: `holder` (the stage's
/// name) writes its row, or the start is refused naming the store and why.
pub async fn check_writable(store: &Store, holder: &str) -> Result<()> {
    store.check_writable(holder).await.with_context(|| {
        format!(
            "the {holder} cannot write to the store at {}; refusing to start",
            store.redacted_url()
        )
    })
}

/// Creates the stores the configuration names (the main store and each
/// subscriber's, when it is another) and applies their migrations:
/// `govwire init`. Idempotent.
pub async fn init_stores(config: &Config) -> Result<Vec<govwire_store::InitReport>> {
    let mut urls: Vec<SecretString> = Vec::new();
    for url in Service::ALL
        .iter()
        .filter_map(|service| store_url(config, *service))
    {
        if !urls.iter().any(|u| {
            secrecy::ExposeSecret::expose_secret(u) == secrecy::ExposeSecret::expose_secret(&url)
        }) {
            urls.push(url);
        }
    }
    let mut reports = Vec::with_capacity(urls.len());
    for url in urls {
        let shown = govwire_store::redact_url(secrecy::ExposeSecret::expose_secret(&url));
        let report = Store::init(&url)
            .await
            .with_context(|| format!("cannot create the store at {shown}"))?;
        info!(url = %report.redacted_url, created = report.created, migrations_applied = report.migrations_applied, "Store ready.");
        reports.push(report);
    }
    Ok(reports)
}

/// Looks at `watch`'s file every `every` until `cancel`; returns an error
/// naming the file once it is deleted or replaced.
async fn watch_store_file(
    watch: FileWatch,
    every: Duration,
    cancel: CancellationToken,
) -> Result<()> {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            _ = ticks.tick() => {}
        }
        if let Err(e) = watch.check() {
            error!(error = %e, path = %watch.path().display(), "The store's SQLite file is gone; stopping.");
            return Err(anyhow::Error::new(e).context(
                "the store was lost while running; stopping so nothing more is written \
                 into a file no one will read (restore it, or create a new one with `govwire init`)",
            ));
        }
    }
}

/// Hands fetched pages to the parser stage over the pipeline exchange, each
/// publish confirmed by the broker before the crawler records the page.
pub struct BusPageSink {
    /// One publisher (a channel of its own) per request the crawler may
    /// have in flight, so pages fetched together are confirmed together.
    publishers: Vec<Publisher>,
    /// The next publisher to use.
    next: std::sync::atomic::AtomicUsize,
    bus: Bus,
}

impl BusPageSink {
    /// The queue the crawler publishes into: the parser's, which must exist
    /// before the first page goes out, or the mandatory publish would come
    /// back unroutable.
    pub const QUEUES: &'static [WorkQueue] = &[PARSER_QUEUE];

    /// A sink on `bus`: declares the pipeline exchange and the parser's
    /// queue first, so the first publish is routable.
    pub async fn connect(bus: &Bus, concurrency: u32) -> Result<Self> {
        bus.declare_stage_queues(Self::QUEUES).await?;
        Self::on(bus, concurrency).await
    }

    /// Another sink on `bus`, whose queues a sink before it declared: its
    /// own publishers (channels of their own, one per request the crawler
    /// may have in flight), no declarations.
    async fn on(bus: &Bus, concurrency: u32) -> Result<Self> {
        let mut publishers = Vec::new();
        for _ in 0..concurrency.max(1) {
            publishers.push(bus.publisher().await?);
        }
        Ok(Self {
            publishers,
            next: std::sync::atomic::AtomicUsize::new(0),
            bus: bus.clone(),
        })
    }
}

impl PageSink for BusPageSink {
    async fn deliver(&self, page: RawPage) -> Result<(), SinkError> {
        let body = serde_json::to_vec(&page)
            .map_err(|e| SinkError::new(format!("cannot serialize page: {e}")))?;
        let message = self
            .bus
            .pipeline_message(Envelope::raw_page(&page), body, page.fetched_at);
        let next = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.publishers[next % self.publishers.len()]
            .publish(&message)
            .await
            .map_err(|e| SinkError::new(format!("cannot hand the page to the parser stage: {e}")))
    }
}

async fn run_crawlers(
    bus: Bus,
    store: Store,
    plan: &RunPlan,
    cancel: CancellationToken,
) -> Result<()> {
    let config = &plan.config.crawler;
    let mut crawlers = JoinSet::new();
    // `run` declared the parser's queue for the crawler before any stage
    // started; each portal's sink only opens its own publisher.
    for (profile, base_url) in &plan.portals {
        let options = config.options(base_url.clone(), None);
        let concurrency = options
            .concurrency
            .unwrap_or(profile.politeness.concurrency);
        let sink = BusPageSink::on(&bus, concurrency).await?;
        let crawler = Crawler::new(profile.clone(), store.clone(), sink, options)
            .with_context(|| format!("cannot set up the crawler for portal `{}`", profile.id))?;
        let token = cancel.clone();
        let portal = profile.id.clone();
        crawlers.spawn(
            async move {
                let result = crawler.run(token).await;
                (portal, result)
            }
            .in_current_span(),
        );
    }
    let mut failure = None;
    while let Some(joined) = crawlers.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((portal, Err(e))) => {
                cancel.cancel();
                failure.get_or_insert(
                    anyhow::Error::new(e).context(format!("crawling portal `{portal}`")),
                );
            }
            Err(e) => {
                cancel.cancel();
                failure.get_or_insert(anyhow::anyhow!("a crawler task panicked: {e}"));
            }
        }
    }
    bus.close().await;
    info!("Crawler stopped.");
    failure.map_or(Ok(()), Err)
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!(error = %e, "Cannot listen for Ctrl-C.");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!(error = %e, "Cannot listen for SIGTERM.");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => info!("SIGINT received; stopping."),
        _ = term => info!("SIGTERM received; stopping."),
    }
}
