//! What operators do with dead-letter queues: look at what is in them and
//! put messages back where they failed (`govwire dlq list`, `govwire dlq
//! replay`).
//!
//! A message reaches `<queue>.dlq` in one of two ways: govwire moved it
//! there as poison (headers `x-govwire-reason`, `x-govwire-original-queue`),
//! or the broker did when the message passed the queue's delivery limit
//! (headers `x-first-death-reason`, `x-first-death-queue`). Either way a
//! replay publishes a copy straight to the queue it failed in (through the
//! default exchange, so no other subscriber sees it twice), confirmed by the
//! broker, and only then removes it from the dead-letter queue.

use chrono::{DateTime, Utc};
use lapin::options::BasicGetOptions;
use lapin::types::FieldTable;
use tracing::{info, warn};

use crate::connection::close_channel;
use crate::consumer::{
    Delivery, ORIGINAL_DELIVERY_COUNT_HEADER, ORIGINAL_EXCHANGE_HEADER, ORIGINAL_QUEUE_HEADER,
    ORIGINAL_ROUTING_KEY_HEADER, REASON_HEADER,
};
use crate::error::{short, AmqpError, BusError};
use crate::Bus;

/// The broker's headers on a message it dead-lettered.
const FIRST_DEATH_QUEUE: &str = "x-first-death-queue";
const FIRST_DEATH_REASON: &str = "x-first-death-reason";
const FIRST_DEATH_EXCHANGE: &str = "x-first-death-exchange";
const DEATH_TABLE: &str = "x-death";
/// The quorum queue's redelivery counter; a replayed copy starts afresh.
const DELIVERY_COUNT: &str = "x-delivery-count";

/// One message in a dead-letter queue, as an operator needs to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The AMQP message id (govwire sets one on everything it publishes).
    pub message_id: Option<String>,
    /// The AMQP type (`govwire.pipeline.raw_page`, an event type).
    pub kind: Option<String>,
    /// The queue the message failed in, where a replay puts it back.
    pub queue: Option<String>,
    /// Why it was dead-lettered: govwire's reason for a poison message, or
    /// the broker's (`delivery_limit`, `rejected`, `expired`).
    pub reason: String,
    /// Whether govwire moved it (poison) rather than the broker (the
    /// delivery limit).
    pub poison: bool,
    /// When it was first published, if the publisher said.
    pub published_at: Option<DateTime<Utc>>,
    /// The payload's size in bytes.
    pub body_len: usize,
}

impl DeadLetter {
    fn of(delivery: &Delivery) -> Self {
        let govwire_reason = delivery.header(REASON_HEADER);
        let poison = govwire_reason.is_some();
        let reason = govwire_reason
            .or_else(|| delivery.header(FIRST_DEATH_REASON))
            .unwrap_or_else(|| "unknown".to_owned());
        let queue = delivery
            .header(ORIGINAL_QUEUE_HEADER)
            .or_else(|| delivery.header(FIRST_DEATH_QUEUE));
        DeadLetter {
            message_id: delivery.message_id().map(str::to_owned),
            kind: delivery.kind().map(str::to_owned),
            queue,
            reason,
            poison,
            published_at: delivery.timestamp(),
            body_len: delivery.body().len(),
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replay {
    /// Messages put back into the queue they failed in.
    pub replayed: Vec<DeadLetter>,
    /// Messages that matched but name no queue to go back to; they stay.
    pub stranded: Vec<DeadLetter>,
    /// Messages left in the dead-letter queue because they did not match.
    pub left: usize,
}

impl Bus {
    /// Every message in the dead-letter queue `dlq` (a full name), oldest
    /// first, without removing any: they are taken unacknowledged and given
    /// back when the look is over.
    pub async fn dead_letters(&self, dlq: &str) -> Result<Vec<DeadLetter>, BusError> {
        let (channel, taken) = self.take_all(dlq).await?;
        let letters = taken.iter().map(DeadLetter::of).collect();
        for delivery in taken {
            // Back to the dead-letter queue, which has no delivery limit.
            let _ = delivery.requeue().await;
        }
        close_channel(&channel).await;
        Ok(letters)
    }

    /// Puts the messages of the dead-letter queue `dlq` (a full name) back
    /// into the queue each failed in, or only those whose message id is
    /// `only`. Each copy is confirmed by the broker before its original
    /// leaves the dead-letter queue, so a replay interrupted at any point
    /// loses nothing (at worst a message is in both queues, and consumers
    /// are idempotent on its id).
    pub async fn replay_dead_letters(
        &self,
        dlq: &str,
        only: Option<&str>,
    ) -> Result<Replay, BusError> {
        let (channel, taken) = self.take_all(dlq).await?;
        let result = self.replay_taken(dlq, only, taken).await;
        // Whatever was not settled (a failed publish) goes back on close.
        close_channel(&channel).await;
        result
    }

    async fn replay_taken(
        &self,
        dlq: &str,
        only: Option<&str>,
        taken: Vec<Delivery>,
    ) -> Result<Replay, BusError> {
        let publisher = self.publisher().await?;
        let mut replay = Replay::default();
        for delivery in taken {
            let letter = DeadLetter::of(&delivery);
            if only.is_some_and(|id| letter.message_id.as_deref() != Some(id)) {
                replay.left += 1;
                let _ = delivery.requeue().await;
                continue;
            }
            let Some(queue) = letter.queue.clone() else {
                warn!(dlq, message_id = ?letter.message_id, "A dead letter names no queue to go back to; leaving it.");
                replay.stranded.push(letter);
                let _ = delivery.requeue().await;
                continue;
            };
            let message_id = letter.message_id.clone().unwrap_or_else(|| "-".to_owned());
            let properties = delivery
                .properties()
                .clone()
                .with_headers(replay_headers(delivery.properties().headers().as_ref()));
            publisher
                .publish_raw("", &queue, delivery.body(), properties, &message_id)
                .await?;
            delivery.ack().await?;
            info!(dlq, queue = %queue, message_id = %message_id, reason = %letter.reason, "Replayed a dead letter.");
            replay.replayed.push(letter);
        }
        Ok(replay)
    }

    /// Takes every message now in `queue` unacknowledged, on a channel of
    /// its own, returned so the caller closes it once it has settled them
    /// (closing gives back whatever is still unsettled).
    async fn take_all(&self, queue: &str) -> Result<(lapin::Channel, Vec<Delivery>), BusError> {
        let name = short("queue name", queue)?;
        let ready = self.queue_message_count(queue).await?;
        let channel = self.open_channel().await?;
        let mut taken = Vec::new();
        // No more than were there at the start: a replayed message that
        // fails again while this runs is not taken twice.
        while taken.len() < ready as usize {
            let got = channel
                .basic_get(name.clone(), BasicGetOptions { no_ack: false })
                .await
                .map_err(|source| BusError::Consume {
                    queue: queue.to_owned(),
                    source: AmqpError::from(source),
                });
            match got {
                Ok(Some(message)) => {
                    taken.push(Delivery::taken(message.delivery, queue.to_owned()))
                }
                Ok(None) => break,
                Err(error) => {
                    close_channel(&channel).await;
                    return Err(error);
                }
            }
        }
        Ok((channel, taken))
    }
}

/// The headers of a replayed copy: the original's, without what the
/// dead-lettering added and without the redelivery count.
fn replay_headers(headers: Option<&FieldTable>) -> FieldTable {
    let mut out = FieldTable::default();
    if let Some(headers) = headers {
        for (name, value) in headers.inner() {
            let drop = matches!(
                name.as_str(),
                REASON_HEADER
                    | ORIGINAL_QUEUE_HEADER
                    | ORIGINAL_ROUTING_KEY_HEADER
                    | ORIGINAL_EXCHANGE_HEADER
                    | ORIGINAL_DELIVERY_COUNT_HEADER
                    | FIRST_DEATH_QUEUE
                    | FIRST_DEATH_REASON
                    | FIRST_DEATH_EXCHANGE
                    | DEATH_TABLE
                    | DELIVERY_COUNT
            );
            if !drop {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::AMQPValue;

    #[test]
    fn a_replayed_copy_keeps_its_own_headers_and_drops_the_dead_lettering() {
        let mut headers = FieldTable::default();
        let text = |v: &str| AMQPValue::LongString(v.into());
        headers.insert("x-trace".into(), text("abc"));
        headers.insert(REASON_HEADER.into(), text("parse failure"));
        headers.insert(FIRST_DEATH_REASON.into(), text("delivery_limit"));
        headers.insert(DELIVERY_COUNT.into(), AMQPValue::LongLongInt(5));
        headers.insert(
            DEATH_TABLE.into(),
            AMQPValue::FieldArray(Default::default()),
        );
        let kept = replay_headers(Some(&headers));
        let names: Vec<&str> = kept.inner().keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-trace"]);
    }
}
