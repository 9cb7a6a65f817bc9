//! Where fetched pages go.

use std::future::Future;
use std::sync::Arc;

use govwire_model::RawPage;

use crate::error::SinkError;

/// Where fetched pages go. The service implements it by publishing to
/// RabbitMQ with a publisher confirm: `deliver` returns only once the page is
/// safely handed on. The crawler records an item as fetched only after
/// `deliver` returned `Ok`, so a crash between the two fetches and delivers
/// the page again; downstream stages are idempotent.
pub trait PageSink: Send + Sync {
    /// Hands one page on; `Ok` means it will not be lost.
    fn deliver(&self, page: RawPage) -> impl Future<Output = Result<(), SinkError>> + Send;
}

impl<T: PageSink> PageSink for Arc<T> {
    fn deliver(&self, page: RawPage) -> impl Future<Output = Result<(), SinkError>> + Send {
        (**self).deliver(page)
    }
}
