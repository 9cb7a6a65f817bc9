//! The parser's tests, one binary: golden records, encodings, normalization,
//! page outcomes and robustness.

mod corpus;
mod encodings;
mod golden;
mod normalization;
mod outcomes;
mod robustness;
mod support;
