//! Confirmed, mandatory, persistent publishing.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use govwire_model::event::{APP_ID, CLOUDEVENTS_CONTENT_TYPE};
use govwire_model::CloudEvent;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Confirmation};
use tokio::sync::Mutex;
use tracing::{debug, warn};

use crate::connection::{close_channel, Bus};
use crate::error::{short, AmqpError, BusError, PublishError};

/// AMQP delivery mode 2: the broker writes the message to disk.
const PERSISTENT: u8 = 2;

/// A message to publish. Callers choose the ids (deterministic ids let
/// consumers deduplicate a message published twice after a timeout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The exchange to publish to.
    pub exchange: String,
    /// The routing key; at least one queue must be bound for it.
    pub routing_key: String,
    /// The payload (JSON in govwire).
    pub body: Vec<u8>,
    /// The AMQP `content_type`: `application/json` for pipeline messages,
    /// `application/cloudevents+json` for events.
    pub content_type: String,
    /// The AMQP `message_id`, chosen by the caller.
    pub message_id: String,
    /// The AMQP `type` property: what the body is, so consumers can dispatch
    /// without parsing it.
    pub kind: Option<String>,
    /// The AMQP `timestamp` (whole seconds): when the content was produced.
    pub timestamp: Option<DateTime<Utc>>,
    /// Extra string headers (e.g. `x-govwire-reason`).
    pub headers: Vec<(String, String)>,
}

/// Publishes messages on its own channel in confirm mode. Cheap to clone;
/// clones share the channel and publish one message at a time, so that a
/// returned (unroutable) message is always matched to its own publish.
/// Open more publishers for parallel publishing.
#[derive(Clone)]
pub struct Publisher {
    /// The bus the channel belongs to (to reopen the channel after a
    /// failure, and for the configuration).
    bus: Bus,
    /// The confirm-mode channel; `None` after a failure until the next
    /// publish opens a fresh one. The lock also serializes publishes.
    channel: Arc<Mutex<Option<Channel>>>,
    /// The generation of the connection the channel is on: a channel of a
    /// connection the bus has replaced is not used again. Changed only
    /// with `channel` locked.
    generation: Arc<AtomicU64>,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher").field("bus", &self.bus).finish()
    }
}

impl Publisher {
    /// Opens the publisher's channel.
    pub(crate) async fn open(bus: Bus) -> Result<Self, BusError> {
        let (channel, generation) = open_confirm_channel(&bus).await?;
        Ok(Self {
            bus,
            channel: Arc::new(Mutex::new(Some(channel))),
            generation: Arc::new(AtomicU64::new(generation)),
        })
    }

    /// Whether the publisher's channel is on the connection the bus uses
    /// now (not on one it replaced).
    fn on_current_connection(&self) -> bool {
        self.generation.load(Ordering::Acquire) == self.bus.generation()
    }

    /// Publishes `msg` persistent (delivery mode 2), with app id `govwire`
    /// and the mandatory flag, and waits for the broker's confirm (at most
    /// the configured confirm timeout).
    ///
    /// `Ok` means the broker has taken responsibility for the message. A
    /// `basic.nack` gives [`PublishError::Nacked`]; a message no queue is
    /// bound for gives [`PublishError::Unroutable`]; no confirm in time gives
    /// [`PublishError::Timeout`].
    pub async fn publish(&self, msg: &Message) -> Result<(), BusError> {
        let properties = properties_of(msg)?;
        self.publish_raw(
            &msg.exchange,
            &msg.routing_key,
            &msg.body,
            properties,
            &msg.message_id,
        )
        .await
    }

    /// Publishes every message of `messages` like [`Publisher::publish`],
    /// pipelined: all are sent, then the broker's confirms are awaited
    /// together (at most the confirm timeout for the whole batch), so a
    /// batch costs about one round trip instead of one per message. Answers
    /// one outcome per message, in order; a message no queue was bound for
    /// is matched to its outcome by its message id. When the channel fails
    /// part-way, the messages not confirmed get the error (publishing them
    /// again is safe: ids let consumers deduplicate).
    pub async fn publish_all(&self, messages: &[Message]) -> Vec<Result<(), BusError>> {
        if messages.len() < 2 {
            let mut outcomes = Vec::with_capacity(messages.len());
            for message in messages {
                outcomes.push(self.publish(message).await);
            }
            return outcomes;
        }
        let mut slot = self.channel.lock().await;
        let channel = match slot.as_ref() {
            Some(channel) if channel.status().connected() && self.on_current_connection() => {
                channel.clone()
            }
            _ => {
                // Opening, recovering and retrying are `publish`'s business.
                drop(slot);
                let mut outcomes = Vec::with_capacity(messages.len());
                for message in messages {
                    outcomes.push(self.publish(message).await);
                }
                return outcomes;
            }
        };
        let timeout = self.bus.config().confirm_timeout;
        let mut outcomes: Vec<Option<Result<(), BusError>>> =
            messages.iter().map(|_| None).collect();
        let mut returned_ids = std::collections::HashSet::new();
        let mut channel_failed = false;
        let sent = tokio::time::timeout(timeout, async {
            let mut confirms = Vec::with_capacity(messages.len());
            for (index, message) in messages.iter().enumerate() {
                let prepared = properties_of(message).and_then(|properties| {
                    Ok((
                        short("exchange name", &message.exchange)?,
                        short("routing key", &message.routing_key)?,
                        properties,
                    ))
                });
                let (exchange, key, properties) = match prepared {
                    Ok(parts) => parts,
                    Err(error) => {
                        outcomes[index] = Some(Err(error));
                        continue;
                    }
                };
                let properties = properties
                    .with_delivery_mode(PERSISTENT)
                    .with_app_id(APP_ID.into());
                match channel
                    .basic_publish(
                        exchange,
                        key,
                        BasicPublishOptions {
                            mandatory: true,
                            immediate: false,
                        },
                        &message.body,
                        properties,
                    )
                    .await
                {
                    Ok(confirm) => confirms.push((index, confirm)),
                    Err(source) => {
                        channel_failed = true;
                        outcomes[index] = Some(Err(failed_publish(message, source)));
                        break;
                    }
                }
            }
            for (index, confirm) in confirms {
                let message = &messages[index];
                outcomes[index] = Some(match confirm.await {
                    Ok(Confirmation::Ack(returned)) => {
                        if let Some(id) = returned
                            .as_ref()
                            .and_then(|r| r.properties.message_id().clone())
                        {
                            returned_ids.insert(id.to_string());
                        }
                        Ok(())
                    }
                    Ok(Confirmation::Nack(returned)) => {
                        if let Some(id) = returned
                            .as_ref()
                            .and_then(|r| r.properties.message_id().clone())
                        {
                            returned_ids.insert(id.to_string());
                        }
                        Err(PublishError::Nacked {
                            exchange: message.exchange.clone(),
                            routing_key: message.routing_key.clone(),
                        }
                        .into())
                    }
                    Ok(Confirmation::NotRequested) => {
                        channel_failed = true;
                        Err(not_in_confirm_mode(message))
                    }
                    Err(source) => {
                        channel_failed = true;
                        Err(failed_publish(message, source))
                    }
                });
            }
        })
        .await;
        if sent.is_err() || channel_failed {
            // A late confirm or return must not be taken for a later
            // message's: never reuse this channel.
            discard(&mut slot);
        }
        drop(slot);
        messages
            .iter()
            .zip(outcomes)
            .map(|(message, outcome)| {
                let outcome = outcome.unwrap_or_else(|| {
                    Err(if sent.is_err() {
                        PublishError::Timeout {
                            exchange: message.exchange.clone(),
                            routing_key: message.routing_key.clone(),
                            timeout,
                        }
                        .into()
                    } else {
                        PublishError::Failed {
                            exchange: message.exchange.clone(),
                            routing_key: message.routing_key.clone(),
                            source: AmqpError::from(lapin::Error::from(
                                lapin::ErrorKind::InvalidChannelState(
                                    lapin::ChannelState::Error,
                                    "an earlier message of the batch failed on this channel",
                                ),
                            )),
                        }
                        .into()
                    })
                });
                let outcome = match outcome {
                    Ok(()) if returned_ids.contains(&message.message_id) => {
                        Err(PublishError::Unroutable {
                            exchange: message.exchange.clone(),
                            routing_key: message.routing_key.clone(),
                        }
                        .into())
                    }
                    other => other,
                };
                match &outcome {
                    Ok(()) => debug!(exchange = %message.exchange, routing_key = %message.routing_key, message_id = %message.message_id, "Published message."),
                    Err(error) => warn!(%error, exchange = %message.exchange, routing_key = %message.routing_key, message_id = %message.message_id, "Failed to publish message."),
                }
                outcome
            })
            .collect()
    }

    /// Publishes a CloudEvent to the events exchange, routed by
    /// `<portal>.<entity>.<action>`, as `application/cloudevents+json`, with
    /// the event's id, type and time as AMQP message id, type and timestamp.
    pub async fn publish_event<T: serde::Serialize>(
        &self,
        event: &CloudEvent<T>,
    ) -> Result<(), BusError> {
        let body = serde_json::to_vec(event).map_err(|source| BusError::Serialize {
            id: event.id.to_string(),
            source,
        })?;
        self.publish(&Message {
            exchange: self.bus.config().events_exchange.clone(),
            routing_key: event.routing_key(),
            body,
            content_type: CLOUDEVENTS_CONTENT_TYPE.to_owned(),
            message_id: event.id.to_string(),
            kind: Some(event.event_type.clone()),
            timestamp: Some(event.time),
            headers: Vec::new(),
        })
        .await
    }

    /// The bus this publisher belongs to.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Publishes with ready-made properties (persistence, app id and the
    /// mandatory flag are always set here) and waits for the confirm.
    pub(crate) async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
        message_id: &str,
    ) -> Result<(), BusError> {
        let exchange_name = short("exchange name", exchange)?;
        let key = short("routing key", routing_key)?;
        let properties = properties
            .with_delivery_mode(PERSISTENT)
            .with_app_id(APP_ID.into());
        let timeout = self.bus.config().confirm_timeout;
        let failed = |source: lapin::Error| PublishError::Failed {
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
            source: AmqpError::from(source),
        };

        let mut slot = self.channel.lock().await;
        let outcome = tokio::time::timeout(timeout, async {
            let mut waited_for_recovery = false;
            loop {
                let channel = match slot.as_ref() {
                    // A channel lapin is recovering comes back by itself,
                    // unless the bus replaced its connection.
                    Some(channel)
                        if (channel.status().connected() || channel.status().reconnecting())
                            && self.on_current_connection() =>
                    {
                        channel.clone()
                    }
                    _ => {
                        let (channel, generation) = open_confirm_channel(&self.bus).await?;
                        *slot = Some(channel.clone());
                        self.generation.store(generation, Ordering::Release);
                        channel
                    }
                };
                let attempt = async {
                    channel
                        .basic_publish(
                            exchange_name.clone(),
                            key.clone(),
                            BasicPublishOptions {
                                mandatory: true,
                                immediate: false,
                            },
                            body,
                            properties.clone(),
                        )
                        .await?
                        .await
                }
                .await;
                match attempt {
                    Ok(confirmation) => return Ok::<_, BusError>(confirmation),
                    // The connection dropped: wait for lapin to restore it
                    // and publish once more (a duplicate is possible if the
                    // first copy reached the broker; ids let consumers
                    // deduplicate).
                    Err(error) if !waited_for_recovery && channel.status().reconnecting() => {
                        waited_for_recovery = true;
                        warn!(%error, exchange, routing_key, message_id, "Connection lost while publishing; waiting for it to recover.");
                        let generation = self.generation.load(Ordering::Acquire);
                        tokio::select! {
                            recovered = channel.wait_for_recovery(error) => recovered.map_err(failed)?,
                            // The bus replaced the connection: the next
                            // round opens a channel on the new one.
                            () = self.bus.renewed(generation) => {}
                        }
                    }
                    Err(error) => return Err(failed(error).into()),
                }
            }
        })
        .await;

        let result = match outcome {
            Ok(Ok(Confirmation::Ack(None))) => Ok(()),
            Ok(Ok(Confirmation::Ack(Some(_returned)))) => Err(PublishError::Unroutable {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
            }
            .into()),
            Ok(Ok(Confirmation::Nack(_))) => Err(PublishError::Nacked {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
            }
            .into()),
            Ok(Ok(Confirmation::NotRequested)) => {
                // Only possible if the channel lost confirm mode; start over
                // on a fresh channel next time.
                discard(&mut slot);
                Err(PublishError::Failed {
                    exchange: exchange.to_owned(),
                    routing_key: routing_key.to_owned(),
                    source: AmqpError::from(lapin::Error::from(
                        lapin::ErrorKind::InvalidChannelState(
                            lapin::ChannelState::Connected,
                            "publisher channel is not in confirm mode",
                        ),
                    )),
                }
                .into())
            }
            Ok(Err(error)) => {
                if !slot
                    .as_ref()
                    .is_some_and(|channel| channel.status().reconnecting())
                {
                    discard(&mut slot);
                }
                Err(error)
            }
            Err(_elapsed) => {
                // A late confirm or return must not be taken for the next
                // message's: never reuse this channel.
                discard(&mut slot);
                Err(PublishError::Timeout {
                    exchange: exchange.to_owned(),
                    routing_key: routing_key.to_owned(),
                    timeout,
                }
                .into())
            }
        };
        drop(slot);
        match &result {
            Ok(()) => debug!(exchange, routing_key, message_id, "Published message."),
            Err(error) => {
                warn!(%error, exchange, routing_key, message_id, "Failed to publish message.")
            }
        }
        result
    }
}

/// The AMQP properties `msg` asks for (persistence and the app id are
/// added when it is sent).
fn properties_of(msg: &Message) -> Result<BasicProperties, BusError> {
    let mut properties = BasicProperties::default()
        .with_content_type(short("content type", &msg.content_type)?)
        .with_message_id(short("message id", &msg.message_id)?);
    if let Some(kind) = &msg.kind {
        properties = properties.with_type(short("message type", kind)?);
    }
    if let Some(timestamp) = msg.timestamp {
        // Before 1970 cannot be expressed; such a timestamp is a bug
        // upstream, but it must not stop the message.
        match u64::try_from(timestamp.timestamp()) {
            Ok(seconds) => properties = properties.with_timestamp(seconds),
            Err(_) => warn!(
                message_id = %msg.message_id,
                %timestamp,
                "Dropping a timestamp before 1970 from a message."
            ),
        }
    }
    if !msg.headers.is_empty() {
        let mut headers = FieldTable::default();
        for (name, value) in &msg.headers {
            headers.insert(
                short("header name", name)?,
                AMQPValue::LongString(LongString::from(value.as_str())),
            );
        }
        properties = properties.with_headers(headers);
    }
    Ok(properties)
}

/// A publish that failed on the channel.
fn failed_publish(msg: &Message, source: lapin::Error) -> BusError {
    PublishError::Failed {
        exchange: msg.exchange.clone(),
        routing_key: msg.routing_key.clone(),
        source: AmqpError::from(source),
    }
    .into()
}

/// A confirm that says the channel is not in confirm mode.
fn not_in_confirm_mode(msg: &Message) -> BusError {
    failed_publish(
        msg,
        lapin::Error::from(lapin::ErrorKind::InvalidChannelState(
            lapin::ChannelState::Connected,
            "publisher channel is not in confirm mode",
        )),
    )
}

/// Opens a channel and puts it in confirm mode.
async fn open_confirm_channel(bus: &Bus) -> Result<(Channel, u64), BusError> {
    let (channel, generation) = bus.open_linked_channel().await?;
    if let Err(source) = channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
    {
        close_channel(&channel).await;
        return Err(BusError::Channel {
            operation: "confirm.select",
            source: AmqpError::from(source),
        });
    }
    Ok((channel, generation))
}

/// Drops the publisher's channel after a failure; the next publish opens a
/// fresh one. Not awaited: a broker that stopped answering must not hold
/// the publish past its timeout. lapin closes a dropped channel in the
/// background.
fn discard(slot: &mut Option<Channel>) {
    drop(slot.take());
}
