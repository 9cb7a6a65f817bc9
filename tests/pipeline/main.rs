//! End-to-end: the fixture portal and every stage, on random ports with
//! unique exchange, queue and database names, talking over the real broker
//! to a real database (SQLite and PostgreSQL).

mod alerts;
mod analytics;
mod cluster;
mod harness;
mod python_consumer;
mod repair;
mod telemetry;

use std::time::Duration;

use alerts::{
    email_and_update_rules_deliver_what_they_match,
    webhook_deliveries_are_signed_retried_and_never_repeated,
};
use govwire_store::testing::{fresh_postgres, fresh_sqlite, TestDb};
use harness::{corpus_goldens, spawn_pipeline, wait_until, Names};
use repair::{
    reparse_after_a_profile_change_gives_exactly_the_expected_updates,
    replay_gives_a_fresh_queue_the_archives_exact_event_sequence,
};

const DEADLINE: Duration = Duration::from_secs(120);

async fn every_reply_reaches_the_archive_exactly_once(db: TestDb) {
    let names = Names::unique();
    let pipeline = spawn_pipeline(&names, &db, None).await;
    let goldens = corpus_goldens();
    pipeline.wait_archived(goldens.len()).await;
    // Let the crawler go round once more, so a late duplicate would show.
    pipeline.wait_for_full_polls(2).await;

    let stats = pipeline.archive_stats().await;
    assert_eq!(stats.replies as usize, goldens.len(), "replies archived");
    assert_eq!(stats.versions as usize, goldens.len(), "one version each");

    let events = pipeline.events();
    let published: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "govwire.reply.published")
        .collect();
    assert_eq!(
        published.len(),
        goldens.len(),
        "one published event per reply: {events:#?}"
    );
    assert!(
        events.iter().all(|e| e.kind == "govwire.reply.published"),
        "{events:#?}"
    );
    for event in &published {
        assert_eq!(
            event.message_id,
            event.body["id"].as_str().unwrap(),
            "message_id is the event id"
        );
        assert_eq!(event.content_type, "application/cloudevents+json");
        assert_eq!(event.body["specversion"], "1.0");
        assert_eq!(event.body["source"], "/portals/shpt");
        assert_eq!(event.routing_key, "shpt.reply.published");
        assert_eq!(event.body["subject"], event.body["data"]["reply"]["id"]);
    }

    for golden in &goldens {
        let archived = pipeline
            .archived_reply(&golden.id)
            .await
            .unwrap_or_else(|| panic!("{} is not in the archive", golden.id));
        harness::assert_same_content(golden, &archived);
        assert_eq!(archived["version"], 1);
    }
    analytics::assert_analytics_agree_with_the_archive(&pipeline, &goldens).await;
    telemetry::assert_health_and_metrics_tell_the_run(&pipeline, goldens.len()).await;
    pipeline.stop().await;
    db.cleanup().await;
}

async fn an_edit_yields_exactly_one_update_naming_the_changed_field(db: TestDb) {
    let names = Names::unique();
    let pipeline = spawn_pipeline(&names, &db, None).await;
    let goldens = corpus_goldens();
    pipeline.wait_archived(goldens.len()).await;

    let real = goldens
        .iter()
        .find(|g| g.id == "shpt:普府〔2022〕55号")
        .expect("the real reply is in the corpus");
    let item = pipeline.item_id_of(&real.id);
    assert!(
        pipeline
            .portal
            .edit(&item, |doc| doc.set_handling_result("部分采纳")),
        "the fixture knows item {item}"
    );
    wait_until(DEADLINE, "an updated event", || async {
        pipeline
            .events()
            .iter()
            .any(|e| e.kind == "govwire.reply.updated")
    })
    .await;
    // The crawler revisits the page twice more; still one update.
    pipeline.wait_for_revisits(&item, 2).await;

    let updates: Vec<_> = pipeline
        .events()
        .into_iter()
        .filter(|e| e.kind == "govwire.reply.updated")
        .collect();
    assert_eq!(updates.len(), 1, "{updates:#?}");
    let update = &updates[0];
    assert_eq!(update.routing_key, "shpt.reply.updated");
    assert_eq!(update.body["subject"], real.id.as_str());
    assert_eq!(update.body["data"]["previous"]["version"], 1);
    assert_eq!(update.body["data"]["reply"]["version"], 2);
    let fields: Vec<&str> = update.body["data"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["handling_result.category", "handling_result.raw"]
    );
    assert_eq!(
        update.body["data"]["reply"]["handling_result"]["raw"],
        "部分采纳"
    );

    wait_until(DEADLINE, "the archive holds version 2", || async {
        pipeline
            .archived_reply(&real.id)
            .await
            .is_some_and(|r| r["version"] == 2)
    })
    .await;
    let stats = pipeline.archive_stats().await;
    assert_eq!(stats.versions as usize, goldens.len() + 1);
    pipeline.stop().await;
    db.cleanup().await;
}

async fn restarting_the_pipeline_publishes_nothing_new(db: TestDb) {
    let names = Names::unique();
    let pipeline = spawn_pipeline(&names, &db, None).await;
    let goldens = corpus_goldens();
    pipeline.wait_archived(goldens.len()).await;
    let recorder = pipeline.recorder();
    let portal = pipeline.portal.clone();
    let before = recorder.len();
    pipeline.stop_keeping_queues().await;

    // Same database, same exchange and queues, same portal: a restart.
    let restarted = spawn_pipeline(&names, &db, Some((portal, recorder.clone()))).await;
    restarted.wait_for_full_polls(2).await;
    let first_item = restarted.item_id_of(&goldens[0].id);
    restarted.wait_for_revisits(&first_item, 1).await;
    assert_eq!(
        recorder.len(),
        before,
        "no event after the restart: {:#?}",
        &recorder.all()[before..]
    );
    assert_eq!(
        restarted.archive_stats().await.versions as usize,
        goldens.len()
    );
    restarted.stop().await;
    db.cleanup().await;
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(fresh_sqlite().await).await })*
        }
        mod postgres {
            use super::*;
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(fresh_postgres().await).await })*
        }
    };
}

on_both_backends!(
    every_reply_reaches_the_archive_exactly_once,
    an_edit_yields_exactly_one_update_naming_the_changed_field,
    restarting_the_pipeline_publishes_nothing_new,
    webhook_deliveries_are_signed_retried_and_never_repeated,
    email_and_update_rules_deliver_what_they_match,
    replay_gives_a_fresh_queue_the_archives_exact_event_sequence,
    reparse_after_a_profile_change_gives_exactly_the_expected_updates,
);
mod dead_letters;
mod withdrawal;
