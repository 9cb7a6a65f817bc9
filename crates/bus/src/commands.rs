//! The operator commands that are only the bus seen by a person: what they
//! print and what they put back.
//!
//! - [`dlq`]: `govwire dlq list|replay`, dead-letter queues looked at and
//!   their messages put back where they failed.
//! - [`tail`]: `govwire tail`, events printed as they arrive.

pub mod dlq;
pub mod tail;
