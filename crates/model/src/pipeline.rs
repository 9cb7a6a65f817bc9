//! The pipeline's names, in one place: the exchanges, the queues each stage
//! consumes and what binds them, the routing keys, the message kinds and the
//! recipes of message ids. No other file spells a queue name or an id
//! recipe; the bus declares what [`WorkQueue`] describes, the stages build
//! their messages from [`Envelope`].
//!
//! ```text
//! crawler ──pages──▶ [parser] ──parsed──▶ [notifier] ══events══▶ [archive]
//!            govwire.pipeline (direct)             govwire.events (topic)
//! ```
//!
//! Queue names are given without the deployment's prefix (`amqp.queue_prefix`,
//! `govwire` by default): the bus adds it, so `parser` is declared as
//! `govwire.parser`, with its dead-letter queue `govwire.parser.dlq`.

use crate::canonical::sha256_hex;
use crate::page::RawPage;

/// Default name of the direct exchange the stages hand work over.
pub const PIPELINE_EXCHANGE: &str = "govwire.pipeline";
/// Default name of the public topic exchange subscribers bind to; routing
/// keys are `<portal>.<entity>.<action>` (see [`crate::event`]).
pub const EVENTS_EXCHANGE: &str = "govwire.events";
/// Default prefix of every queue govwire declares.
pub const QUEUE_PREFIX: &str = "govwire";

/// The full name of the queue `name` under `prefix`: `<prefix>.<name>`.
pub fn queue_name(prefix: &str, name: &str) -> String {
    format!("{prefix}.{name}")
}

/// The dead-letter exchange shared by the work queues under `prefix`:
/// `<prefix>.dlx` (direct; each dead-letter queue is bound with its work
/// queue's full name).
pub fn dead_letter_exchange(prefix: &str) -> String {
    format!("{prefix}.dlx")
}

/// The dead-letter queue of the work queue whose full name is `queue`:
/// `<queue>.dlq`.
pub fn dead_letter_queue_name(queue: &str) -> String {
    format!("{queue}.dlq")
}

/// The alternate exchange of the events exchange `events_exchange`:
/// `<events exchange>.unrouted` (fanout). An event that no subscriber's
/// binding takes goes there instead of being dropped.
pub fn unrouted_exchange(events_exchange: &str) -> String {
    format!("{events_exchange}.unrouted")
}

/// The queue (before the prefix) that keeps the events no subscriber queue
/// took: `<prefix>.events.unrouted`, bound to [`unrouted_exchange`]. A
/// subscriber added later finds them there, and `govwire replay` gives it
/// the rest from the archive.
pub const UNROUTED_QUEUE: &str = "events.unrouted";

/// How many events [`UNROUTED_QUEUE`] keeps: past this, the oldest are
/// dropped (`x-overflow: drop-head`), so a deployment with no subscriber
/// at all cannot fill the broker's disk. 100,000 events are a few years of
/// a district portal.
pub const UNROUTED_MAX_LENGTH: u32 = 100_000;

/// Routing key of raw pages (crawler → parser) on the pipeline exchange.
pub const PAGES_ROUTING_KEY: &str = "pages";
/// Routing key of parsed pages (parser → notifier) on the pipeline exchange.
pub const PARSED_ROUTING_KEY: &str = "parsed";

/// The AMQP `type` of a [`RawPage`] message.
pub const RAW_PAGE_KIND: &str = "govwire.pipeline.raw_page";
/// The AMQP `type` of a [`ParsedPage`](crate::ParsedPage) message.
pub const PARSED_PAGE_KIND: &str = "govwire.pipeline.parsed_page";
/// The content type of pipeline messages (events are
/// [`crate::event::CLOUDEVENTS_CONTENT_TYPE`]).
pub const PIPELINE_CONTENT_TYPE: &str = "application/json";

/// Which of the two exchanges a queue is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeRole {
    /// The direct exchange of work between stages.
    Pipeline,
    /// The topic exchange of public events.
    Events,
}

/// A queue a stage consumes: its name (before the prefix), the exchange it
/// is bound to and its binding keys. Every one is a durable quorum queue
/// with a delivery limit and a dead-letter queue of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkQueue {
    /// Name after the deployment's prefix.
    pub name: &'static str,
    /// The exchange it is bound to.
    pub exchange: ExchangeRole,
    /// Its binding keys on that exchange.
    pub bindings: &'static [&'static str],
}

/// Raw pages waiting for the parser stage.
pub const PARSER_QUEUE: WorkQueue = WorkQueue {
    name: "parser",
    exchange: ExchangeRole::Pipeline,
    bindings: &[PAGES_ROUTING_KEY],
};

/// Parsed pages waiting for the notifier.
pub const NOTIFIER_QUEUE: WorkQueue = WorkQueue {
    name: "notifier",
    exchange: ExchangeRole::Pipeline,
    bindings: &[PARSED_ROUTING_KEY],
};

/// Reply events for the archive: every reply event of every portal.
pub const ARCHIVE_QUEUE: WorkQueue = WorkQueue {
    name: "archive",
    exchange: ExchangeRole::Events,
    bindings: &["*.reply.*"],
};

/// Events for the alerts subscriber: every reply and portal event of every
/// portal.
pub const ALERTS_QUEUE: WorkQueue = WorkQueue {
    name: "alerts",
    exchange: ExchangeRole::Events,
    bindings: &["*.reply.*", "*.portal.*"],
};

/// Reply events for analytics: every reply event of every portal.
pub const ANALYTICS_QUEUE: WorkQueue = WorkQueue {
    name: "analytics",
    exchange: ExchangeRole::Events,
    bindings: &["*.reply.*"],
};

/// Every queue govwire's stages consume, in pipeline order (what
/// `govwire dlq list` looks through).
pub const QUEUES: [WorkQueue; 5] = [
    PARSER_QUEUE,
    NOTIFIER_QUEUE,
    ARCHIVE_QUEUE,
    ALERTS_QUEUE,
    ANALYTICS_QUEUE,
];

/// The properties a pipeline message carries besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Routing key on the pipeline exchange.
    pub routing_key: &'static str,
    /// The AMQP `message_id`: deterministic, so a re-sent message can be
    /// recognised.
    pub message_id: String,
    /// The AMQP `type`.
    pub kind: &'static str,
}

impl Envelope {
    /// A raw page's envelope. Its id is the hash of the URL and the page's
    /// bytes: the same fetch handed on twice has one id.
    pub fn raw_page(page: &RawPage) -> Self {
        Self {
            routing_key: PAGES_ROUTING_KEY,
            message_id: sha256_hex(format!("{}\n{}", page.url, page.body_sha256())),
            kind: RAW_PAGE_KIND,
        }
    }

    /// A parsed page's envelope. Its id is the hash of the raw page's
    /// message id and the parser's version: one page parsed by one version
    /// has one id, and a new parser version gives a new one.
    pub fn parsed_page(raw_message_id: &str, parser_version: &str) -> Self {
        Self {
            routing_key: PARSED_ROUTING_KEY,
            message_id: sha256_hex(format!("{raw_message_id}\n{parser_version}")),
            kind: PARSED_PAGE_KIND,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_consumed_queue_has_a_name_of_its_own() {
        let mut names: Vec<_> = QUEUES.iter().map(|q| q.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), QUEUES.len());
    }

    #[test]
    fn a_parsed_page_id_changes_with_the_parser_version() {
        let one = Envelope::parsed_page("raw-1", "1");
        assert_eq!(one, Envelope::parsed_page("raw-1", "1"));
        assert_ne!(
            one.message_id,
            Envelope::parsed_page("raw-1", "2").message_id
        );
        assert_ne!(
            one.message_id,
            Envelope::parsed_page("raw-2", "1").message_id
        );
    }
}
