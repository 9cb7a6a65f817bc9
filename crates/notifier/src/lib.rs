//! The notifier: for each parsed reply, decides whether the world needs to
//! hear of it (`govwire.reply.published` on first sight, `govwire.reply.updated`
//! when the normalized record changed, nothing otherwise) and publishes the
//! event to the public exchange without ever losing it.
//!
//! - [`decide`]: the pure decision, from the candidate record and what the
//!   store knows of the reply.
//! - [`run`]: the daemon: consumes `ParsedPage`s, records each decision and its
//!   events in one store transaction (the outbox), acknowledges, then relays
//!   the outbox to the broker with publisher confirms.
//!
//! Delivery is at least once: an event may be published twice (a crash
//! between the broker's confirm and marking the outbox row), always with the
//! same deterministic id, so subscribers de-duplicate on it.

mod decide;
mod service;

pub use decide::{decide, reply_keys};
pub use service::{run, NotifierSettings, PARSED_ROUTING_KEY, QUEUE};
