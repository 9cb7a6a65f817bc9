//! run_consumer: the outcome of the handler decides the fate of the message.

use std::sync::{Arc, Mutex};

use govwire_bus::{dead_letter_queue_name, run_consumer, HandlerError, REASON_HEADER};
use tokio_util::sync::CancellationToken;

use crate::helpers::{next_delivery, spawn_bus, wait_for, wait_for_queue_depth, WAIT};

/// What the handler saw: (message id, delivery count), in order.
type Seen = Arc<Mutex<Vec<(String, u32)>>>;

fn seen_ids(seen: &Seen) -> Vec<(String, u32)> {
    seen.lock().expect("seen lock").clone()
}

/// Runs a consumer whose handler decides by the message id: `ok-*` succeed,
/// `retry-*` fail once then succeed, `poison-*` are poison, `panic-*`
/// panic in their future on the first delivery, `syncpanic-*` panic in the
/// handler call itself on the first delivery.
fn spawn_runner(
    consumer: govwire_bus::Consumer,
    publisher: govwire_bus::Publisher,
    cancel: CancellationToken,
    seen: Seen,
) -> tokio::task::JoinHandle<Result<(), govwire_bus::BusError>> {
    tokio::spawn(run_consumer(consumer, publisher, cancel, move |delivery| {
        let id = delivery.message_id().unwrap_or("-").to_owned();
        let count = delivery.delivery_count();
        seen.lock().expect("seen lock").push((id.clone(), count));
        if id.starts_with("syncpanic-") && count == 0 {
            panic!("handler bug before its future");
        }
        async move {
            if id.starts_with("retry-") && count == 0 {
                return Err(HandlerError::Retry(anyhow::anyhow!("database is busy")));
            }
            if id.starts_with("poison-") {
                return Err(HandlerError::Poison("unparsable body".to_owned()));
            }
            if id.starts_with("panic-") && count == 0 {
                panic!("handler bug");
            }
            Ok(())
        }
    }))
}

#[tokio::test]
async fn run_consumer_acks_on_ok() {
    let t = spawn_bus("run-ok", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    for id in ["ok-1", "ok-2"] {
        publisher
            .publish(&t.message("parsed", id, "{}"))
            .await
            .expect("publish");
    }
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = spawn_runner(consumer, publisher, cancel.clone(), seen.clone());

    wait_for("both messages to be handled", || async {
        (seen_ids(&seen).len() == 2).then_some(())
    })
    .await;
    cancel.cancel();
    let stopped = tokio::time::timeout(WAIT, task)
        .await
        .expect("run_consumer stops after cancel")
        .expect("task did not panic");
    assert!(stopped.is_ok(), "{stopped:?}");

    // Acknowledged: nothing comes back once the consumer is gone.
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    assert_eq!(
        seen_ids(&seen),
        vec![("ok-1".to_owned(), 0), ("ok-2".to_owned(), 0)]
    );
    t.cleanup().await;
}

#[tokio::test]
async fn run_consumer_requeues_on_retry() {
    let t = spawn_bus("run-retry", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("parsed", "retry-1", "{}"))
        .await
        .expect("publish");
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = spawn_runner(consumer, publisher, cancel.clone(), seen.clone());

    wait_for("the retried message to come back", || async {
        (seen_ids(&seen).len() == 2).then_some(())
    })
    .await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ok");

    assert_eq!(
        seen_ids(&seen),
        vec![("retry-1".to_owned(), 0), ("retry-1".to_owned(), 1)]
    );
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    wait_for_queue_depth(&t.bus, &dead_letter_queue_name(&queue), 0).await;
    t.cleanup().await;
}

#[tokio::test]
async fn run_consumer_dead_letters_poison() {
    let t = spawn_bus("run-poison", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let dlq = dead_letter_queue_name(&queue);
    let publisher = t.bus.publisher().await.expect("publisher");
    for id in ["poison-1", "ok-1"] {
        publisher
            .publish(&t.message("parsed", id, "{}"))
            .await
            .expect("publish");
    }
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = spawn_runner(consumer, publisher, cancel.clone(), seen.clone());

    wait_for_queue_depth(&t.bus, &dlq, 1).await;
    wait_for("the good message to be handled", || async {
        (seen_ids(&seen).len() == 2).then_some(())
    })
    .await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ok");

    // Poison is handled once, never retried.
    assert_eq!(
        seen_ids(&seen),
        vec![("poison-1".to_owned(), 0), ("ok-1".to_owned(), 0)]
    );
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    let mut dead = t.bus.consumer(&dlq, "dlq-reader").await.expect("dlq");
    let dead_letter = next_delivery(&mut dead).await;
    assert_eq!(dead_letter.message_id(), Some("poison-1"));
    assert_eq!(
        dead_letter.header(REASON_HEADER).as_deref(),
        Some("unparsable body")
    );
    dead_letter.ack().await.expect("ack");
    dead.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn a_panicking_handler_is_retried_not_fatal() {
    let t = spawn_bus("run-panic", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    for id in ["panic-1", "syncpanic-1"] {
        publisher
            .publish(&t.message("parsed", id, "{}"))
            .await
            .expect("publish");
    }
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = spawn_runner(consumer, publisher, cancel.clone(), seen.clone());

    wait_for(
        "both messages to be handled again after the panics",
        || async { (seen_ids(&seen).len() == 4).then_some(()) },
    )
    .await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("the loop survived the panics")
        .expect("ok");
    let mut handled = seen_ids(&seen);
    handled.sort();
    assert_eq!(
        handled,
        vec![
            ("panic-1".to_owned(), 0),
            ("panic-1".to_owned(), 1),
            ("syncpanic-1".to_owned(), 0),
            ("syncpanic-1".to_owned(), 1),
        ]
    );
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    t.cleanup().await;
}

#[tokio::test]
async fn cancelling_run_consumer_stops_it_and_leaves_later_messages_queued() {
    let t = spawn_bus("run-cancel", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = spawn_runner(consumer, publisher.clone(), cancel.clone(), seen.clone());

    cancel.cancel();
    let stopped = tokio::time::timeout(WAIT, task)
        .await
        .expect("run_consumer returns promptly after cancel")
        .expect("no panic");
    assert!(stopped.is_ok(), "{stopped:?}");

    // Nobody consumes any more: a new message stays in the queue.
    publisher
        .publish(&t.message("parsed", "ok-late", "{}"))
        .await
        .expect("publish");
    wait_for_queue_depth(&t.bus, &queue, 1).await;
    assert!(seen_ids(&seen).is_empty());
    t.cleanup().await;
}

#[tokio::test]
async fn cancelling_during_a_handler_lets_it_finish_and_settle() {
    let t = spawn_bus("run-inflight", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("parsed", "slow-1", "{}"))
        .await
        .expect("publish");
    let cancel = CancellationToken::new();
    let started = CancellationToken::new();
    let release = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = {
        let (started, release) = (started.clone(), release.clone());
        tokio::spawn(run_consumer(
            consumer,
            publisher,
            cancel.clone(),
            move |_| {
                let (started, release) = (started.clone(), release.clone());
                async move {
                    started.cancel();
                    release.cancelled().await;
                    Ok(())
                }
            },
        ))
    };

    tokio::time::timeout(WAIT, started.cancelled())
        .await
        .expect("the handler starts");
    cancel.cancel();
    release.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ok");

    // The in-flight message was acknowledged, not returned to the queue.
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    t.cleanup().await;
}

/// The batch runner: messages already in the prefetch window come as one
/// batch; a batch that all succeeded is acknowledged at once, a mixed one
/// message by message (the poison one dead-lettered, the rest acked).
#[tokio::test]
async fn run_batch_consumer_takes_the_prefetch_window_and_settles_each_outcome() {
    let t = spawn_bus("run-batch", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let dlq = dead_letter_queue_name(&queue);
    let publisher = t.bus.publisher().await.expect("publisher");
    let messages: Vec<_> = ["ok-1", "ok-2", "poison-1", "ok-3", "ok-4"]
        .iter()
        .map(|id| t.message("parsed", id, "{}"))
        .collect();
    for outcome in publisher.publish_all(&messages).await {
        outcome.expect("published");
    }
    wait_for_queue_depth(&t.bus, &queue, 5).await;
    let batches: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "runner").await.expect("consumer");
    let task = {
        let batches = batches.clone();
        tokio::spawn(govwire_bus::run_batch_consumer(
            consumer,
            publisher,
            cancel.clone(),
            3,
            move |deliveries| {
                let ids: Vec<String> = deliveries
                    .iter()
                    .map(|d| d.message_id().unwrap_or("-").to_owned())
                    .collect();
                batches.lock().expect("lock").push(ids.clone());
                async move {
                    ids.iter()
                        .map(|id| {
                            if id.starts_with("poison-") {
                                Err(HandlerError::Poison("unparsable body".to_owned()))
                            } else {
                                Ok(())
                            }
                        })
                        .collect()
                }
            },
        ))
    };
    wait_for("every message to be handled", || async {
        let handled: usize = batches.lock().expect("lock").iter().map(Vec::len).sum();
        (handled == 5).then_some(())
    })
    .await;
    wait_for_queue_depth(&t.bus, &dlq, 1).await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("stops")
        .expect("no panic")
        .expect("ok");
    // Settled: nothing comes back once the consumer is gone, and each
    // message was handled once, in order, in batches of at most 3.
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    let batches = batches.lock().expect("lock").clone();
    assert!(batches.iter().all(|b| b.len() <= 3), "{batches:?}");
    assert!(
        batches.iter().any(|b| b.len() > 1),
        "messages waiting together came one by one: {batches:?}"
    );
    assert_eq!(
        batches.concat(),
        vec!["ok-1", "ok-2", "poison-1", "ok-3", "ok-4"]
    );
    let mut dead = t.bus.consumer(&dlq, "dlq-reader").await.expect("dlq");
    let dead_letter = next_delivery(&mut dead).await;
    assert_eq!(dead_letter.message_id(), Some("poison-1"));
    dead_letter.ack().await.expect("ack");
    dead.cancel().await.expect("cancel");
    t.cleanup().await;
}
