//! The parser's tests, one binary: golden records, encodings, normalization,
//! page outcomes, robustness and properties of generated input.

mod attachments;
mod corpus;
mod encodings;
mod golden;
mod normalization;
mod outcomes;
mod properties;
mod robustness;
mod support;
