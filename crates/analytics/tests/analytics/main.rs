//! The analytics subscriber against real stores, the real broker and a
//! real browser.

mod corpus;
mod daemon;
mod report;
mod support;
