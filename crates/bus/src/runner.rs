//! The one place that decides whether a delivery is acknowledged, requeued
//! or dead-lettered.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::consumer::{Consumer, Delivery};
use crate::error::BusError;
use crate::publisher::Publisher;

/// How a handler failed, which decides what happens to the message.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A transient failure (database down, broker busy): the message is
    /// requeued and tried again, until the queue's delivery limit sends it
    /// to the dead-letter queue.
    #[error("transient failure: {0:#}")]
    Retry(anyhow::Error),
    /// The message itself is bad (unparsable, violates the contract): it is
    /// dead-lettered at once with this reason, since retrying cannot help.
    #[error("poison message: {0}")]
    Poison(String),
}

/// Feeds `consumer`'s deliveries to `handler`, one at a time, and settles
/// each by the outcome: `Ok` acknowledges, [`HandlerError::Retry`] requeues,
/// [`HandlerError::Poison`] dead-letters through `publisher`. A handler that
/// panics is treated as `Retry` (the delivery limit bounds the damage).
/// Nothing is acknowledged before the handler returned `Ok`.
///
/// Runs until `cancel` fires (it then takes no new delivery, lets the one
/// in flight finish and be settled, cancels the consumer and returns `Ok`)
/// or the consumer fails: a stream the broker ended
/// ([`BusError::ConsumerEnded`]) or an unrecoverable connection loss are
/// returned as errors so the service can stop or restart. Settle failures
/// are logged and the loop goes on (an unsettled message is redelivered).
pub async fn run_consumer<F, Fut>(
    mut consumer: Consumer,
    publisher: Publisher,
    cancel: CancellationToken,
    handler: F,
) -> Result<(), BusError>
where
    F: Fn(&Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let queue = consumer.queue().to_owned();
    info!(queue = %queue, "Consumer loop started.");
    loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            next = consumer.next() => next,
        };
        let delivery = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(error)) => {
                error!(%error, queue = %queue, "Consumer failed.");
                return Err(error);
            }
            None => {
                let error = BusError::ConsumerEnded {
                    queue: queue.clone(),
                };
                error!(%error, "Consumer ended by the broker.");
                return Err(error);
            }
        };
        // A panic, in the handler's call or in its future, must not take
        // the loop (and the service) down with an unsettled message.
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| handler(&delivery))) {
            Ok(future) => AssertUnwindSafe(future)
                .catch_unwind()
                .await
                .unwrap_or_else(panicked),
            Err(panic) => panicked(panic),
        };
        settle(delivery, outcome, &publisher).await;
    }
    info!(queue = %queue, "Consumer loop stopping: cancelled.");
    consumer.cancel().await
}

/// Turns a handler panic into a retry, keeping the panic message.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Result<(), HandlerError> {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Err(HandlerError::Retry(anyhow::anyhow!(
        "the handler panicked: {what}"
    )))
}

/// Applies a handler's outcome to its delivery, logging what happened.
async fn settle(delivery: Delivery, outcome: Result<(), HandlerError>, publisher: &Publisher) {
    let message_id = delivery.message_id().unwrap_or("-").to_owned();
    let queue = delivery.queue().to_owned();
    let delivery_count = delivery.delivery_count();
    match outcome {
        Ok(()) => match delivery.ack().await {
            Ok(()) => debug!(queue = %queue, message_id = %message_id, "Acknowledged message."),
            Err(error) => {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to acknowledge message.")
            }
        },
        Err(HandlerError::Retry(cause)) => {
            warn!(
                error = format!("{cause:#}"),
                queue = %queue,
                message_id = %message_id,
                delivery_count,
                "Handler failed; requeueing message."
            );
            if let Err(error) = delivery.requeue().await {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to requeue message.");
            }
        }
        Err(HandlerError::Poison(reason)) => {
            error!(
                reason = %reason,
                queue = %queue,
                message_id = %message_id,
                delivery_count,
                "Poison message; dead-lettering it."
            );
            if let Err(error) = delivery.dead_letter(publisher, &reason).await {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to dead-letter message.");
            }
        }
    }
}
