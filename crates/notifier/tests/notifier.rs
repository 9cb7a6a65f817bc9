//! The notifier daemon against the real broker and a real store: one event
//! per decision, none for a redelivered page, and an outbox that survives a
//! stop.

use std::time::Duration;

use govwire_bus::{Bus, BusConfig, Consumer, Message};
use govwire_model::pipeline::{NOTIFIER_QUEUE, PARSED_ROUTING_KEY};
use govwire_model::{PageOutcome, ParsedPage, Reply};
use govwire_notifier::{run, NotifierSettings};

const QUEUE: &str = NOTIFIER_QUEUE.name;
use govwire_store::testing::fresh_sqlite;
use tokio_util::sync::CancellationToken;

/// Pause between two looks at a condition being waited on (with a deadline).
const CONDITION_PAUSE: Duration = Duration::from_millis(50);

fn bus_config() -> BusConfig {
    let suffix = format!("{}-{:08x}", std::process::id(), rand_suffix());
    BusConfig {
        url: std::env::var("GOVWIRE_TEST_AMQP_URL")
            .unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into())
            .into(),
        events_exchange: format!("govwire.test.{suffix}.events"),
        pipeline_exchange: format!("govwire.test.{suffix}.pipeline"),
        queue_prefix: format!("govwire.test.{suffix}"),
        queue_expires_ms: Some(120_000),
        ..BusConfig::default()
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

fn real_reply() -> Reply {
    serde_json::from_str(include_str!(
        "../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .unwrap()
}

fn parsed(reply: Reply) -> ParsedPage {
    ParsedPage {
        portal: "shpt".into(),
        section: "district-gov-docs".into(),
        item_id: "160455".into(),
        url: "http://portal.test/zhengwu/x/2022/1/160455.html".into(),
        page_sha256: "0".repeat(64),
        outcome: PageOutcome::Reply {
            reply: Box::new(reply),
        },
        reparsed_by: None,
    }
}

async fn connect(cfg: &BusConfig) -> Bus {
    Bus::connect(cfg, "notifier-test")
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach RabbitMQ at {} (is it running?): {e}",
                cfg.redacted_url()
            )
        })
}

/// The notifier daemon on `store`, relaying its outbox every 100 ms, until
/// `cancel`.
async fn spawn_notifier(
    cfg: &BusConfig,
    store: &govwire_store::Store,
    cancel: &CancellationToken,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    tokio::spawn(run(
        connect(cfg).await,
        store.clone(),
        NotifierSettings {
            outbox_interval: Duration::from_millis(100),
            ..NotifierSettings::default()
        },
        cancel.clone(),
    ))
}

async fn send(bus: &Bus, page: &ParsedPage, id: &str) {
    let publisher = bus.publisher().await.unwrap();
    publisher
        .publish(&Message {
            exchange: bus.config().pipeline_exchange.clone(),
            routing_key: PARSED_ROUTING_KEY.into(),
            body: serde_json::to_vec(page).unwrap(),
            content_type: "application/json".into(),
            message_id: id.into(),
            kind: None,
            timestamp: None,
            headers: vec![],
        })
        .await
        .unwrap();
}

/// The broker is shared: remove what a test declared.
async fn clean_up(bus: &Bus) {
    let _ = bus.delete_work_queue(QUEUE).await;
    let _ = bus.delete_exchanges().await;
}

/// Waits until `condition` holds, failing the test naming `what` after 30 s.
async fn wait_for<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(CONDITION_PAUSE).await;
    }
}

async fn next_event(events: &mut Consumer, within: Duration) -> Option<serde_json::Value> {
    match tokio::time::timeout(within, events.next()).await {
        Ok(Some(Ok(d))) => {
            let v = serde_json::from_slice(d.body()).unwrap();
            d.ack().await.unwrap();
            Some(v)
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_delivered_twice_gives_one_published_event_and_an_edit_one_update() {
    let cfg = bus_config();
    let db = fresh_sqlite().await;
    let bus = connect(&cfg).await;
    bus.declare_exchanges().await.unwrap();
    bus.declare_work_queue(QUEUE, &cfg.pipeline_exchange, &[PARSED_ROUTING_KEY])
        .await
        .unwrap();
    let mut events = bus.tail("#").await.unwrap();

    let cancel = CancellationToken::new();
    let daemon = spawn_notifier(&cfg, &db.store, &cancel).await;

    let page = parsed(real_reply());
    send(&bus, &page, "m1").await;
    send(&bus, &page, "m1").await; // a redelivery as the broker would make it
    let first = next_event(&mut events, Duration::from_secs(30))
        .await
        .expect("a published event");
    assert_eq!(first["type"], "govwire.reply.published");
    assert_eq!(first["data"]["reply"]["version"], 1);

    let mut edited = real_reply();
    edited.cc.push("区人大常委会办公室".into());
    send(&bus, &parsed(edited), "m2").await;
    let second = next_event(&mut events, Duration::from_secs(30))
        .await
        .expect("an updated event");
    assert_eq!(second["type"], "govwire.reply.updated");
    assert_eq!(second["data"]["changes"][0]["field"], "cc");
    // The duplicate produced nothing: the next event after the first was the update.

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        db.store.pending_outbox(10).await.unwrap().is_empty(),
        "the outbox is drained"
    );
    clean_up(&bus).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_before_a_stop_are_published_at_the_next_start() {
    let cfg = bus_config();
    let db = fresh_sqlite().await;
    let bus = connect(&cfg).await;
    bus.declare_exchanges().await.unwrap();
    let mut events = bus.tail("#").await.unwrap();

    // A decision committed by a notifier that stopped before publishing.
    let page = parsed(real_reply());
    let keys = govwire_notifier::reply_keys(&page, &real_reply());
    let now = chrono::Utc::now();
    db.store
        .apply_reply(&keys, |known| {
            govwire_notifier::decide(&page, real_reply(), known, now)
        })
        .await
        .unwrap();
    assert_eq!(db.store.pending_outbox(10).await.unwrap().len(), 1);

    let cancel = CancellationToken::new();
    let daemon = spawn_notifier(&cfg, &db.store, &cancel).await;
    let event = next_event(&mut events, Duration::from_secs(30))
        .await
        .expect("the pending event");
    assert_eq!(event["type"], "govwire.reply.published");
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(db.store.pending_outbox(10).await.unwrap().is_empty());
    clean_up(&bus).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_event_no_one_listens_for_does_not_hold_back_reply_events() {
    let cfg = bus_config();
    let db = fresh_sqlite().await;
    let bus = connect(&cfg).await;
    bus.declare_exchanges().await.unwrap();
    bus.declare_work_queue(QUEUE, &cfg.pipeline_exchange, &[PARSED_ROUTING_KEY])
        .await
        .unwrap();
    // A subscriber of reply events only, as the archive is.
    let mut replies = bus.tail("*.reply.*").await.unwrap();

    // A section that listed entries and then three times none: the sweep
    // declares it degraded as soon as the notifier starts.
    for (minute, listed) in [(0, 15), (1, 0), (2, 0), (3, 0)] {
        db.store
            .record_section_poll(&govwire_store::SectionPollRecord {
                portal: "shpt".into(),
                section: "district-gov-docs".into(),
                at: chrono::Utc::now() + chrono::Duration::minutes(minute),
                listed,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let cancel = CancellationToken::new();
    let daemon = spawn_notifier(&cfg, &db.store, &cancel).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let health = db
            .store
            .section_health("shpt", "district-gov-docs")
            .await
            .unwrap()
            .unwrap();
        if health.is_degraded() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweep did not declare the section degraded: {health:?}"
        );
        tokio::time::sleep(CONDITION_PAUSE).await;
    }

    send(&bus, &parsed(real_reply()), "m1").await;
    let event = next_event(&mut replies, Duration::from_secs(30))
        .await
        .expect("the reply event gets past the unheard portal event");
    assert_eq!(event["type"], "govwire.reply.published");

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        db.store.pending_outbox(10).await.unwrap().is_empty(),
        "the portal event is recorded as published to no one"
    );
    clean_up(&bus).await;
    db.cleanup().await;
}

/// A page of a distinct reply (its own item, doc number and title).
fn parsed_distinct(n: u32) -> ParsedPage {
    let mut reply = real_reply();
    reply.doc_number = Some(format!("普府〔2022〕{}号", 100 + n));
    reply.id = format!("shpt:普府〔2022〕{}号", 100 + n).into();
    reply.title = format!("{} ({n})", reply.title);
    let mut page = parsed(reply);
    page.item_id = format!("{}", 170_000 + n);
    page.url = format!("http://portal.test/zhengwu/x/2022/1/{}.html", 170_000 + n);
    page.page_sha256 = format!("{n:064}");
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_outage_holds_parsed_pages_until_the_store_answers_and_dead_letters_none() {
    // Two deliveries of a message would dead-letter it: a requeue per
    // failed try would end every page in the dead-letter queue at once.
    let cfg = BusConfig {
        delivery_limit: 2,
        ..bus_config()
    };
    let (db, role) = govwire_store::testing::fresh_postgres_with_own_role().await;
    let pages: Vec<ParsedPage> = (1..=3).map(parsed_distinct).collect();
    for page in &pages {
        db.store
            .record_handover(
                &page.portal,
                &page.item_id,
                &page.page_sha256,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }
    let bus = connect(&cfg).await;
    bus.declare_exchanges().await.unwrap();
    let queue = bus
        .declare_work_queue(QUEUE, &cfg.pipeline_exchange, &[PARSED_ROUTING_KEY])
        .await
        .unwrap();
    let dlq = govwire_bus::dead_letter_queue_name(&queue);
    let mut events = bus.tail("#").await.unwrap();
    let cancel = CancellationToken::new();
    let daemon = spawn_notifier(&cfg, &db.store, &cancel).await;

    // The notifier's database role is locked out, as an operator or a
    // failover would; the pages arrive during the outage.
    role.lock_out().await;
    for (i, page) in pages.iter().enumerate() {
        send(&bus, page, &format!("outage-{i}")).await;
    }
    // The outage lasts three seconds: far longer than the few milliseconds
    // in which a requeue per try exhausts the delivery limit.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        bus.queue_message_count(&dlq).await.unwrap(),
        0,
        "an unavailable store dead-letters nothing"
    );
    role.let_in().await;

    let mut published = Vec::new();
    while published.len() < pages.len() {
        let event = next_event(&mut events, Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("only {} events after the outage", published.len()));
        assert_eq!(event["type"], "govwire.reply.published");
        published.push(event["subject"].as_str().unwrap().to_owned());
    }
    published.sort();
    published.dedup();
    assert_eq!(published.len(), 3, "one reply per page: {published:?}");
    assert_eq!(bus.queue_message_count(&dlq).await.unwrap(), 0);
    for page in &pages {
        assert_eq!(
            db.store
                .open_handover(&page.portal, &page.item_id)
                .await
                .unwrap(),
            None,
            "the decision closed the crawler's hand-over of {}",
            page.item_id
        );
    }

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    clean_up(&bus).await;
    db.store.close().await;
    drop(db);
    drop(role);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_no_subscriber_takes_is_kept_and_a_deleted_unrouted_queue_comes_back() {
    let cfg = bus_config();
    let db = fresh_sqlite().await;
    let bus = connect(&cfg).await;
    bus.declare_exchanges().await.unwrap();
    bus.declare_work_queue(QUEUE, &cfg.pipeline_exchange, &[PARSED_ROUTING_KEY])
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    let mut settings = NotifierSettings {
        outbox_interval: Duration::from_millis(100),
        ..NotifierSettings::default()
    };
    settings.sweep.interval = Duration::from_millis(100);
    let daemon = tokio::spawn(run(
        connect(&cfg).await,
        db.store.clone(),
        settings,
        cancel.clone(),
    ));
    let unrouted = cfg.queue_name(govwire_model::pipeline::UNROUTED_QUEUE);

    // No subscriber is bound: the event is published, confirmed, and kept.
    send(&bus, &parsed(real_reply()), "m1").await;
    wait_for("the event kept in the unrouted queue", || async {
        bus.queue_message_count(&unrouted).await.ok() == Some(1)
    })
    .await;
    assert!(db.store.pending_outbox(10).await.unwrap().is_empty());

    // Deleted by hand: the notifier declares it again at its next look.
    bus.delete_queue(&unrouted).await.unwrap();
    wait_for("the unrouted queue declared again", || async {
        bus.queue_message_count(&unrouted).await.is_ok()
    })
    .await;

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(30), daemon)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    clean_up(&bus).await;
    db.cleanup().await;
}
