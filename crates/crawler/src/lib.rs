//! The crawler: polls the list sections of a portal, fetches new detail pages
//! and pages that changed, and hands them on as [`govwire_model::RawPage`]s.
//!
//! A government portal is a fragile shared public service, so the crawler is
//! polite first: one request at a time per host, a minimum delay between
//! requests (or the portal's robots.txt `Crawl-delay`, if larger), robots.txt
//! honoured, conditional requests wherever validators are known, back-off on
//! errors and on `Retry-After`, and list walks that stop at the first page of
//! known items.
//!
//! Layout:
//! - [`Crawler`] (`crawler`): polls sections ([`Crawler::poll_section`]),
//!   revisits known items ([`Crawler::revisit_due`]) and runs both on a
//!   schedule until cancelled ([`Crawler::run`]). Its state (known items,
//!   validators, revisit schedule) lives in the store.
//! - [`PageSink`] (`sink`): where fetched pages go; the service publishes
//!   them to the broker.
//! - `list`: reads JSON list API responses and HTML list pages with the
//!   paths and selectors of the portal profile; no I/O.
//! - `http`: the one HTTP client, per-host pacing, bounded bodies, redirects
//!   followed by hand so each hop is checked.
//! - `net`: which addresses may be reached (public ones, plus the host:port
//!   pairs the profile or the operator allow).
//! - `robots`: robots.txt rules.
//! - [`OneOffFetcher`] (`one_off`): the same fetch path and guards for a
//!   tool that reads one page outside a crawl (`govwire parse URL`).
//!
//! Layout knowledge (endpoints, JSON paths, selectors) lives in the portal
//! profile, never here.

mod attachments;
pub use attachments::{attachment_links, AttachmentLink};
mod crawler;
mod error;
mod http;
mod list;
mod net;
mod one_off;
mod options;
mod robots;
mod schedule;
mod sink;

pub use crawler::{
    BackfillProgress, BackfillReport, Crawler, PollReport, RevisitReport, StopReason,
};
pub use error::{CrawlError, FetchError, SinkError};
pub use one_off::{Fetched, OneOffFetcher};
pub use options::{ConfigError, CrawlerConfig, CrawlerOptions};
pub use sink::PageSink;
