//! The bus crate's error boundary: what a caller can decide on, with texts
//! that never carry the broker password.

use std::fmt;
use std::time::Duration;

/// An error from the AMQP client, kept opaque so that no other govwire crate
/// depends on lapin's types. Its text comes from lapin and never contains
/// the connection URL.
pub struct AmqpError(Box<lapin::Error>);

impl From<lapin::Error> for AmqpError {
    fn from(error: lapin::Error) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Display for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for AmqpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for AmqpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

/// Why a publish did not end with the broker taking responsibility for the
/// message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The broker refused the message (`basic.nack`): it could not store it.
    /// Safe to retry later.
    #[error("the broker refused (nacked) the message to exchange `{exchange}` with routing key `{routing_key}`")]
    Nacked {
        /// Where the message was published.
        exchange: String,
        /// Its routing key.
        routing_key: String,
    },
    /// No queue is bound for the routing key (the message was mandatory and
    /// came back): a topology mistake, not a transient failure.
    #[error("no queue is bound to exchange `{exchange}` for routing key `{routing_key}`; the broker returned the message")]
    Unroutable {
        /// Where the message was published.
        exchange: String,
        /// The routing key nothing is bound for.
        routing_key: String,
    },
    /// The broker did not confirm in time; the message may or may not have
    /// been stored, so a retry can duplicate it (message ids are
    /// deterministic so consumers can deduplicate).
    #[error("the broker did not confirm the message to exchange `{exchange}` with routing key `{routing_key}` within {timeout:?}")]
    Timeout {
        /// Where the message was published.
        exchange: String,
        /// Its routing key.
        routing_key: String,
        /// The configured confirm timeout that elapsed.
        timeout: Duration,
    },
    /// The channel or connection failed while publishing (for instance the
    /// exchange does not exist, or the connection dropped).
    #[error(
        "publishing to exchange `{exchange}` with routing key `{routing_key}` failed: {source}"
    )]
    Failed {
        /// Where the message was published.
        exchange: String,
        /// Its routing key.
        routing_key: String,
        /// What the AMQP client reported.
        #[source]
        source: AmqpError,
    },
}

/// Everything that can go wrong on the bus. Texts name the redacted URL,
/// exchanges and queues, never the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The configured URL is not a usable AMQP URL.
    #[error("invalid AMQP URL {url}: {reason}")]
    InvalidUrl {
        /// The URL with its password redacted.
        url: String,
        /// Why it was rejected (scrubbed of the password).
        reason: String,
    },
    /// The broker could not be reached or refused the login.
    #[error("cannot connect to RabbitMQ at {url} (service {service}): {reason}; is RabbitMQ running and are the credentials right?")]
    Connect {
        /// The URL with its password redacted.
        url: String,
        /// The govwire service that tried to connect.
        service: String,
        /// What went wrong (scrubbed of the password).
        reason: String,
    },
    /// None of a cluster's addresses could be reached, or each refused the
    /// login.
    #[error("cannot connect to RabbitMQ at any of its {} addresses (service {service}): {}; is RabbitMQ running and are the credentials right?", .failures.len(), .failures.join("; "))]
    ConnectAny {
        /// The govwire service that tried to connect.
        service: String,
        /// Each address, redacted, with what went wrong there (scrubbed of
        /// the password), in the order they were tried.
        failures: Vec<String>,
    },
    /// A name (exchange, queue, routing key, header, message id…) the broker
    /// cannot accept, such as one longer than 255 bytes.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        /// Which kind of name.
        what: &'static str,
        /// The name, shortened if it is long.
        value: String,
        /// Why it is invalid.
        reason: String,
    },
    /// Opening or using an AMQP channel failed.
    #[error("AMQP {operation} failed: {source}")]
    Channel {
        /// The operation (`channel.open`, `basic.qos`, …).
        operation: &'static str,
        /// What the AMQP client reported.
        #[source]
        source: AmqpError,
    },
    /// Declaring or binding an exchange or queue failed, typically because it
    /// already exists with different arguments.
    #[error("cannot declare {what} `{name}`: {source}")]
    Declare {
        /// `exchange`, `queue` or `binding`.
        what: &'static str,
        /// The exchange or queue name (for a binding: `queue <- exchange/key`).
        name: String,
        /// What the broker or client reported.
        #[source]
        source: AmqpError,
    },
    /// The broker did not answer a request (declare, consume, cancel…)
    /// within the configured timeout; it may be overloaded or blocked.
    #[error("the broker did not answer {operation} within {timeout:?}")]
    Timeout {
        /// The request that got no answer.
        operation: &'static str,
        /// The configured timeout (`BusConfig::confirm_timeout`).
        timeout: Duration,
    },
    /// A publish failed; see [`PublishError`].
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// Consuming failed: the consumer could not start, or its channel or
    /// connection broke and could not be recovered.
    #[error("consuming from queue `{queue}` failed: {source}")]
    Consume {
        /// The queue being consumed.
        queue: String,
        /// What the AMQP client reported.
        #[source]
        source: AmqpError,
    },
    /// The broker ended the consumer (for instance its queue was deleted)
    /// while govwire still wanted deliveries.
    #[error("the broker ended the consumer on queue `{queue}`")]
    ConsumerEnded {
        /// The queue that was being consumed.
        queue: String,
    },
    /// Acknowledging, requeueing or dead-lettering a delivery failed. The
    /// broker redelivers any message that was not acknowledged.
    #[error("cannot {action} message {message_id} from queue `{queue}`: {reason}")]
    Settle {
        /// `ack`, `requeue` or `dead-letter`.
        action: &'static str,
        /// The queue the delivery came from.
        queue: String,
        /// The message id (`-` when the message had none).
        message_id: String,
        /// What went wrong.
        reason: String,
    },
    /// An event could not be turned into JSON.
    #[error("cannot serialize event {id}: {source}")]
    Serialize {
        /// The CloudEvent id.
        id: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

impl BusError {
    /// Whether the broker answered that a queue or exchange looked at does
    /// not exist (`404 NOT_FOUND`).
    pub fn is_not_found(&self) -> bool {
        self.reply_code() == Some(404)
    }

    /// The broker's reply code to a declaration it refused.
    fn reply_code(&self) -> Option<u16> {
        let Self::Declare { source, .. } = self else {
            return None;
        };
        match source.0.kind() {
            lapin::ErrorKind::ProtocolError(error) => Some(error.get_id()),
            _ => None,
        }
    }

    /// Whether the broker refused a declaration because what exists differs
    /// from what was asked (`406 PRECONDITION_FAILED`: another type or other
    /// arguments).
    pub fn is_precondition_failed(&self) -> bool {
        self.reply_code() == Some(406)
    }

    /// The publish failure, if this is one: lets callers tell an unroutable
    /// message (a topology bug) from a transient broker problem.
    pub fn as_publish(&self) -> Option<&PublishError> {
        match self {
            Self::Publish(error) => Some(error),
            _ => None,
        }
    }
}

/// Turns a string into an AMQP short string (at most 255 bytes), with a
/// clear error instead of lapin's panic.
pub(crate) fn short(
    what: &'static str,
    value: &str,
) -> Result<lapin::types::ShortString, BusError> {
    lapin::types::ShortString::try_new(value).map_err(|error| BusError::InvalidName {
        what,
        value: shorten(value),
        reason: error.to_string(),
    })
}

/// The first 64 characters of a long name, for error texts.
fn shorten(value: &str) -> String {
    if value.chars().count() <= 64 {
        value.to_owned()
    } else {
        let head: String = value.chars().take(64).collect();
        format!("{head}…")
    }
}
