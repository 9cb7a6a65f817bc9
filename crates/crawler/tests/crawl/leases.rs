//! Three crawler instances on one PostgreSQL store share a portal's
//! sections through leases.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use govwire_crawler::{Crawler, PageSink, SinkError};
use govwire_fixture_portal::{FixturePortal, RunningPortal};
use govwire_model::RawPage;
use govwire_store::testing::fresh_postgres;
use govwire_store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::{
    init_tracing, news, shpt_profile, test_documents, test_options, DEADLINE, SECTIONS,
};

/// Every page any instance delivered, with the instance's name.
#[derive(Default)]
struct Deliveries {
    pages: Mutex<Vec<(String, RawPage)>>,
    count: watch::Sender<usize>,
}

impl Deliveries {
    /// Delivered pages by item id, with who delivered each.
    fn by_item(&self) -> BTreeMap<String, Vec<(String, RawPage)>> {
        let mut all: BTreeMap<String, Vec<(String, RawPage)>> = BTreeMap::new();
        for (name, page) in self.pages.lock().expect("lock").iter() {
            all.entry(page.item_id.clone())
                .or_default()
                .push((name.clone(), page.clone()));
        }
        all
    }

    /// How many pages `name` delivered.
    fn count_by(&self, name: &str) -> usize {
        self.pages
            .lock()
            .expect("lock")
            .iter()
            .filter(|(n, _)| n == name)
            .count()
    }

    /// Waits until every id of `expected` was delivered by some instance.
    async fn wait_for_all(&self, expected: &[String]) {
        let mut rx = self.count.subscribe();
        let waited = tokio::time::timeout(DEADLINE, async {
            loop {
                let delivered = self.by_item();
                if expected.iter().all(|id| delivered.contains_key(id)) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        let delivered = self.by_item();
        let missing: Vec<_> = expected
            .iter()
            .filter(|id| !delivered.contains_key(*id))
            .collect();
        assert!(
            waited.is_ok() && missing.is_empty(),
            "not delivered within {DEADLINE:?}: {missing:?}"
        );
    }
}

/// The sink of one instance: tags its pages with the instance's name.
struct TaggedSink {
    name: String,
    all: Arc<Deliveries>,
}

impl PageSink for TaggedSink {
    fn deliver(&self, page: RawPage) -> impl Future<Output = Result<(), SinkError>> + Send {
        let n = {
            let mut pages = self.all.pages.lock().expect("lock");
            pages.push((self.name.clone(), page));
            pages.len()
        };
        self.all.count.send_replace(n);
        std::future::ready(Ok(()))
    }
}

/// One running crawler instance.
struct Instance {
    name: String,
    cancel: CancellationToken,
    task: JoinHandle<Result<(), govwire_crawler::CrawlError>>,
}

async fn start_instance(
    name: &str,
    portal: &RunningPortal,
    url: &secrecy::SecretString,
    all: &Arc<Deliveries>,
) -> Instance {
    let store = Store::connect(url)
        .await
        .expect("a store on the shared database");
    let sink = TaggedSink {
        name: name.to_owned(),
        all: Arc::clone(all),
    };
    let mut options = test_options(&portal.base_url());
    options.instance_id = name.to_owned();
    options.poll_interval = Some(Duration::from_millis(150));
    options.revisit_interval = Duration::from_secs(3600);
    options.lease_ttl = Duration::from_secs(2);
    let crawler = Crawler::new(shpt_profile(), store, sink, options)
        .expect("the crawler accepts the profile and options");
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let task = tokio::spawn(async move { crawler.run(token).await });
    Instance {
        name: name.to_owned(),
        cancel,
        task,
    }
}

fn assert_each_once(all: &Deliveries) {
    for (id, by) in all.by_item() {
        let names: Vec<&String> = by.iter().map(|(n, _)| n).collect();
        assert_eq!(
            by.len(),
            1,
            "item {id} was fetched by several polls: {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_sections_without_polling_one_twice_and_take_over_a_stopped_ones() {
    init_tracing();
    let stop_portal = CancellationToken::new();
    let _stop_portal = stop_portal.clone().drop_guard();
    let portal = FixturePortal::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        test_documents(),
        stop_portal,
    )
    .await
    .expect("the fixture portal starts");
    let db = fresh_postgres().await;
    // An instance that died holding the bureau section's lease.
    let now = Utc::now();
    let dead_until = now + chrono::Duration::seconds(2);
    assert!(db
        .store
        .claim_section("shpt", "bureau-docs", "dead-instance", now, dead_until)
        .await
        .expect("store"));

    let all = Arc::new(Deliveries::default());
    let a = start_instance("instance-a", &portal, &db.url, &all).await;
    let b = start_instance("instance-b", &portal, &db.url, &all).await;
    let c = start_instance("instance-c", &portal, &db.url, &all).await;
    let served: Vec<String> = SECTIONS
        .iter()
        .flat_map(|(_, channel)| {
            portal
                .documents()
                .into_iter()
                .filter(|d| d.channel == *channel && d.is_served())
                .map(|d| d.item_id)
                .collect::<Vec<_>>()
        })
        .collect();

    all.wait_for_all(&served).await;

    assert_each_once(&all);
    for (_, page) in all.by_item().values().flatten() {
        if page.section == "bureau-docs" {
            assert!(
                page.fetched_at >= dead_until,
                "the dead instance's section is polled only once its lease expired: {} at {}",
                page.item_id,
                page.fetched_at
            );
        }
    }

    // Stop instance A; new items in every section arrive through B and C.
    a.cancel.cancel();
    let stopped = tokio::time::timeout(DEADLINE, a.task).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    let a_count = all.count_by("instance-a");
    let mut fresh = Vec::new();
    for (i, (_, channel)) in SECTIONS.iter().enumerate() {
        let id = format!("{}", 990_000 + i);
        portal.add(news(&id, channel, 28, &format!("新增 {channel}")));
        fresh.push(id);
    }
    all.wait_for_all(&fresh).await;

    assert_eq!(
        all.count_by("instance-a"),
        a_count,
        "the stopped instance fetched nothing more"
    );
    assert_each_once(&all);
    let leases = db.store.section_leases("shpt").await.expect("store");
    assert!(
        leases
            .iter()
            .all(|l| l.holder.as_deref() != Some("instance-a")),
        "the stopped instance gave its leases back: {leases:?}"
    );

    for instance in [b, c] {
        instance.cancel.cancel();
        let stopped = tokio::time::timeout(DEADLINE, instance.task).await;
        assert!(
            matches!(stopped, Ok(Ok(Ok(())))),
            "{}: {stopped:?}",
            instance.name
        );
    }
    db.cleanup().await;
}
