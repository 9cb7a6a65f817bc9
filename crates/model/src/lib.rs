//! govwire's domain model: the reply record, the messages the pipeline stages
//! exchange, and the public CloudEvents that subscribers read.
//!
//! This crate owns every type that crosses a process boundary (an AMQP body, a
//! JSON file, an HTTP response of the archive). It does no I/O. The JSON
//! Schemas under `schemas/` are generated from these types (see
//! [`schema::all_schemas`]) and a test keeps them in step.
//!
//! - [`reply`]: the normalized official-document record (`Reply`), named as the
//!   public contract fixes it.
//! - [`page`]: what the crawler hands the parser (`RawPage`) and what the parser
//!   hands the notifier (`ParsedPage`).
//! - [`event`]: CloudEvents 1.0 envelopes, their deterministic ids and routing
//!   keys.
//! - [`canonical`]: canonical JSON and the content hash that versions a reply.
//! - [`labels`]: the Chinese names of the record's vocabularies, for pages
//!   people read.
//! - [`text`]: the normal form words are compared in and the tokens the
//!   archive searches by.

pub mod canonical;
mod canonical_ser;
pub mod event;
pub mod html;
pub mod ids;
pub mod labels;
pub mod page;
pub mod pipeline;
pub mod profile;
pub mod reply;
pub mod schema;
pub mod settings;
pub mod text;

pub use event::{CloudEvent, EventType, ReplyEventData};
pub use ids::{EventId, PortalId, ReplyId, SectionId};
pub use page::{PageOutcome, ParsedPage, RawAttachment, RawPage};
pub use profile::PortalProfile;
pub use reply::*;
