//! Repairing subscribers from what govwire keeps: `replay` gives a fresh
//! queue the archive's exact event sequence; `reparse` after a profile
//! change gives exactly the updates the new reading calls for, each naming
//! the parser, and nothing else.

use std::collections::BTreeSet;
use std::time::Duration;

use govwire::repair::{reparse, reparsed_by, replay, ReparseRequest, ReplayTarget};
use govwire_bus::Bus;
use govwire_model::{PageOutcome, PortalProfile};
use govwire_store::testing::TestDb;
use govwire_store::{EventLogFilter, Store};
use serde_json::Value;

use crate::harness::{corpus_goldens, spawn_pipeline, wait_until, Names, Pipeline};

const DEADLINE: Duration = Duration::from_secs(120);

/// The pipeline with the corpus archived and one reply edited (so the log
/// holds an update too), and a store open on the test's database.
async fn archived_with_an_edit(db: &TestDb) -> (Pipeline, Store, usize) {
    let names = Names::unique();
    let pipeline = spawn_pipeline(&names, db, None).await;
    let goldens = corpus_goldens();
    pipeline.wait_archived(goldens.len()).await;
    let real = "shpt:普府〔2022〕55号";
    let item = pipeline.item_id_of(real);
    assert!(pipeline
        .portal
        .edit(&item, |doc| doc.set_handling_result("部分采纳")));
    wait_until(DEADLINE, "the archive holds version 2", || async {
        pipeline
            .archived_reply(real)
            .await
            .is_some_and(|r| r["version"] == 2)
    })
    .await;
    let store = Store::connect(&db.url).await.expect("the test store opens");
    (pipeline, store, goldens.len() + 1)
}

fn reply_events(pipeline: &Pipeline) -> Vec<crate::harness::RecordedEvent> {
    pipeline
        .events()
        .into_iter()
        .filter(|e| e.kind.starts_with("govwire.reply."))
        .collect()
}

pub async fn replay_gives_a_fresh_queue_the_archives_exact_event_sequence(db: TestDb) {
    let (pipeline, store, events) = archived_with_an_edit(&db).await;
    let logged = store
        .logged_events(&EventLogFilter::default(), None, 10_000)
        .await
        .unwrap();
    assert_eq!(logged.len(), events, "every archived event is logged");
    // What was published is what is logged, byte for byte.
    let published = reply_events(&pipeline);
    assert_eq!(published.len(), events);
    for event in &logged {
        let seen = published
            .iter()
            .find(|p| p.message_id == event.event_id)
            .expect("a logged event was published");
        assert_eq!(
            serde_json::from_slice::<Value>(&event.body).unwrap(),
            seen.body
        );
    }
    assert!(logged.windows(2).all(|w| w[0].time <= w[1].time));

    let bus = Bus::connect(pipeline.bus_config(), "replay-test")
        .await
        .expect("the broker answers");
    // A new subscriber's queue, bound to nothing yet.
    let queue = bus
        .declare_work_queue("fresh-subscriber", &bus.config().events_exchange, &[])
        .await
        .unwrap();
    let filter = EventLogFilter {
        since: Some(govwire::repair::parse_instant("2000-01-01").unwrap()),
        ..EventLogFilter::default()
    };
    let mut seen_progress = Vec::new();
    let report = replay(
        &bus,
        &store,
        &filter,
        &ReplayTarget::Queue(queue.clone()),
        |done, total| seen_progress.push((done, total)),
    )
    .await
    .expect("replay");
    assert_eq!(report.published as usize, events);
    assert_eq!(seen_progress.last(), Some(&(events as u64, events as u64)));

    let mut consumer = bus.consumer(&queue, "replay-test").await.unwrap();
    let mut received = Vec::new();
    while received.len() < events {
        let delivery = tokio::time::timeout(DEADLINE, consumer.next())
            .await
            .expect("the replayed events arrive in time")
            .expect("a delivery")
            .expect("no error");
        received.push((
            delivery.message_id().unwrap().to_owned(),
            delivery.body().to_vec(),
        ));
        delivery.ack().await.unwrap();
    }
    let expected: Vec<(String, Vec<u8>)> = logged
        .iter()
        .map(|e| (e.event_id.clone(), e.body.clone()))
        .collect();
    assert_eq!(received, expected, "the archive's sequence, ids and bodies");
    consumer.cancel().await.unwrap();

    // A queue that does not exist is named, not silently missed.
    let missing = replay(
        &bus,
        &store,
        &filter,
        &ReplayTarget::Queue(format!("{queue}.missing")),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        format!("{missing:#}").contains("does not exist"),
        "{missing:#}"
    );

    bus.delete_work_queue("fresh-subscriber").await.unwrap();
    bus.close().await;
    store.close().await;
    pipeline.stop().await;
    db.cleanup().await;
}

pub async fn reparse_after_a_profile_change_gives_exactly_the_expected_updates(db: TestDb) {
    let (pipeline, store, events) = archived_with_an_edit(&db).await;
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals/shpt.toml"),
    )
    .unwrap();
    // The change: the current layout's `.col-md-5` cells (主题分类,
    // 成文日期, 发布日期) are no longer read as the portal's metadata. (A
    // block the profile stops naming altogether would still be read, by
    // its labels, without the selector.)
    let changed_text = shipped.replace(
        r#"info_cell = ".col-md-7, .col-md-5, td""#,
        r#"info_cell = ".col-md-7, td""#,
    );
    assert_ne!(changed_text, shipped, "the shipped profile names the cells");
    let changed: PortalProfile = toml::from_str(&changed_text).unwrap();

    // What the change should do, read page by page apart from the command.
    let records = store
        .current_records(None, None, None, 10_000)
        .await
        .unwrap();
    // Read a few at a time, the records are the same, in the same order.
    let mut paged: Vec<String> = Vec::new();
    loop {
        let page = store
            .current_records(None, None, paged.last().map(String::as_str), 7)
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        paged.extend(page.iter().map(|r| r.id.to_string()));
    }
    let all: Vec<String> = records.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(paged, all);
    assert_eq!(
        store.count_current_records(None, None).await.unwrap() as usize,
        all.len()
    );

    let mut expected = BTreeSet::new();
    for record in &records {
        let sha = record
            .page_sha256
            .as_deref()
            .expect("the record names its page");
        let page = store
            .kept_page(sha)
            .await
            .unwrap()
            .expect("its page is kept");
        let parsed = govwire_parser::parse_page(&page, &changed).unwrap();
        let PageOutcome::Reply { reply } = parsed.outcome else {
            panic!("{} is still a reply", record.id)
        };
        if reply.content_sha256 != record.content_sha256 {
            expected.insert(record.id.to_string());
        }
    }
    assert!(
        !expected.is_empty() && expected.len() < records.len(),
        "the change touches some replies, not all: {expected:?}"
    );

    let bus = Bus::connect(pipeline.bus_config(), "reparse-test")
        .await
        .expect("the broker answers");
    let before = reply_events(&pipeline).len();
    assert_eq!(before, events);
    // Every reply, with the changed profile.
    let everything = ReparseRequest::default();
    let reparse_all = || {
        reparse(
            &bus,
            &store,
            std::slice::from_ref(&changed),
            &everything,
            |_, _| {},
        )
    };
    let report = reparse_all().await.expect("reparse");
    assert_eq!(
        report.changed.iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(report.unchanged, records.len() - expected.len());
    assert_eq!((report.without_page, report.refused.len()), (0, 0));

    wait_until(DEADLINE, "one update per changed reading", || async {
        reply_events(&pipeline).len() >= before + expected.len()
    })
    .await;
    // Everything handed on has been decided and published.
    let notifier_queue = bus
        .config()
        .queue_name(govwire_model::pipeline::NOTIFIER_QUEUE.name);
    wait_until(
        DEADLINE,
        "the notifier's queue and outbox drained",
        || async {
            bus.queue_message_count(&notifier_queue).await.ok() == Some(0)
                && store.outbox_pending_count().await.ok() == Some(0)
        },
    )
    .await;
    let after = reply_events(&pipeline);
    let new = &after[before..];
    assert_eq!(new.len(), expected.len(), "nothing else: {new:#?}");
    let by = reparsed_by(&changed);
    for event in new {
        assert_eq!(event.kind, "govwire.reply.updated");
        assert_eq!(event.body["data"]["reparsed_by"], by.as_str());
    }
    let subjects: BTreeSet<String> = new
        .iter()
        .map(|e| e.body["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subjects, expected);

    // Read again with the same profile: the records now match it.
    let again = reparse_all().await.unwrap();
    assert!(again.changed.is_empty(), "{:?}", again.changed);

    bus.close().await;
    store.close().await;
    pipeline.stop().await;
    db.cleanup().await;
}
