//! The parser as a stage of the pipeline. The parser crate turns bytes into
//! a record and does no I/O; this crate does the I/O around it:
//!
//! - [`run`] (`daemon`): the parser daemon. It consumes raw pages from the
//!   parser's queue, has each attachment's text extracted
//!   ([`extract_attachments`], by `govwire-extract`'s tools), parses the
//!   page with its portal's profile, counts the outcome toward the section's
//!   health, and hands the parsed page to the notifier with a confirmed
//!   publish before it acknowledges the raw page. A page that cannot be
//!   parsed is poison: dead-lettered with the reason.
//! - [`one_off`]: the same for one page outside the pipeline
//!   (`govwire parse FILE|URL`), fetched through the crawler's guarded fetch
//!   path, printed for a person or as JSON.

#![warn(missing_docs)]

pub mod attachments;
mod daemon;
pub mod one_off;

pub use attachments::extract_attachments;
pub use daemon::{run, QUEUES};
