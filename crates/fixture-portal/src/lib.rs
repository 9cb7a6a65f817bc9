//! govwire's fixture portal: a real HTTP server that reproduces the structure
//! of www.shpt.gov.cn (which govwire's machines cannot reach), serving an
//! embedded corpus of replies together with the golden record each page must
//! become. Every test and demo of the pipeline crawls it.
//!
//! Layers, bottom up (each module uses only those listed before it):
//!
//! - [`text`]: the normalization rules (titles, doc numbers, written dates,
//!   meeting names) the corpus specs are checked against; [`attachments`]:
//!   the embedded files pages link, served at `/files/<name>`;
//!   [`FixtureError`]: why a corpus does not load.
//! - [`spec`]: [`Document`], one page as plain data: where it is listed and
//!   lives, its layout, and what it says, as a structured [`ReplySpec`] (from
//!   which both the page and the golden record come) or as text lines
//!   ([`TextSpec`]: the real reply and the non-reply pages).
//! - `edit`, `render` and `golden` (private), each resting on the spec
//!   alone: the edits a scripted timeline makes, changing a page and its
//!   golden record together ([`Document::set_handling_result`], …, or a
//!   [`DocumentPatch`] over the admin API); a document's HTML in each layout
//!   of `LAYOUTS.md` ([`Document::render_as`], [`Document::served_as`]); its
//!   golden `govwire_model::Reply` ([`Document::golden_as`]).
//! - `check` (private): [`Document::problems`], what would make the page or
//!   its golden record wrong.
//! - [`corpus`](mod@corpus): the specs in `corpus/replies/*.toml`, embedded at build time
//!   ([`corpus()`], [`Corpus::embedded`]) or read from a directory, each
//!   checked as it loads.
//! - [`server`]: [`FixturePortal::start`] serves documents (the POST JSON list
//!   API with the real one's paging quirks, detail pages, HTML list pages,
//!   robots.txt, conditional GETs, an admin API) until a cancellation token
//!   fires; [`RunningPortal`] scripts changes and reads the request log.
//!
//! Beside the layers, [`browser`]: headless Chromium for the tests of
//! govwire's own HTML pages (the analytics report, the archive's pages).
//!
//! Where the real site is unknown (the reply columns' channel ids, the body
//! container, the bureau column's slug) the fixture invents, and says so in
//! `LAYOUTS.md` and at the spot in the code or spec.

#![warn(missing_docs)]

pub mod attachments;
pub mod browser;
mod check;
pub mod corpus;
mod edit;
mod error;
mod golden;
mod render;
pub mod server;
pub mod spec;
pub mod text;

pub use corpus::{corpus, scaled, Corpus};
pub use edit::DocumentPatch;
pub use error::FixtureError;
pub use server::{FixturePortal, Hostile, RequestRecord, RunningPortal};
pub use spec::{
    AttachmentSpec, BodyMarkup, Colons, ContactSpec, Document, Expect, LabelNames, Layout, Link,
    Metadata, MetadataMarkup, Paragraph, Printed, ReplySpec, ResultLine, SectionSpec, TextSpec,
    TitleMarkup, Variant, Written, WrittenDate, PORTAL_ID,
};
