//! The archive subscriber: keeps every version of every reply, idempotently,
//! and serves them over a small read API.
//!
//! - [`run`]: consumes reply events from `govwire.events` (queue
//!   `<prefix>.archive`, bound to `*.reply.*`) and stores each version; a
//!   redelivered or republished event (same id) changes nothing; a
//!   withdrawn/restored event marks the reply `withdrawn`/`active`.
//! - [`ArchiveConfig`]: the `[archive]` section of `govwire.toml`, turned
//!   into the [`ArchiveSettings`] [`run`] takes.
//! - [`api`]: `GET /replies` (filtered, searched, in keyset pages),
//!   `GET /replies/{id}`, `GET /replies/{id}/versions`,
//!   `GET /replies/{id}/versions/{version}`, `GET /stats`, `GET /healthz`
//!   (`docs/archive-api.md`).
//! - [`params`]: the list's query parameters, read into a
//!   [`govwire_store::ReplyFilter`] once for every page that shows the list.
//! - [`pages`]: the same archive as HTML pages for people: `GET /` (the
//!   list and search), `GET /reply/{id}`, `GET /reply/{id}/diff`.
//! - [`feed`]: the Atom feed of new and changed replies; [`export`]: JSON
//!   Lines and CSV.
//!
//! On start, [`run`] indexes for search the replies archived before the
//! search existed ([`govwire_store::Store::reindex_archive_search`]).

pub mod api;
pub mod export;
pub mod feed;
pub mod pages;
pub mod params;
mod service;

pub use service::{handle_event, run, ArchiveConfig, ArchiveSettings, QUEUES};
