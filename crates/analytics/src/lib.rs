//! The analytics subscriber: the big picture of the replies govwire has
//! seen, for researchers and supervisors: how many, from whom, how fast,
//! with what result.
//!
//! # What it consumes
//!
//! [`run`] consumes every reply event of every portal from `govwire.events`
//! (queue `<prefix>.analytics`, bound to `*.reply.*`:
//! `govwire.reply.published`, `updated`, `withdrawn`, `restored`) and
//! applies each with [`handle_event`] to a projection in the store
//! (`govwire_store`'s `analytics_*` tables): the current state of each reply
//! (the fields counted by), the words of its title, and a ledger of the
//! events applied.
//!
//! # Idempotency and order
//!
//! An event's effects are written in one transaction with its id in the
//! ledger, so a redelivered or republished event (same id) changes
//! nothing. Events may arrive out of order (one held while its store was
//! down, then redelivered): a reply's fields are taken only from a newer
//! record than the one held (a higher version, or the same version from a
//! later event), and its status (`withdrawn` / `active`) only from a
//! withdrawn or restored event later than the one that set it last. A
//! message that is not a reply event, whose subject is not its reply's id,
//! or whose reply has no version is dead-lettered (poison); a store error
//! requeues it, an unavailable store holds it until the store answers.
//!
//! # Title words
//!
//! The reply's title, and the proposal's own title when the record has one
//! (`proposal.subject`: reply titles are mostly formula, the proposal's
//! title says what was asked), are segmented with jieba; single
//! characters, numbers, numerals with their counters (`十五届`, `三次`) and
//! a built-in list of stop words ([`words::STOP_WORDS`]: the formula of
//! titles such as 关于, 答复, 代表, 会议, and the verbs proposals open with)
//! are left out.
//!
//! # Endpoints ([`api`])
//!
//! - `GET /analytics[?words=N]`: the aggregates as JSON (below), with the
//!   `N` most frequent title words (default 50, at most 1000).
//! - `GET /report`: the same as one self-contained HTML page in Chinese
//!   ([`report::render`]): totals and inline SVG charts (replies per month,
//!   handling results, issuers, signing-to-publication delay, updates and
//!   withdrawals per month), the make-up by reply kind, proposal kind,
//!   level, portal and meeting, and the top title words. No script, no
//!   external resource; readable on a phone.
//! - `GET /healthz`: `ok`.
//!
//! # The JSON of `GET /analytics`
//!
//! Every field is described for its readers in `docs/analytics.md`; the
//! types are `govwire_store::Analytics` and the types it holds.
//!
//! # Configuration
//!
//! [`AnalyticsConfig`] is the `[analytics]` section of `govwire.toml`,
//! turned into the [`AnalyticsSettings`] [`run`] takes.

pub mod api;
pub mod report;
mod service;
pub mod words;

pub use service::{handle_event, run, AnalyticsConfig, AnalyticsSettings, QUEUES};
