//! run_consumer holds a message while the handler's store is unavailable:
//! it tries again with backoff, takes no other message, and the wait never
//! counts toward the delivery limit.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use govwire_bus::{dead_letter_queue_name, run_consumer, HandlerError};
use tokio_util::sync::CancellationToken;

use crate::helpers::{next_delivery, spawn_bus, wait_for, wait_for_queue_depth, WAIT};

/// What the handler saw, in order: (message id, delivery count).
type Seen = Arc<Mutex<Vec<(String, u32)>>>;

#[tokio::test]
async fn a_message_is_held_while_the_store_is_unavailable_and_handled_once_it_answers() {
    // A delivery limit of 1: a single requeue would dead-letter the message.
    let t = spawn_bus("hold-outage", 1).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    for id in ["first", "second"] {
        publisher
            .publish(&t.message("parsed", id, "{}"))
            .await
            .expect("publish");
    }
    // The store is "down" for the first four tries.
    let failures_left = Arc::new(AtomicU32::new(4));
    let seen = Seen::default();
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "holder").await.expect("consumer");
    let task = {
        let seen = seen.clone();
        let failures_left = failures_left.clone();
        tokio::spawn(run_consumer(
            consumer,
            publisher,
            cancel.clone(),
            move |delivery| {
                let id = delivery.message_id().unwrap_or("-").to_owned();
                seen.lock()
                    .expect("seen")
                    .push((id, delivery.delivery_count()));
                let down = failures_left
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                async move {
                    if down {
                        Err(HandlerError::Unavailable(anyhow::anyhow!(
                            "role \"govwire\" is not permitted to log in"
                        )))
                    } else {
                        Ok(())
                    }
                }
            },
        ))
    };

    wait_for("both messages to be handled", || async {
        let seen = seen.lock().expect("seen").clone();
        seen.iter().any(|(id, _)| id == "second").then_some(())
    })
    .await;
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("run_consumer stops after cancel")
        .expect("no panic")
        .expect("no error");

    let seen = seen.lock().expect("seen").clone();
    let first: Vec<_> = seen.iter().filter(|(id, _)| id == "first").collect();
    assert_eq!(
        first.len(),
        5,
        "four failed tries, then the one that worked: {seen:?}"
    );
    assert!(
        first.iter().all(|(_, count)| *count == 0),
        "the held message was never returned to the queue: {seen:?}"
    );
    assert_eq!(
        seen.last(),
        Some(&("second".to_owned(), 0)),
        "no other message is taken while one is held: {seen:?}"
    );
    assert_eq!(
        t.bus
            .queue_message_count(&dead_letter_queue_name(&queue))
            .await
            .expect("dlq"),
        0,
        "nothing was dead-lettered"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn a_consumer_stopped_while_holding_hands_the_message_back_uncounted() {
    let t = spawn_bus("hold-stop", 1).await;
    let queue = t.work_queue("archive", "events").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("events", "held", "{\"a\":1}"))
        .await
        .expect("publish");
    let tries = Arc::new(AtomicU32::new(0));
    let cancel = CancellationToken::new();
    let consumer = t.bus.consumer(&queue, "holder").await.expect("consumer");
    let task = {
        let tries = tries.clone();
        tokio::spawn(run_consumer(
            consumer,
            t.bus.publisher().await.expect("publisher"),
            cancel.clone(),
            move |_| {
                tries.fetch_add(1, Ordering::SeqCst);
                async { Err(HandlerError::Unavailable(anyhow::anyhow!("disk full"))) }
            },
        ))
    };
    wait_for("the handler to be tried twice", || async {
        (tries.load(Ordering::SeqCst) >= 2).then_some(())
    })
    .await;
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("run_consumer stops promptly while holding")
        .expect("no panic")
        .expect("no error");

    // Back in its queue, as delivered first: not counted, not dead-lettered.
    wait_for_queue_depth(&t.bus, &queue, 1).await;
    let mut consumer = t.bus.consumer(&queue, "after").await.expect("consumer");
    let delivery = next_delivery(&mut consumer).await;
    assert_eq!(delivery.message_id(), Some("held"));
    assert_eq!(delivery.body(), b"{\"a\":1}");
    assert_eq!(delivery.delivery_count(), 0, "the hold was not counted");
    delivery.ack().await.expect("ack");
    assert_eq!(
        t.bus
            .queue_message_count(&dead_letter_queue_name(&queue))
            .await
            .expect("dlq"),
        0
    );
    consumer.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn a_stopping_consumer_hands_back_its_prefetched_messages_uncounted() {
    let t = spawn_bus("hold-prefetch", 1).await;
    let queue = t.work_queue("parser", "pages").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    for id in ["slow", "waiting-1", "waiting-2"] {
        publisher
            .publish(&t.message("pages", id, "{}"))
            .await
            .expect("publish");
    }
    let cancel = CancellationToken::new();
    let started = Arc::new(tokio::sync::Notify::new());
    let consumer = t.bus.consumer(&queue, "stopping").await.expect("consumer");
    let task = {
        let cancel_in_handler = cancel.clone();
        let started = started.clone();
        tokio::spawn(run_consumer(
            consumer,
            publisher,
            cancel.clone(),
            move |_| {
                // The first message is in flight when the stop comes; it
                // finishes and is acknowledged.
                let cancel = cancel_in_handler.clone();
                started.notify_one();
                async move {
                    cancel.cancelled().await;
                    Ok(())
                }
            },
        ))
    };
    tokio::time::timeout(WAIT, started.notified())
        .await
        .expect("the first message is handled");
    cancel.cancel();
    tokio::time::timeout(WAIT, task)
        .await
        .expect("run_consumer stops")
        .expect("no panic")
        .expect("no error");

    wait_for_queue_depth(&t.bus, &queue, 2).await;
    let mut consumer = t.bus.consumer(&queue, "after").await.expect("consumer");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let delivery = next_delivery(&mut consumer).await;
        assert_eq!(
            delivery.delivery_count(),
            0,
            "a message that sat in the prefetch of a stopped consumer is not counted"
        );
        ids.push(delivery.message_id().unwrap_or("-").to_owned());
        delivery.ack().await.expect("ack");
    }
    ids.sort();
    assert_eq!(ids, ["waiting-1", "waiting-2"]);
    consumer.cancel().await.expect("cancel");
    t.cleanup().await;
}
