//! govwire: watches government portals for replies to deputies' suggestions
//! and members' proposals, and tells the world when one appears or changes.
//!
//! The binary `govwire` is a thin shell over this library:
//!
//! - [`backfill`]: `govwire backfill`, a portal's history walked through
//!   the crawler's normal path.
//! - [`config`]: `config/govwire.toml`, environment overrides, validation.
//! - [`telemetry`]: JSON or readable log lines.
//! - [`services`]: the stages' daemons (crawler, parser, notifier, archive)
//!   wired to the broker and the store, and `all` of them in one process,
//!   each stopped by one cancellation token.
//!
//! The stages themselves live in the `crates/` libraries; see ARCHITECTURE.md.

pub mod backfill;
pub mod config;
pub mod health;
pub mod operate;
pub mod repair;
pub mod services;
pub mod telemetry;
