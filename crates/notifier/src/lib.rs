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
//! - [`withdraw`]: the pure rules of withdrawal and restoration (only 404/410
//!   on several visits in a row over a grace period withdraw a reply; never
//!   a 5xx, a timeout or a WAF page).
//! - [`health`]: the pure rules of section health (empty, unparsable,
//!   failing sections are degraded; recovered when they heal).
//! - [`NotifierConfig`] (`settings`): the `[notifier]` section of
//!   `govwire.toml`, its defaults and checks, turned into the
//!   [`NotifierSettings`] the daemon runs with.
//! - [`sweep_once`]: the periodic sweep the daemon runs, weighing the
//!   crawler's evidence with those rules and recording each change with its
//!   event (`govwire.reply.withdrawn` / `restored`,
//!   `govwire.portal.degraded` / `recovered`) in the outbox.
//!
//! Delivery is at least once: an event may be published twice (a crash
//! between the broker's confirm and marking the outbox row), always with the
//! same deterministic id, so subscribers de-duplicate on it.

mod decide;
pub mod health;
mod service;
mod settings;
mod sweep;
pub mod withdraw;

pub use decide::{decide, reply_keys};
pub use health::HealthPolicy;
pub use service::{run, NotifierSettings, QUEUES};
pub use settings::{ConfigError, NotifierConfig};
pub use sweep::{sweep_once, SweepReport, SweepSettings};
pub use withdraw::WithdrawalPolicy;
