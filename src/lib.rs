//! govwire: watches government portals for replies to deputies' suggestions
//! and members' proposals, and tells the world when one appears or changes.
//!
//! The binary `govwire` is a thin shell over this library:
//!
//! - [`attachments`]: attachment texts extracted before a page is parsed.
//! - [`backfill`]: `govwire backfill`, a portal's history walked through
//!   the crawler's normal path.
//! - [`config`]: `config/govwire.toml`, environment overrides, validation.
//! - [`dlq`]: `govwire dlq list|replay`, dead-letter queues looked at and
//!   put back.
//! - [`telemetry`]: JSON or readable log lines.
//! - [`inspect`]: `govwire parse FILE|URL`, one page parsed and printed.
//! - [`services`]: the stages as daemons (crawler, parser, notifier, archive)
//!   and `all` of them in one process, each stopped by one cancellation token.
//! - [`tail`]: `govwire tail`, events as they arrive.
//!
//! The stages themselves live in the `crates/` libraries; see ARCHITECTURE.md.

pub mod attachments;
pub mod backfill;
pub mod config;
pub mod dlq;
pub mod inspect;
pub mod services;
pub mod tail;
pub mod telemetry;
