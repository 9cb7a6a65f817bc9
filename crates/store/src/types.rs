//! What the store reads and writes, as plain Rust values.

use chrono::{DateTime, NaiveDate, Utc};
use govwire_model::Reply;
use serde::Serialize;

/// Which database a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An SQLite file: the embedded default, one file per deployment.
    Sqlite,
    /// A PostgreSQL database: for several instances of a service, or
    /// services on several machines.
    Postgres,
}

/// HTTP validators of a URL, sent back as `If-None-Match` /
/// `If-Modified-Since` so an unchanged page costs the portal a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server sent last time.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent last time, as sent.
    pub last_modified: Option<String>,
}

/// One detail page the crawler knows: where it is, what it last looked like
/// and when to look again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrawlItem {
    /// Portal short id (`shpt`).
    pub portal: String,
    /// The portal section the item was listed in.
    pub section: String,
    /// The portal's own id of the item; unique within the portal.
    pub item_id: String,
    /// Absolute URL of the detail page.
    pub url: String,
    /// Title as the list showed it.
    pub title: Option<String>,
    /// Publication date as the list showed it.
    pub published_on: Option<NaiveDate>,
    /// `ETag` of the last fetch, for conditional revisits.
    pub etag: Option<String>,
    /// `Last-Modified` of the last fetch, for conditional revisits.
    pub last_modified: Option<String>,
    /// SHA-256 of the bytes last fetched, so identical bytes are not parsed
    /// again.
    pub body_sha256: Option<String>,
    /// When the crawler first listed the item. Never changes once stored.
    pub first_seen_at: DateTime<Utc>,
    /// When the page was last fetched.
    pub last_fetched_at: Option<DateTime<Utc>>,
    /// When the fetched bytes last differed from the time before.
    pub last_changed_at: Option<DateTime<Utc>>,
    /// When the item is due for a revisit; `None` means never.
    pub next_visit_at: Option<DateTime<Utc>>,
    /// HTTP status of the last fetch.
    pub last_status: Option<u16>,
    /// How many fetches in a row found the page gone (404/410): the evidence
    /// for a withdrawal.
    pub consecutive_missing: u32,
}

/// What the notifier knows of a parsed page, to find the reply it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyKeys {
    /// Portal short id.
    pub portal: String,
    /// The portal's own id of the page.
    pub item_id: String,
    /// URL the page was fetched from.
    pub url: String,
    /// SHA-256 of the page's bytes, when known: the crawler's hand-over of
    /// exactly this page is closed in the decision's transaction.
    pub page_sha256: Option<String>,
    /// 发文字号 (normalized), when the document has one.
    pub doc_number: Option<String>,
    /// 标题.
    pub title: Option<String>,
    /// 主送.
    pub addressee: Option<String>,
    /// 发文机关署名.
    pub signatory: Option<String>,
    /// 成文日期.
    pub signed_on: Option<NaiveDate>,
}

/// A reply as the notifier last recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownReply {
    /// The reply's id (never changes).
    pub id: String,
    /// Its current version.
    pub version: u32,
    /// The content hash of its current version.
    pub content_sha256: String,
    /// The current version's record; its `urls` is the full list of URLs the
    /// reply has been seen at, including those added without a new version.
    pub record: Reply,
    /// Every URL the reply has been seen at, first seen first.
    pub urls: Vec<String>,
    /// Every portal item id that shows the reply.
    pub item_ids: Vec<String>,
}

/// What the notifier decided about a parsed page: the store records it as a
/// whole or not at all.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    /// The reply the page shows, if it is one; the target of `add_url` and
    /// `map_item_id`. When `new_version` is set, equal to its `id` (or
    /// `None`, then the new version's id is used).
    pub reply_id: Option<String>,
    /// A new version to record: the full record with `id`, `version` (the
    /// known version + 1, or 1 for a new reply) and `urls` filled in.
    pub new_version: Option<Reply>,
    /// A URL at which a known reply was seen again.
    pub add_url: Option<String>,
    /// A portal item id (of `keys.portal`) that shows the reply.
    pub map_item_id: Option<String>,
    /// Events to publish, written to the outbox in the same transaction.
    pub events: Vec<OutboxEvent>,
}

/// An event waiting in (or published from) the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The CloudEvent's id; unique, so the same decision queues it once.
    pub event_id: String,
    /// The CloudEvent's type (`govwire.reply.published`).
    pub event_type: String,
    /// The AMQP routing key (`shpt.reply.published`).
    pub routing_key: String,
    /// The CloudEvent, structured JSON, as it will be published.
    pub body: Vec<u8>,
    /// When the event was decided.
    pub created_at: DateTime<Utc>,
}

/// One line of the archive's reply list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchivedSummary {
    /// The reply's id.
    pub reply_id: String,
    /// Portal short id.
    pub portal: String,
    /// 标题 of the newest version.
    pub title: String,
    /// 发文字号 of the newest version.
    pub doc_number: Option<String>,
    /// The newest version archived.
    pub current_version: u32,
    /// When the archive received the reply's first event.
    pub first_seen_at: DateTime<Utc>,
    /// When the archive received the newest version.
    pub updated_at: DateTime<Utc>,
    /// Whether the portal still serves the reply, as its events said.
    pub status: ArchiveStatus,
}

/// One archived reply: its newest record and the history of its versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchivedReply {
    /// The newest version's record.
    pub current: Reply,
    /// Every archived version, oldest first.
    pub versions: Vec<VersionMeta>,
    /// Whether the portal still serves the reply, as its events said.
    pub status: ArchiveStatus,
    /// The time of the withdrawn or restored event that set `status`;
    /// `None` while no such event was received.
    pub status_changed_at: Option<DateTime<Utc>>,
}

/// Whether an archived reply is still served by its portal: a subscriber
/// reading the archive must be able to tell a withdrawn reply from a live
/// one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveStatus {
    /// Served (never withdrawn, or restored).
    Active,
    /// Withdrawn by the portal (`govwire.reply.withdrawn`).
    Withdrawn,
}

impl ArchiveStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveStatus::Active => "active",
            ArchiveStatus::Withdrawn => "withdrawn",
        }
    }

    /// Reads the stored text back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(ArchiveStatus::Active),
            "withdrawn" => Some(ArchiveStatus::Withdrawn),
            _ => None,
        }
    }
}

/// What the archive knows of one version without its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionMeta {
    /// The version number.
    pub version: u32,
    /// Its content hash.
    pub content_sha256: String,
    /// The event that delivered it first.
    pub event_id: String,
    /// That event's type.
    pub event_type: String,
    /// When the archive received that event.
    pub received_at: DateTime<Utc>,
}

/// Counts of what the archive holds, for its status page and for checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArchiveStats {
    /// Distinct replies.
    pub replies: u64,
    /// Versions over all replies.
    pub versions: u64,
    /// Distinct events accepted.
    pub events: u64,
}
