//! Consuming with explicit settlement: every delivery is acknowledged,
//! requeued or dead-lettered exactly once, by value.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{FutureExt, StreamExt};
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicNackOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::Channel;
use tracing::{debug, info, warn};

use crate::connection::{close_channel, Bus};
use crate::error::{short, AmqpError, BusError};
use crate::publisher::Publisher;

/// The header a quorum queue sets on redelivered messages: how many times
/// the message was delivered before and not acknowledged.
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";
/// How long cancelling a consumer may wait for the broker; the channel is
/// closed afterwards either way, which also stops deliveries.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long stopping waits for the next delivery the broker sent before its
/// cancel: they are already on the wire, so a short wait finds them all.
const DRAIN_WAIT: Duration = Duration::from_millis(200);
/// How often a consumer waiting for a recovery checks that one can still
/// come.
const RECOVERY_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);
/// Why a message was dead-lettered by govwire.
pub const REASON_HEADER: &str = "x-govwire-reason";
/// The queue a dead-lettered message was taken from.
pub const ORIGINAL_QUEUE_HEADER: &str = "x-govwire-original-queue";
/// The routing key a dead-lettered message was first published with.
pub const ORIGINAL_ROUTING_KEY_HEADER: &str = "x-govwire-original-routing-key";
/// The exchange a dead-lettered message was first published to.
pub const ORIGINAL_EXCHANGE_HEADER: &str = "x-govwire-original-exchange";
/// The quorum delivery count of a message when govwire dead-lettered it.
pub const ORIGINAL_DELIVERY_COUNT_HEADER: &str = "x-govwire-delivery-count";

/// Deliveries from one queue, on the consumer's own channel. Dropping it
/// (or [`Consumer::cancel`]) returns every unsettled delivery to the queue.
pub struct Consumer {
    /// The bus the channel belongs to: a consumer waiting for the connection
    /// to recover stops waiting when the connection is gone for good, and
    /// starts again on a new connection when the bus replaces it.
    bus: Bus,
    /// lapin's delivery stream.
    inner: lapin::Consumer,
    /// The consumer's own channel (closed with the consumer).
    channel: Channel,
    /// The generation of the connection the channel is on.
    generation: u64,
    /// The queue consumed, for settlement, dead-lettering and logs.
    queue: String,
    /// How the consumer was started, to start it again on a new connection.
    recipe: Recipe,
}

/// How a consumer is started on a channel.
#[derive(Debug, Clone)]
pub(crate) enum Recipe {
    /// A queue declared elsewhere, consumed as `tag`.
    Queue {
        /// The consumer tag.
        tag: String,
    },
    /// A tail: its exclusive queue is declared and bound to the events
    /// exchange with `binding` on the consumer's own channel, then consumed
    /// as `tag`.
    Tail {
        /// The binding key.
        binding: String,
        /// The consumer tag.
        tag: String,
    },
}

impl Recipe {
    /// The consumer tag.
    pub(crate) fn tag(&self) -> &str {
        match self {
            Self::Queue { tag } | Self::Tail { tag, .. } => tag,
        }
    }
}

/// A consumer started on a channel of its own.
pub(crate) struct Started {
    /// lapin's delivery stream.
    pub(crate) deliveries: lapin::Consumer,
    /// The channel.
    pub(crate) channel: Channel,
    /// The generation of the connection the channel is on.
    pub(crate) generation: u64,
}

/// The longest wait between two attempts to start a consumer again on a
/// new connection.
const RESTART_MAX_WAIT: Duration = Duration::from_secs(5);

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.queue)
            .field("tag", &self.inner.tag().as_str())
            .finish()
    }
}

impl Consumer {
    /// Wraps a started lapin consumer.
    pub(crate) fn new(bus: Bus, started: Started, queue: String, recipe: Recipe) -> Self {
        Self {
            bus,
            inner: started.deliveries,
            channel: started.channel,
            generation: started.generation,
            queue,
            recipe,
        }
    }

    /// The queue this consumer reads (a full name).
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// The next delivery. `None` when the consumer was cancelled (by
    /// [`Consumer::cancel`] or by the broker, e.g. because the queue was
    /// deleted). If the connection drops, this waits for the connection to
    /// recover (reconnection is retried forever) and goes on; it returns an
    /// error when recovery is impossible (the connection or the channel
    /// failed for good), so the service stops instead of idling. Deliveries
    /// received before a recovery can no longer be settled; the broker
    /// redelivers them.
    pub async fn next(&mut self) -> Option<Result<Delivery, BusError>> {
        loop {
            let next = tokio::select! {
                biased;
                next = self.inner.next() => next?,
                // The bus replaced the connection this consumer's channel
                // is on: its stream may never say so.
                () = self.bus.renewed(self.generation) => {
                    if let Err(error) = self.restart().await {
                        return Some(Err(error));
                    }
                    continue;
                }
            };
            match next {
                Ok(delivery) => return Some(Ok(Delivery::taken(delivery, self.queue.clone()))),
                Err(error) => {
                    warn!(%error, queue = %self.queue, "Consumer lost its channel; waiting for the connection to recover.");
                    let recovered = tokio::select! {
                        biased;
                        () = self.bus.renewed(self.generation) => None,
                        recovered = self.channel.wait_for_recovery(error.clone()) => Some(recovered),
                        () = self.gone_for_good() => Some(Err(error)),
                    };
                    let renewed = self.bus.generation() > self.generation && !self.bus.is_dead();
                    match recovered {
                        Some(Ok(())) => {
                            info!(queue = %self.queue, "Consumer recovered.");
                            continue;
                        }
                        None | Some(Err(_)) if renewed => {
                            if let Err(error) = self.restart().await {
                                return Some(Err(error));
                            }
                            continue;
                        }
                        None => continue,
                        Some(Err(error)) => {
                            let error = BusError::Consume {
                                queue: self.queue.clone(),
                                source: AmqpError::from(error),
                            };
                            warn!(%error, "Consumer cannot recover.");
                            return Some(Err(error));
                        }
                    }
                }
            }
        }
    }

    /// A delivery the broker has already sent, without waiting: `None` when
    /// none is ready now (or the stream is in a state [`Consumer::next`]
    /// must handle, such as a lost channel, which the next call to it does).
    pub fn ready(&mut self) -> Option<Delivery> {
        match self.inner.next().now_or_never() {
            Some(Some(Ok(delivery))) => Some(Delivery::taken(delivery, self.queue.clone())),
            _ => None,
        }
    }

    /// Stops consuming without counting anything against the delivery
    /// limit: cancels the consumer so the broker sends nothing more, hands
    /// `held` (a delivery taken but not handled) and every delivery the
    /// broker had already sent back to the queue as fresh copies
    /// ([`Delivery::requeue_fresh`]), then closes the channel. A plain close
    /// would return them too, but a quorum queue counts each return toward
    /// the delivery limit, so a message that sat in the prefetch of a
    /// consumer stopped a few times would be dead-lettered for nothing.
    pub async fn cancel_returning(
        mut self,
        publisher: &Publisher,
        held: Vec<Delivery>,
    ) -> Result<(), BusError> {
        let tag = self.inner.tag();
        if !self.channel.status().connected() {
            // Nothing can be handed back over a channel that is down; the
            // broker returns what this consumer held when it notices.
            drop(held);
            close_channel(&self.channel).await;
            return Ok(());
        }
        let cancelling = self
            .channel
            .basic_cancel(tag.clone(), BasicCancelOptions::default());
        let result = match tokio::time::timeout(CANCEL_TIMEOUT, cancelling).await {
            Ok(done) => done.map_err(|source| BusError::Consume {
                queue: self.queue.clone(),
                source: AmqpError::from(source),
            }),
            Err(_) => Err(BusError::Timeout {
                operation: "cancelling a consumer",
                timeout: CANCEL_TIMEOUT,
            }),
        };
        let mut returned = 0u32;
        let mut pending = held;
        if result.is_ok() {
            // After the cancel is confirmed nothing new arrives; what the
            // stream still yields was sent before it.
            while let Ok(Some(Ok(delivery))) =
                tokio::time::timeout(DRAIN_WAIT, self.inner.next()).await
            {
                pending.push(Delivery::taken(delivery, self.queue.clone()));
            }
        }
        for delivery in pending {
            let message_id = delivery.message_id().unwrap_or("-").to_owned();
            match delivery.requeue_fresh(publisher).await {
                Ok(()) => returned += 1,
                Err(error) => {
                    warn!(%error, queue = %self.queue, message_id = %message_id, "Failed to hand a message back to its queue on stopping.")
                }
            }
        }
        close_channel(&self.channel).await;
        debug!(queue = %self.queue, tag = %tag, returned, "Cancelled consumer, handing back what it held.");
        result
    }

    /// Starts consuming again on the connection that replaced the one this
    /// consumer's channel is on. Deliveries taken on the old channel can no
    /// longer be settled; the broker returned them to the queue when the
    /// old connection was lost. Retried until it works or the bus is gone
    /// for good.
    async fn restart(&mut self) -> Result<(), BusError> {
        let mut wait = Duration::from_millis(250);
        loop {
            let started = self
                .bus
                .within(
                    "starting a consumer again",
                    self.bus.start_consuming(&self.queue, &self.recipe),
                )
                .await;
            match started {
                Ok(started) => {
                    let old = std::mem::replace(&mut self.channel, started.channel);
                    self.inner = started.deliveries;
                    self.generation = started.generation;
                    info!(queue = %self.queue, "Consumer started again on the new connection.");
                    // The old channel's connection is stalled: closing it
                    // must not hold the consumer up.
                    tokio::spawn(async move { close_channel(&old).await });
                    return Ok(());
                }
                Err(error) if self.bus.is_dead() => {
                    warn!(%error, queue = %self.queue, "Consumer cannot start again.");
                    return Err(error);
                }
                Err(error) => {
                    warn!(%error, queue = %self.queue, retry_in_ms = wait.as_millis(), "Cannot start the consumer on the new connection yet.");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(RESTART_MAX_WAIT);
                }
            }
        }
    }

    /// Resolves once neither the connection nor this consumer's channel can
    /// come back: the connection was closed or failed for good, or the
    /// channel was closed or failed (for instance its topology could not be
    /// restored). lapin's wait for a recovery never ends in those cases.
    async fn gone_for_good(&self) {
        let mut ticks = tokio::time::interval(RECOVERY_CHECK_INTERVAL);
        loop {
            ticks.tick().await;
            let channel = self.channel.status();
            let channel_dead =
                !channel.connected() && !channel.reconnecting() && !channel.initializing();
            if self.bus.is_dead() || channel_dead {
                return;
            }
        }
    }

    /// Stops consuming and closes the consumer's channel: deliveries not yet
    /// settled go back to the queue.
    pub async fn cancel(self) -> Result<(), BusError> {
        let tag = self.inner.tag();
        let result = if self.channel.status().connected() {
            let cancelling = self
                .channel
                .basic_cancel(tag.clone(), BasicCancelOptions::default());
            match tokio::time::timeout(CANCEL_TIMEOUT, cancelling).await {
                Ok(result) => result.map_err(|source| BusError::Consume {
                    queue: self.queue.clone(),
                    source: AmqpError::from(source),
                }),
                Err(_) => Err(BusError::Timeout {
                    operation: "cancelling a consumer",
                    timeout: CANCEL_TIMEOUT,
                }),
            }
        } else {
            Ok(())
        };
        close_channel(&self.channel).await;
        debug!(queue = %self.queue, tag = %tag, "Cancelled consumer.");
        result
    }
}

/// One message taken from a queue. Settling ([`Delivery::ack`],
/// [`Delivery::requeue`], [`Delivery::dead_letter`]) consumes it, so a
/// message cannot be settled twice; a delivery dropped unsettled is
/// redelivered when its consumer's channel closes.
pub struct Delivery {
    /// lapin's delivery (body, properties, acker).
    inner: lapin::message::Delivery,
    /// The queue it came from.
    queue: String,
    /// Settled by a multiple acknowledgement sent with a later delivery of
    /// the same channel ([`Delivery::ack_through`]).
    covered: bool,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("queue", &self.queue)
            .field("message_id", &self.message_id())
            .field("kind", &self.kind())
            .field("exchange", &self.exchange())
            .field("routing_key", &self.routing_key())
            .field("redelivered", &self.redelivered())
            .field("delivery_count", &self.delivery_count())
            .field("body_len", &self.inner.data.len())
            .finish()
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        // A usable acker means nobody settled the message: it now holds a
        // prefetch slot until the consumer's channel closes.
        if !self.covered && self.inner.acker.usable() {
            warn!(
                queue = %self.queue,
                message_id = self.message_id().unwrap_or("-"),
                "Delivery dropped without being settled; it is redelivered when its consumer closes."
            );
        }
    }
}

impl Delivery {
    /// Wraps a message taken from `queue` by `basic.get`.
    pub(crate) fn taken(inner: lapin::message::Delivery, queue: String) -> Self {
        Self {
            inner,
            queue,
            covered: false,
        }
    }

    /// The AMQP properties as received.
    pub(crate) fn properties(&self) -> &lapin::BasicProperties {
        &self.inner.properties
    }

    /// The payload.
    pub fn body(&self) -> &[u8] {
        &self.inner.data
    }

    /// The AMQP `message_id`, if the publisher set one.
    pub fn message_id(&self) -> Option<&str> {
        self.inner
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str())
    }

    /// The AMQP `type` property, if set.
    pub fn kind(&self) -> Option<&str> {
        self.inner
            .properties
            .kind()
            .as_ref()
            .map(|kind| kind.as_str())
    }

    /// The AMQP `content_type`, if set.
    pub fn content_type(&self) -> Option<&str> {
        self.inner
            .properties
            .content_type()
            .as_ref()
            .map(|content_type| content_type.as_str())
    }

    /// The AMQP `app_id`, if set (`govwire` for everything govwire publishes).
    pub fn app_id(&self) -> Option<&str> {
        self.inner
            .properties
            .app_id()
            .as_ref()
            .map(|id| id.as_str())
    }

    /// The AMQP `timestamp` (whole seconds), if set.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.inner
            .properties
            .timestamp()
            .and_then(|seconds| i64::try_from(seconds).ok())
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
    }

    /// Whether the publisher marked the message persistent (delivery mode 2).
    pub fn is_persistent(&self) -> bool {
        *self.inner.properties.delivery_mode() == Some(2)
    }

    /// The routing key it was published with.
    pub fn routing_key(&self) -> &str {
        self.inner.routing_key.as_str()
    }

    /// The exchange it was published to (empty for the default exchange).
    pub fn exchange(&self) -> &str {
        self.inner.exchange.as_str()
    }

    /// The queue it was taken from.
    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Whether the broker delivered it before (to this or another consumer).
    pub fn redelivered(&self) -> bool {
        self.inner.redelivered
    }

    /// How many times the message was delivered before without being
    /// acknowledged (the quorum queue's `x-delivery-count`; 0 if absent).
    pub fn delivery_count(&self) -> u32 {
        self.headers_table()
            .and_then(|headers| headers.inner().get(DELIVERY_COUNT_HEADER))
            .and_then(amqp_integer)
            .and_then(|count| u32::try_from(count).ok())
            .unwrap_or(0)
    }

    /// A header as text: strings as they are, numbers and booleans printed;
    /// `None` if absent or a table/array (such as `x-death`).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers_table()
            .and_then(|headers| headers.inner().get(name))
            .and_then(amqp_text)
    }

    /// Every header that has a text form (see [`Delivery::header`]).
    pub fn headers(&self) -> Vec<(String, String)> {
        self.headers_table()
            .map(|headers| {
                headers
                    .inner()
                    .iter()
                    .filter_map(|(name, value)| {
                        amqp_text(value).map(|text| (name.as_str().to_owned(), text))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Acknowledges the message: the broker forgets it.
    pub async fn ack(self) -> Result<(), BusError> {
        let done = self.inner.acker.ack(BasicAckOptions::default()).await;
        self.settled("ack", done)
    }

    /// Acknowledges `deliveries`, all taken from one consumer in the order
    /// the broker sent them, with one `basic.ack` (multiple) on the last:
    /// the broker forgets every unsettled delivery of that channel up to
    /// it. Only for a run that holds every delivery of the channel not yet
    /// settled, which a consumer's batch is.
    pub async fn ack_through(mut deliveries: Vec<Delivery>) -> Result<(), BusError> {
        let Some(last) = deliveries.pop() else {
            return Ok(());
        };
        if deliveries.is_empty() {
            return last.ack().await;
        }
        let done = last
            .inner
            .acker
            .ack(BasicAckOptions { multiple: true })
            .await;
        let result = last.settled("ack", done);
        for delivery in &mut deliveries {
            // Settled by the multiple ack, or, if it failed, by the
            // channel's close: the broker redelivers them then.
            delivery.covered = true;
        }
        result
    }

    /// Returns the message to its queue for another try (`basic.nack` with
    /// requeue). A quorum queue counts this toward its delivery limit and
    /// dead-letters the message once the limit is passed.
    pub async fn requeue(self) -> Result<(), BusError> {
        let done = self
            .inner
            .acker
            .nack(BasicNackOptions {
                multiple: false,
                requeue: true,
            })
            .await;
        self.settled("requeue", done)
    }

    /// Returns the message to the back of its queue without counting a
    /// delivery: publishes a copy (same body and properties, the quorum
    /// delivery count dropped) to the queue through the default exchange,
    /// waits for the broker's confirm, and only then acknowledges the
    /// original. If the copy cannot be published, the original is requeued
    /// instead (counted, never lost) and the error is returned.
    pub async fn requeue_fresh(self, publisher: &Publisher) -> Result<(), BusError> {
        let message_id = self.message_id().unwrap_or("-").to_owned();
        let mut headers = FieldTable::default();
        if let Some(existing) = self.headers_table() {
            for (name, value) in existing.inner() {
                if name.as_str() != DELIVERY_COUNT_HEADER {
                    headers.insert(name.clone(), value.clone());
                }
            }
        }
        let properties = self.inner.properties.clone().with_headers(headers);
        let published = publisher
            .publish_raw("", &self.queue, self.body(), properties, &message_id)
            .await;
        match published {
            Ok(()) => self.ack().await,
            Err(error) => {
                let queue = self.queue.clone();
                let outcome = match self.requeue().await {
                    Ok(()) => "requeued instead",
                    Err(_) => "left for redelivery",
                };
                Err(BusError::Settle {
                    action: "requeue a fresh copy",
                    queue,
                    message_id,
                    reason: format!("{error} (message {outcome})"),
                })
            }
        }
    }

    /// Moves the message to its queue's dead-letter queue (`<queue>.dlq`):
    /// publishes a copy (same body and properties, plus the headers
    /// `x-govwire-reason`, `x-govwire-original-queue`,
    /// `x-govwire-original-routing-key`, `x-govwire-original-exchange`) to
    /// `<prefix>.dlx` with the queue name as routing key, waits for the
    /// broker's confirm, and only then acknowledges the original.
    ///
    /// If the copy cannot be published, the original is requeued instead
    /// (never lost: the queue's delivery limit still bounds the retries) and
    /// the publish error is returned.
    pub async fn dead_letter(self, publisher: &Publisher, reason: &str) -> Result<(), BusError> {
        let dlx = publisher.bus().config().dead_letter_exchange();
        let message_id = self.message_id().unwrap_or("-").to_owned();
        let copy = self.dead_letter_properties(reason);
        let published = match copy {
            Ok(properties) => {
                publisher
                    .publish_raw(&dlx, &self.queue, self.body(), properties, &message_id)
                    .await
            }
            Err(error) => Err(error),
        };
        match published {
            Ok(()) => {
                let queue = self.queue.clone();
                let routing_key = self.routing_key().to_owned();
                self.ack().await?;
                warn!(
                    queue = %queue,
                    message_id = %message_id,
                    routing_key = %routing_key,
                    reason,
                    "Dead-lettered message."
                );
                Ok(())
            }
            Err(error) => {
                let queue = self.queue.clone();
                let requeued = self.requeue().await;
                let outcome = match requeued {
                    Ok(()) => "requeued instead",
                    Err(_) => "left for redelivery",
                };
                warn!(%error, queue = %queue, message_id = %message_id, outcome, "Failed to dead-letter message.");
                Err(BusError::Settle {
                    action: "dead-letter",
                    queue,
                    message_id,
                    reason: format!("{error} (message {outcome})"),
                })
            }
        }
    }

    /// The properties of the dead-letter copy: the original ones plus the
    /// govwire headers; the quorum delivery count is kept under a govwire
    /// name so the dead-letter queue's own count starts afresh.
    fn dead_letter_properties(&self, reason: &str) -> Result<lapin::BasicProperties, BusError> {
        let mut headers = FieldTable::default();
        let original_count = self.delivery_count();
        if let Some(existing) = self.headers_table() {
            for (name, value) in existing.inner() {
                if name.as_str() != DELIVERY_COUNT_HEADER {
                    headers.insert(name.clone(), value.clone());
                }
            }
        }
        let text = |value: &str| AMQPValue::LongString(LongString::from(value));
        headers.insert(short("header name", REASON_HEADER)?, text(reason));
        headers.insert(
            short("header name", ORIGINAL_QUEUE_HEADER)?,
            text(&self.queue),
        );
        headers.insert(
            short("header name", ORIGINAL_ROUTING_KEY_HEADER)?,
            text(self.routing_key()),
        );
        headers.insert(
            short("header name", ORIGINAL_EXCHANGE_HEADER)?,
            text(self.exchange()),
        );
        headers.insert(
            short("header name", ORIGINAL_DELIVERY_COUNT_HEADER)?,
            text(&original_count.to_string()),
        );
        Ok(self.inner.properties.clone().with_headers(headers))
    }

    /// The raw header table.
    fn headers_table(&self) -> Option<&FieldTable> {
        self.inner.properties.headers().as_ref()
    }

    /// Maps lapin's settle result to ours: `Ok(false)` means the acker was
    /// already used or its channel is gone, so the broker will redeliver.
    fn settled(&self, action: &'static str, done: lapin::Result<bool>) -> Result<(), BusError> {
        let reason = match done {
            Ok(true) => return Ok(()),
            Ok(false) => "the consumer's channel was closed; the broker will redeliver the message"
                .to_owned(),
            Err(error) => error.to_string(),
        };
        Err(BusError::Settle {
            action,
            queue: self.queue.clone(),
            message_id: self.message_id().unwrap_or("-").to_owned(),
            reason,
        })
    }
}

/// An integer header value, whatever its AMQP width.
fn amqp_integer(value: &AMQPValue) -> Option<i64> {
    match value {
        AMQPValue::ShortShortInt(v) => Some((*v).into()),
        AMQPValue::ShortShortUInt(v) => Some((*v).into()),
        AMQPValue::ShortInt(v) => Some((*v).into()),
        AMQPValue::ShortUInt(v) => Some((*v).into()),
        AMQPValue::LongInt(v) => Some((*v).into()),
        AMQPValue::LongUInt(v) => Some((*v).into()),
        AMQPValue::LongLongInt(v) => Some(*v),
        AMQPValue::Timestamp(v) => i64::try_from(*v).ok(),
        AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok()?.parse().ok(),
        AMQPValue::ShortString(s) => s.as_str().parse().ok(),
        _ => None,
    }
}

/// The text form of a scalar header value.
fn amqp_text(value: &AMQPValue) -> Option<String> {
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        AMQPValue::Boolean(b) => Some(b.to_string()),
        AMQPValue::Float(f) => Some(f.to_string()),
        AMQPValue::Double(d) => Some(d.to_string()),
        other => amqp_integer(other).map(|n| n.to_string()),
    }
}
