//! Consuming and settling: requeue, delivery limit, dead-lettering,
//! redelivery of unsettled messages.

use govwire_bus::{
    dead_letter_queue_name, ORIGINAL_EXCHANGE_HEADER, ORIGINAL_QUEUE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER, REASON_HEADER,
};

use crate::helpers::{next_delivery, spawn_bus, wait_for_queue_depth};

#[tokio::test]
async fn a_message_requeued_past_the_delivery_limit_lands_in_the_dead_letter_queue() {
    let delivery_limit = 2;
    let t = spawn_bus("delivery-limit", delivery_limit).await;
    let queue = t.work_queue("parser", "page").await;
    let dlq = dead_letter_queue_name(&queue);
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("page", "looping", "{\"n\":1}"))
        .await
        .expect("publish");

    let mut consumer = t.bus.consumer(&queue, "requeuer").await.expect("consumer");
    let mut counts = Vec::new();
    for _ in 0..=delivery_limit {
        let delivery = next_delivery(&mut consumer).await;
        assert_eq!(delivery.message_id(), Some("looping"));
        counts.push(delivery.delivery_count());
        delivery.requeue().await.expect("requeue");
    }
    // The broker counted every requeue and dead-lettered after the last one.
    assert_eq!(counts, vec![0, 1, 2]);

    let mut dead = t
        .bus
        .consumer(&dlq, "dlq-reader")
        .await
        .expect("dlq consumer");
    let dead_letter = next_delivery(&mut dead).await;
    assert_eq!(dead_letter.message_id(), Some("looping"));
    assert_eq!(dead_letter.body(), b"{\"n\":1}");
    assert_eq!(
        dead_letter.routing_key(),
        queue,
        "routed by the queue's name"
    );
    dead_letter.ack().await.expect("ack dead letter");
    wait_for_queue_depth(&t.bus, &queue, 0).await;

    consumer.cancel().await.expect("cancel");
    dead.cancel().await.expect("cancel dlq");
    t.cleanup().await;
}

#[tokio::test]
async fn dead_lettering_moves_the_message_with_its_reason_and_empties_the_queue() {
    let t = spawn_bus("dead-letter", 5).await;
    let queue = t.work_queue("notifier", "parsed").await;
    let dlq = dead_letter_queue_name(&queue);
    let publisher = t.bus.publisher().await.expect("publisher");
    let mut message = t.message("parsed", "bad-1", "not json");
    message.headers = vec![("x-govwire-portal".to_owned(), "shpt".to_owned())];
    publisher.publish(&message).await.expect("publish");

    let mut consumer = t
        .bus
        .consumer(&queue, "dead-letterer")
        .await
        .expect("consumer");
    let delivery = next_delivery(&mut consumer).await;
    delivery
        .dead_letter(&publisher, "body is not JSON")
        .await
        .expect("dead-letter");

    wait_for_queue_depth(&t.bus, &dlq, 1).await;
    let mut dead = t
        .bus
        .consumer(&dlq, "dlq-reader")
        .await
        .expect("dlq consumer");
    let dead_letter = next_delivery(&mut dead).await;
    assert_eq!(dead_letter.body(), b"not json");
    assert_eq!(dead_letter.message_id(), Some("bad-1"));
    assert_eq!(dead_letter.kind(), Some("govwire.test"));
    assert_eq!(dead_letter.content_type(), Some("application/json"));
    assert!(dead_letter.is_persistent());
    assert_eq!(
        dead_letter.header(REASON_HEADER).as_deref(),
        Some("body is not JSON")
    );
    assert_eq!(
        dead_letter.header(ORIGINAL_QUEUE_HEADER).as_deref(),
        Some(queue.as_str())
    );
    assert_eq!(
        dead_letter.header(ORIGINAL_ROUTING_KEY_HEADER).as_deref(),
        Some("parsed")
    );
    assert_eq!(
        dead_letter.header(ORIGINAL_EXCHANGE_HEADER).as_deref(),
        Some(t.config.pipeline_exchange.as_str())
    );
    assert_eq!(
        dead_letter.header("x-govwire-portal").as_deref(),
        Some("shpt"),
        "the original headers are kept"
    );
    dead_letter.ack().await.expect("ack");

    // The original was acknowledged: nothing comes back to the work queue,
    // even once its consumer is gone.
    consumer.cancel().await.expect("cancel");
    wait_for_queue_depth(&t.bus, &queue, 0).await;
    dead.cancel().await.expect("cancel dlq");
    t.cleanup().await;
}

#[tokio::test]
async fn an_unacknowledged_message_is_redelivered_to_the_next_consumer() {
    let t = spawn_bus("redelivery", 5).await;
    let queue = t.work_queue("parser", "page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("page", "crash-1", "{}"))
        .await
        .expect("publish");

    let mut first = t.bus.consumer(&queue, "crashes").await.expect("consumer");
    let unsettled = next_delivery(&mut first).await;
    assert_eq!(unsettled.message_id(), Some("crash-1"));
    // The service dies before settling: its consumer goes away.
    drop(unsettled);
    drop(first);

    let mut second = t.bus.consumer(&queue, "survivor").await.expect("consumer");
    let again = next_delivery(&mut second).await;
    assert_eq!(again.message_id(), Some("crash-1"));
    assert!(again.redelivered(), "the broker marks it redelivered");
    assert_eq!(again.delivery_count(), 1);
    again.ack().await.expect("ack");
    wait_for_queue_depth(&t.bus, &queue, 0).await;

    second.cancel().await.expect("cancel");
    t.cleanup().await;
}

#[tokio::test]
async fn a_message_taken_by_a_cancelled_consumer_goes_back_to_the_queue() {
    let t = spawn_bus("cancel-returns", 5).await;
    let queue = t.work_queue("parser", "page").await;
    let publisher = t.bus.publisher().await.expect("publisher");
    publisher
        .publish(&t.message("page", "m-1", "{}"))
        .await
        .expect("publish");

    let mut consumer = t.bus.consumer(&queue, "leaver").await.expect("consumer");
    let delivery = next_delivery(&mut consumer).await;
    consumer.cancel().await.expect("cancel");
    // Settling after the channel is gone is an error, not a silent success.
    let late = delivery.ack().await;
    assert!(
        late.is_err(),
        "acking on a closed channel must fail: {late:?}"
    );

    wait_for_queue_depth(&t.bus, &queue, 1).await;
    t.cleanup().await;
}
