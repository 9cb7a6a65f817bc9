//! The one place that decides whether a delivery is acknowledged, requeued
//! or dead-lettered.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use metrics::{counter, gauge, histogram, Counter, Histogram};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::consumer::{Consumer, Delivery};
use crate::error::BusError;
use crate::publisher::Publisher;
use govwire_retry::{Backoff, LogThrottle};

/// The first wait before a held message is tried again.
const HOLD_FIRST_WAIT: Duration = Duration::from_millis(250);
/// The longest wait between two tries of a held message (each wait is
/// jittered between half and all of it): short enough that work resumes
/// within seconds of the store answering again.
const HOLD_MAX_WAIT: Duration = Duration::from_secs(5);
/// How long one delivery is held before it is handed back to its queue as
/// a fresh copy and the consumer goes on: well under the broker's consumer
/// timeout (30 minutes by default), past which the broker would take the
/// delivery back itself and count it toward the delivery limit.
const HOLD_LIMIT: Duration = Duration::from_secs(10 * 60);

/// How a handler failed, which decides what happens to the message.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// A transient failure (database down, broker busy): the message is
    /// requeued and tried again, until the queue's delivery limit sends it
    /// to the dead-letter queue.
    #[error("transient failure: {0:#}")]
    Retry(anyhow::Error),
    /// Something the handler needs cannot be used right now (its store is
    /// down, refuses logins, is locked or full); nothing is wrong with the
    /// message. The consumer holds the message, takes no other, and calls
    /// the handler again with capped, jittered backoff until it returns
    /// something else; the wait does not count toward the delivery limit.
    /// Stopped while holding (or after holding for ten minutes), it hands
    /// the message back to its queue as a fresh copy, which does not count
    /// either.
    #[error("unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    /// The message itself is bad (unparsable, violates the contract): it is
    /// dead-lettered at once with this reason, since retrying cannot help.
    #[error("poison message: {0}")]
    Poison(String),
    /// The message is fine but its effect failed for good after the
    /// handler's own retries (a webhook that kept answering 500): it is
    /// dead-lettered at once with this reason, so an operator can replay it
    /// once the cause is mended.
    #[error("gave up: {0}")]
    GaveUp(String),
}

impl HandlerError {
    /// A failure that may heal: [`HandlerError::Unavailable`] when what
    /// failed is unavailable as a whole (see there), else
    /// [`HandlerError::Retry`].
    pub fn transient(cause: anyhow::Error, unavailable: bool) -> Self {
        if unavailable {
            HandlerError::Unavailable(cause)
        } else {
            HandlerError::Retry(cause)
        }
    }
}

/// Feeds `consumer`'s deliveries to `handler`, one at a time, and settles
/// each by the outcome: `Ok` acknowledges, [`HandlerError::Retry`] requeues,
/// [`HandlerError::Poison`] dead-letters through `publisher`,
/// [`HandlerError::Unavailable`] holds the message and calls the handler
/// again until it answers otherwise. A handler that panics is treated as
/// `Retry` (the delivery limit bounds the damage). Nothing is acknowledged
/// before the handler returned `Ok`.
///
/// Runs until `cancel` fires (it then takes no new delivery, lets the one
/// in flight finish and be settled, cancels the consumer and returns `Ok`)
/// or the consumer fails: a stream the broker ended
/// ([`BusError::ConsumerEnded`]) or an unrecoverable connection loss are
/// returned as errors so the service can stop or restart. Settle failures
/// are logged and the loop goes on (an unsettled message is redelivered).
pub async fn run_consumer<F, Fut>(
    consumer: Consumer,
    publisher: Publisher,
    cancel: CancellationToken,
    handler: F,
) -> Result<(), BusError>
where
    F: Fn(&Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    run_batch_consumer(
        consumer,
        publisher,
        cancel,
        1,
        move |batch: &[Delivery]| {
            let one = handler(&batch[0]);
            async move { vec![one.await] }
        },
    )
    .await
}

/// [`run_consumer`] for a handler that takes deliveries in batches: each
/// batch is the next delivery and every further one the broker has already
/// sent (the consumer's prefetch window), up to `max_batch`. The handler
/// answers one outcome per delivery, in order, having committed the
/// batch's effects (one store transaction for the batch is the point). A
/// batch that all succeeded is acknowledged with one multiple `basic.ack`;
/// otherwise each delivery is settled by its own outcome, and one that
/// answered [`HandlerError::Unavailable`] is held alone (the handler called
/// again with it only) before the rest of its batch is settled.
pub async fn run_batch_consumer<F, Fut>(
    mut consumer: Consumer,
    publisher: Publisher,
    cancel: CancellationToken,
    max_batch: usize,
    handler: F,
) -> Result<(), BusError>
where
    F: Fn(&[Delivery]) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandlerError>>>,
{
    let max_batch = max_batch.max(1);
    let queue = consumer.queue().to_owned();
    info!(queue = %queue, max_batch, "Consumer loop started.");
    let _running = Running::start(&queue);
    let metrics = ConsumerMetrics::of(&queue);
    let single = |delivery: &Delivery| {
        let called =
            std::panic::catch_unwind(AssertUnwindSafe(|| handler(std::slice::from_ref(delivery))));
        async move {
            let answered = match called {
                Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
                Err(panic) => Err(panic),
            };
            match answered {
                Ok(mut outcomes) if outcomes.len() == 1 => {
                    outcomes.pop().unwrap_or_else(|| Err(missing_outcome()))
                }
                Ok(_) => Err(missing_outcome()),
                Err(panic) => Err(panicked(&panic)),
            }
        }
    };
    let mut held = Vec::new();
    'deliveries: loop {
        let next = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            next = consumer.next() => next,
        };
        let first = match next {
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
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match consumer.ready() {
                Some(delivery) => batch.push(delivery),
                None => break,
            }
        }
        metrics.deliveries.increment(batch.len() as u64);
        let started = std::time::Instant::now();
        let mut outcomes = call_batch(&handler, &batch).await;
        metrics
            .batch_duration
            .record(started.elapsed().as_secs_f64());
        if outcomes.len() != batch.len() {
            error!(queue = %queue, deliveries = batch.len(), outcomes = outcomes.len(), "The batch handler answered a different number of outcomes than it was given messages; retrying them all.");
            outcomes = batch.iter().map(|_| Err(missing_outcome())).collect();
        }
        if outcomes.iter().all(Result::is_ok) {
            let count = batch.len();
            match Delivery::ack_through(batch).await {
                Ok(()) => {
                    metrics.acks.increment(count as u64);
                    debug!(queue = %queue, count, "Acknowledged messages.")
                }
                Err(error) => {
                    error!(%error, queue = %queue, count, "Failed to acknowledge messages.")
                }
            }
            continue;
        }
        let mut pending = batch.into_iter().zip(outcomes);
        while let Some((delivery, mut outcome)) = pending.next() {
            if matches!(outcome, Err(HandlerError::Unavailable(_))) {
                match hold(&single, &delivery, outcome, &cancel).await {
                    Held::Answered(answer) => outcome = answer,
                    Held::GiveBack(Stop::Cancelled) => {
                        // Handed back with the rest of the prefetch, after
                        // the broker stopped sending: a copy handed back now
                        // could come straight back to this consumer. The
                        // rest of the batch is unsettled too.
                        held.push(delivery);
                        held.extend(pending.map(|(delivery, _)| delivery));
                        break 'deliveries;
                    }
                    Held::GiveBack(Stop::TooLong) => {
                        give_back(delivery, &publisher).await;
                        continue;
                    }
                }
            }
            settle(delivery, outcome, &publisher, &metrics).await;
        }
    }
    info!(queue = %queue, "Consumer loop stopping: cancelled.");
    consumer.cancel_returning(&publisher, held).await
}

/// A consumer loop's metrics, their handles taken once for its queue.
struct ConsumerMetrics {
    deliveries: Counter,
    acks: Counter,
    requeues: Counter,
    dead_letters: Counter,
    batch_duration: Histogram,
}

impl ConsumerMetrics {
    fn of(queue: &str) -> Self {
        let queue = queue.to_owned();
        Self {
            deliveries: counter!("govwire_consumer_deliveries_total", "queue" => queue.clone()),
            acks: counter!("govwire_consumer_acks_total", "queue" => queue.clone()),
            requeues: counter!("govwire_consumer_requeues_total", "queue" => queue.clone()),
            dead_letters: counter!("govwire_consumer_dead_letters_total", "queue" => queue.clone()),
            batch_duration: histogram!("govwire_consumer_batch_duration_seconds", "queue" => queue),
        }
    }
}

/// The consumer loops of this process, by queue, and whether each runs:
/// what a readiness check asks of the bus.
static CONSUMER_LOOPS: std::sync::Mutex<std::collections::BTreeMap<String, bool>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Every consumer loop this process started, by queue, with whether it
/// still runs (a loop that returned, by a failure or a stop, does not).
pub fn consumer_loops() -> Vec<(String, bool)> {
    CONSUMER_LOOPS
        .lock()
        .map(|loops| loops.iter().map(|(q, r)| (q.clone(), *r)).collect())
        .unwrap_or_default()
}

/// A consumer loop's mark as running, taken off when the loop returns
/// (whichever way), with the `govwire_consumer_running` gauge.
struct Running(String);

impl Running {
    fn start(queue: &str) -> Self {
        if let Ok(mut loops) = CONSUMER_LOOPS.lock() {
            loops.insert(queue.to_owned(), true);
        }
        gauge!("govwire_consumer_running", "queue" => queue.to_owned()).set(1.0);
        Running(queue.to_owned())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(mut loops) = CONSUMER_LOOPS.lock() {
            loops.insert(self.0.clone(), false);
        }
        gauge!("govwire_consumer_running", "queue" => self.0.clone()).set(0.0);
    }
}

/// The outcome of a delivery a batch handler gave none for.
fn missing_outcome() -> HandlerError {
    HandlerError::Retry(anyhow::anyhow!(
        "the batch handler gave no outcome for this message"
    ))
}

/// Calls the batch handler once. A panic, in the handler's call or in its
/// future, must not take the loop (and the service) down with unsettled
/// messages: every delivery of the batch is then retried.
async fn call_batch<F, Fut>(handler: &F, batch: &[Delivery]) -> Vec<Result<(), HandlerError>>
where
    F: Fn(&[Delivery]) -> Fut,
    Fut: Future<Output = Vec<Result<(), HandlerError>>>,
{
    let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| handler(batch))) {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    outcome.unwrap_or_else(|panic| batch.iter().map(|_| Err(panicked(&panic))).collect())
}

/// A handler's panic as a retry, keeping the panic message.
fn panicked(panic: &Box<dyn std::any::Any + Send>) -> HandlerError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    HandlerError::Retry(anyhow::anyhow!("the handler panicked: {what}"))
}

/// How holding a message ended.
enum Held {
    /// The handler answered something other than `Unavailable`.
    Answered(Result<(), HandlerError>),
    /// The hold ended first: the message goes back to its queue uncounted.
    GiveBack(Stop),
}

/// Why a hold ended before the handler answered.
enum Stop {
    /// The consumer is stopping.
    Cancelled,
    /// The message was held for [`HOLD_LIMIT`].
    TooLong,
}

/// Calls the handler again, with capped and jittered backoff, while it
/// answers [`HandlerError::Unavailable`]; logs the first failure, then at
/// most once a minute with a count, and the recovery.
async fn hold<F, Fut>(
    handler: &F,
    delivery: &Delivery,
    first: Result<(), HandlerError>,
    cancel: &CancellationToken,
) -> Held
where
    F: Fn(&Delivery) -> Fut,
    Fut: Future<Output = Result<(), HandlerError>>,
{
    let queue = delivery.queue().to_owned();
    let message_id = delivery.message_id().unwrap_or("-").to_owned();
    let started = tokio::time::Instant::now();
    let mut backoff = Backoff::new(HOLD_FIRST_WAIT, HOLD_MAX_WAIT);
    let mut throttle = LogThrottle::default();
    let mut tries: u64 = 1;
    let mut outcome = first;
    loop {
        match outcome {
            Err(HandlerError::Unavailable(cause)) => match throttle.failure() {
                Some(failed_tries) => warn!(
                    error = format!("{cause:#}"),
                    queue = %queue,
                    message_id = %message_id,
                    failed_tries,
                    held_secs = started.elapsed().as_secs(),
                    "Unavailable; holding the message and taking no other until it can be handled."
                ),
                None => {
                    debug!(error = format!("{cause:#}"), queue = %queue, message_id = %message_id, tries, "Still unavailable.")
                }
            },
            answer => {
                info!(
                    queue = %queue,
                    message_id = %message_id,
                    tries,
                    held_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "Available again; handling the held message."
                );
                return Held::Answered(answer);
            }
        }
        if started.elapsed() >= HOLD_LIMIT {
            return Held::GiveBack(Stop::TooLong);
        }
        // Full wait or somewhere in its upper half, so that consumers held
        // by one outage do not all try again at the same instant.
        let jittered = backoff.next_wait().mul_f64(rand::random_range(0.5..=1.0));
        tokio::select! {
            biased;
            () = cancel.cancelled() => return Held::GiveBack(Stop::Cancelled),
            () = tokio::time::sleep(jittered) => {}
        }
        tries += 1;
        outcome = handler(delivery).await;
    }
}

/// Hands a message held for [`HOLD_LIMIT`] back to its queue without
/// counting it toward the delivery limit, logging what happened.
async fn give_back(delivery: Delivery, publisher: &Publisher) {
    let queue = delivery.queue().to_owned();
    let message_id = delivery.message_id().unwrap_or("-").to_owned();
    match delivery.requeue_fresh(publisher).await {
        Ok(()) => {
            info!(queue = %queue, message_id = %message_id, "Held a message for the longest a delivery may be held; handed it back to its queue.")
        }
        Err(error) => {
            error!(%error, queue = %queue, message_id = %message_id, "Failed to hand a held message back to its queue.")
        }
    }
}

/// Applies a handler's outcome to its delivery, logging what happened.
async fn settle(
    delivery: Delivery,
    outcome: Result<(), HandlerError>,
    publisher: &Publisher,
    metrics: &ConsumerMetrics,
) {
    let message_id = delivery.message_id().unwrap_or("-").to_owned();
    let queue = delivery.queue().to_owned();
    let delivery_count = delivery.delivery_count();
    match outcome {
        Ok(()) => match delivery.ack().await {
            Ok(()) => {
                metrics.acks.increment(1);
                debug!(queue = %queue, message_id = %message_id, "Acknowledged message.")
            }
            Err(error) => {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to acknowledge message.")
            }
        },
        // `Unavailable` never reaches here: `hold` answers it first.
        Err(HandlerError::Retry(cause) | HandlerError::Unavailable(cause)) => {
            warn!(
                error = format!("{cause:#}"),
                queue = %queue,
                message_id = %message_id,
                delivery_count,
                "Handler failed; requeueing message."
            );
            metrics.requeues.increment(1);
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
            metrics.dead_letters.increment(1);
            if let Err(error) = delivery.dead_letter(publisher, &reason).await {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to dead-letter message.");
            }
        }
        Err(HandlerError::GaveUp(reason)) => {
            error!(
                reason = %reason,
                queue = %queue,
                message_id = %message_id,
                delivery_count,
                "Effect failed after its retries; dead-lettering the message."
            );
            metrics.dead_letters.increment(1);
            if let Err(error) = delivery.dead_letter(publisher, &reason).await {
                error!(%error, queue = %queue, message_id = %message_id, "Failed to dead-letter message.");
            }
        }
    }
}
