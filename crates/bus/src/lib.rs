//! govwire's only door to RabbitMQ. No other govwire crate imports lapin.
//!
//! Layout, from the wire up:
//!
//! - [`BusConfig`] (`config`): the URL, or the URLs of a cluster's nodes
//!   ([`BrokerUrls`]; secrets, only ever shown redacted),
//!   exchange names, queue prefix, prefetch, delivery limit, confirm timeout;
//!   made from [`AmqpConfig`], the `[amqp]` section of `govwire.toml`.
//! - [`Bus`] (`connection`): one auto-recovering connection per service, and
//!   the topology: the public topic exchange `govwire.events`, the direct
//!   exchange `govwire.pipeline` between stages, the dead-letter exchange
//!   `<prefix>.dlx`, and durable quorum work queues `<prefix>.<name>`, each
//!   with a delivery limit and a dead-letter queue `<prefix>.<name>.dlq`.
//! - [`Publisher`] (`publisher`): persistent, mandatory publishing that
//!   waits for the broker's confirm, so `Ok` means the broker has the
//!   message and an unroutable message is an error, not a silent loss.
//! - [`Consumer`] and [`Delivery`] (`consumer`): manual acknowledgement;
//!   settling takes the delivery by value, so it happens at most once.
//! - [`run_consumer`] and [`HandlerError`] (`runner`): the single place that
//!   maps a handler's outcome to ack, requeue, dead-letter or hold (while
//!   the handler's store is unavailable).
//! - [`Bus::dead_letters`] and [`Bus::replay_dead_letters`]
//!   (`dead_letters`): what operators see of a dead-letter queue, and
//!   messages put back into the queue they failed in.
//!
//! - [`commands`]: `govwire dlq` and `govwire tail`, the bus as an
//!   operator sees it.
//!
//! - `testing` (feature `testing`): a RabbitMQ node of a test's own, or a
//!   three-node cluster of one, to stop and start under a test without
//!   touching the shared broker.
//!
//! Errors are [`BusError`]; none of their texts contains the password.

#![warn(missing_docs)]

pub mod commands;
mod config;
mod connection;
mod consumer;
mod dead_letters;
mod error;
mod pipeline;
mod publisher;
mod recovery;
mod runner;
#[cfg(feature = "testing")]
pub mod testing;
mod topology;

pub use config::{
    dead_letter_queue_name, AmqpConfig, BrokerUrls, BusConfig, ConfigError,
    DEFAULT_CONFIRM_TIMEOUT, DEFAULT_DELIVERY_LIMIT, DEFAULT_EVENTS_EXCHANGE,
    DEFAULT_PIPELINE_EXCHANGE, DEFAULT_PREFETCH, DEFAULT_QUEUE_PREFIX, DEFAULT_RECONNECT_MAX_DELAY,
    DEFAULT_URL,
};
pub use connection::{Bus, DEFAULT_FRAME_MAX};
pub use consumer::{
    Consumer, Delivery, ORIGINAL_DELIVERY_COUNT_HEADER, ORIGINAL_EXCHANGE_HEADER,
    ORIGINAL_QUEUE_HEADER, ORIGINAL_ROUTING_KEY_HEADER, REASON_HEADER,
};
pub use dead_letters::{DeadLetter, Replay};
pub use error::{AmqpError, BusError, PublishError};
pub use publisher::{Message, Publisher};
pub use runner::{consumer_loops, run_batch_consumer, run_consumer, HandlerError};
