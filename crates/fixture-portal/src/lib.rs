//! govwire's fixture portal: a real HTTP server that reproduces the structure
//! of www.shpt.gov.cn (which govwire's machines cannot reach), serving an
//! embedded corpus of replies together with the golden record each page must
//! become. Every test and demo of the pipeline crawls it.
//!
//! Layers, bottom up:
//!
//! - [`text`]: the normalization rules (titles, doc numbers, written dates,
//!   meeting names) the corpus specs are checked against.
//! - [`spec`]: [`Document`], one page: where it is listed and lives, its
//!   layout, and what it says, as a structured [`ReplySpec`] (from which both
//!   the page and the golden record come) or as text lines ([`TextSpec`]: the
//!   real reply and the non-reply pages).
//! - `render` and `golden` (private): a document's HTML in either layout of
//!   `LAYOUTS.md`, and its golden `govwire_model::Reply`.
//! - [`corpus`]: the specs in `corpus/replies/*.toml`, embedded at build time
//!   ([`corpus()`], [`Corpus::embedded`]) or read from a directory.
//! - [`server`]: [`FixturePortal::start`] serves documents (the POST JSON list
//!   API with the real one's paging quirks, detail pages, HTML list pages,
//!   robots.txt, conditional GETs, an admin API) until a cancellation token
//!   fires; [`RunningPortal`] scripts changes and reads the request log.
//!
//! Where the real site is unknown (the reply columns' channel ids, the body
//! container, the bureau column's slug) the fixture invents, and says so in
//! `LAYOUTS.md` and at the spot in the code or spec.

#![warn(missing_docs)]

pub mod attachments;
pub mod corpus;
mod error;
mod golden;
mod render;
pub mod server;
pub mod spec;
pub mod text;

pub use corpus::{corpus, Corpus};
pub use error::FixtureError;
pub use server::{FixturePortal, Hostile, RequestRecord, RunningPortal};
pub use spec::{
    AttachmentSpec, ContactSpec, Document, DocumentPatch, Expect, Layout, Link, Metadata,
    Paragraph, Printed, ReplySpec, ResultLine, SectionSpec, TextSpec, Written, WrittenDate,
    PORTAL_ID,
};
