//! The archive subscriber: keeps every version of every reply, idempotently,
//! and serves them over a small read API.
//!
//! - [`run`]: consumes reply events from `govwire.events` (queue
//!   `<prefix>.archive`, bound to `*.reply.*`) and stores each version; a
//!   redelivered or republished event (same id) changes nothing; a
//!   withdrawn/restored event marks the reply `withdrawn`/`active`.
//! - [`ArchiveConfig`]: the `[archive]` section of `govwire.toml`, turned
//!   into the [`ArchiveSettings`] [`run`] takes.
//! - [`api`]: `GET /replies`, `GET /replies/{id}`,
//!   `GET /replies/{id}/versions/{version}`, `GET /stats`, `GET /healthz`.
//! - [`pages`]: the same archive as HTML pages for people: `GET /` (the
//!   list and search), `GET /reply/{id}`, `GET /reply/{id}/diff`.

pub mod api;
pub mod export;
pub mod feed;
pub mod pages;
mod service;

pub use service::{handle_event, run, ArchiveConfig, ArchiveSettings, QUEUES};
