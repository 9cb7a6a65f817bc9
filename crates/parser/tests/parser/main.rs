//! The parser's tests, one binary: golden records, encodings, normalization,
//! page outcomes, what makes a page a reply, the document's structure,
//! robustness and properties of generated input.

mod attachments;
mod corpus;
mod encodings;
mod fallbacks;
mod golden;
mod normalization;
mod outcomes;
mod properties;
mod robustness;
mod semantics;
mod structure;
mod support;
