//! Alert rules: which of govwire's events a person wants to hear about.
//!
//! A [`Rule`] is read from the configuration (`[[alerts.rules]]`) and
//! decides, without I/O, whether an [`Event`] matches it: by event type and
//! portal, by the reply's fields (addressee, proposers, meeting, proposal
//! kind and level, reply kind, issuer or signatory, handling-result
//! category), by words in the title and body ([`Words`]: all of, any of,
//! none of), and for updates by which fields changed and from what to what
//! ([`Change`]).
//!
//! [`signature`] signs webhook deliveries (HMAC-SHA256 over a timestamp and
//! the body) and says how a receiver verifies them; [`webhook`] posts a
//! delivery, signed, with its idempotency key, retrying what a retry can
//! mend; [`email`] sends one over SMTP; the log sink writes a line.
//!
//! [`run`] is the daemon: it consumes `govwire.events` (queue
//! `<prefix>.alerts`), hands each event to [`Alerts::handle_event`], which
//! records one outcome per (rule, event, sink) before the event is
//! acknowledged, and sends the digests of rules past their
//! `max_per_hour` when their hour is over.
//!
//! **Words.** Chinese is written without spaces, so a word is a substring:
//! `电梯` matches `加装电梯` as well as `电梯`. Text and words are compared in
//! a normal form ([`normalize`]): full-width letters, digits and punctuation
//! as their half-width forms, Latin letters in lower case, every space
//! removed. A word of several characters therefore also matches where the
//! page broke a line or put a space inside it.

#![warn(missing_docs)]

pub mod commands;
pub mod email;
mod event;
mod message;
mod rule;
mod service;
mod settings;
pub mod signature;
pub mod webhook;

pub use event::Event;
pub use message::{letter, log_delivery, summary, webhook_body, Digest};
pub use rule::{normalize, Change, Rule, RuleError, Words};
pub use service::{run, Alerts, Preview, Sink, QUEUES};
pub use settings::{AlertsConfig, SinkConfig, SinkKind};
