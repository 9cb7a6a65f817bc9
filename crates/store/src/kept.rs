//! What govwire keeps so it can read it again: the detail pages the parser
//! stage read (`raw_pages`, which `govwire reparse` parses again) and the
//! events the archive took, as they were published (`archive_event_log`,
//! which `govwire replay` publishes again). Both are gzip-compressed JSON.

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use govwire_model::{EventType, RawPage, Reply};

use crate::db::{args, parse_ts, ts, Arg};
use crate::error::StoreError;
use crate::replies::parse_record;
use crate::Store;

crate::direct::row_struct! {
    /// A kept page, compressed.
    struct PageRow {
        page: Vec<u8>,
    }
}

crate::direct::row_struct! {
    /// A current record.
    struct RecordRow {
        record: String,
    }
}

crate::direct::row_struct! {
    /// A row of `archive_event_log`.
    struct LogRow {
        seq: i64,
        event_id: String,
        event_type: String,
        routing_key: String,
        event_time: String,
        body: Vec<u8>,
    }
}

crate::direct::row_struct! {
    /// A count.
    struct CountRow {
        n: i64,
    }
}

/// Which logged events [`Store::logged_events`] reads: all of them, or
/// those of a time span, a portal and some types.
#[derive(Debug, Clone, Default)]
pub struct EventLogFilter {
    /// Events whose own time is at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Events whose own time is before this.
    pub until: Option<DateTime<Utc>>,
    /// Only this portal's events.
    pub portal: Option<String>,
    /// Only events of these types (all types when empty).
    pub types: Vec<EventType>,
}

/// Where a read of the event log goes on from: the last event read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLogPosition {
    /// Its time, as stored.
    time: String,
    /// Its place in the order the archive received events.
    seq: i64,
}

/// An event as the archive received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The event's id.
    pub event_id: String,
    /// Its type (`govwire.reply.published`, …).
    pub event_type: String,
    /// The routing key it was published with.
    pub routing_key: String,
    /// Its own time.
    pub time: DateTime<Utc>,
    /// The CloudEvent's JSON, byte for byte as it was published.
    pub body: Vec<u8>,
    /// Where a next read goes on from.
    pub position: EventLogPosition,
}

/// `bytes` gzip-compressed.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::default(),
    );
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("compressing into memory cannot fail")
}

/// `bytes` gzip-decompressed; `what` names them in the error.
fn gunzip(bytes: &[u8], what: &str) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Corrupt(format!("{what} cannot be decompressed: {e}")))?;
    Ok(out)
}

/// The routing key an event of `event_type` about `portal` was published
/// with (`<portal>.<entity>.<action>`).
pub(crate) fn routing_key(event_type: &str, portal: &str) -> String {
    EventType::parse(event_type)
        .map(|t| t.routing_key(portal))
        .unwrap_or_else(|| format!("{portal}.{event_type}"))
}

impl Store {
    /// Keeps `pages`, each under the SHA-256 of its bytes given beside it
    /// (as the parser computed it), in one transaction. A page kept
    /// already (the same bytes fetched again) is left as it was. Answers
    /// how many were new.
    pub async fn keep_pages(
        &self,
        pages: &[(&RawPage, &str)],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        if pages.is_empty() {
            return Ok(0);
        }
        // Compressing takes a moment: done before the write lock.
        let rows = pages
            .iter()
            .map(|&(page, sha)| {
                let json = serde_json::to_vec(page).map_err(|e| {
                    StoreError::Invalid(format!("page {} does not serialize: {e}", page.url))
                })?;
                Ok((page, sha, gzip(&json)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let stored = ts(at);
        let mut tx = self.pool.begin_write().await?;
        let mut new = 0;
        {
            let mut exec = tx.exec();
            for (page, sha, compressed) in rows {
                new += exec
                    .execute(
                        "INSERT INTO raw_pages (sha256, portal, url, fetched_at, page, stored_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
                        args![
                            sha,
                            page.portal.as_str(),
                            page.url.as_str(),
                            ts(page.fetched_at),
                            compressed,
                            stored.clone()
                        ],
                    )
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(usize::try_from(new).unwrap_or(usize::MAX))
    }

    /// The page kept under `sha256`, as the parser stage read it.
    pub async fn kept_page(&self, sha256: &str) -> Result<Option<RawPage>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<PageRow> = conn
            .exec()
            .fetch_optional(
                "SELECT page FROM raw_pages WHERE sha256 = $1",
                args![sha256],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let what = format!("kept page {sha256}");
        let json = gunzip(&row.page, &what)?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{what} is not a page: {e}")))
    }

    /// Up to `limit` current records of the replies whose current version
    /// was recorded at or after `since` (every reply when `None`), only
    /// `portal`'s when given, by id, after the id `after` (from the first
    /// when `None`): a reparse pages through them.
    pub async fn current_records(
        &self,
        since: Option<DateTime<Utc>>,
        portal: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Reply>, StoreError> {
        let (condition, mut values) = records_condition(since, portal);
        let mut sql = format!("SELECT record FROM replies WHERE {condition}");
        if let Some(after) = after {
            values.push(after.into());
            sql.push_str(&format!(" AND id > ${}", values.len()));
        }
        values.push(i64::from(limit).into());
        sql.push_str(&format!(" ORDER BY id LIMIT ${}", values.len()));
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<RecordRow> = conn.exec().fetch_all(&sql, values).await?;
        rows.iter()
            .map(|row| parse_record(&row.record, "a current record"))
            .collect()
    }

    /// How many current records [`Store::current_records`] pages through.
    pub async fn count_current_records(
        &self,
        since: Option<DateTime<Utc>>,
        portal: Option<&str>,
    ) -> Result<u64, StoreError> {
        let (condition, values) = records_condition(since, portal);
        let mut conn = self.pool.acquire().await?;
        let row: CountRow = conn
            .exec()
            .fetch_one(
                &format!("SELECT COUNT(*) AS n FROM replies WHERE {condition}"),
                values,
            )
            .await?;
        Ok(u64::try_from(row.n).unwrap_or(0))
    }

    /// How many logged events `filter` selects.
    pub async fn count_logged_events(&self, filter: &EventLogFilter) -> Result<u64, StoreError> {
        let (condition, values) = log_condition(filter, None);
        let mut conn = self.pool.acquire().await?;
        let row: CountRow = conn
            .exec()
            .fetch_one(
                &format!("SELECT COUNT(*) AS n FROM archive_event_log WHERE {condition}"),
                values,
            )
            .await?;
        Ok(u64::try_from(row.n).unwrap_or(0))
    }

    /// Up to `limit` logged events that `filter` selects, after `after`
    /// (from the first when `None`): by their own time, events of the same
    /// time in the order the archive received them.
    pub async fn logged_events(
        &self,
        filter: &EventLogFilter,
        after: Option<&EventLogPosition>,
        limit: u32,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let (condition, mut values) = log_condition(filter, after);
        values.push(i64::from(limit).into());
        let sql = format!(
            "SELECT seq, event_id, event_type, routing_key, event_time, body \
             FROM archive_event_log WHERE {condition} ORDER BY event_time, seq LIMIT ${}",
            values.len()
        );
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<LogRow> = conn.exec().fetch_all(&sql, values).await?;
        rows.into_iter()
            .map(|row| {
                let what = format!("logged event {}", row.event_id);
                Ok(LoggedEvent {
                    time: parse_ts(&row.event_time, &what)?,
                    body: gunzip(&row.body, &what)?,
                    position: EventLogPosition {
                        time: row.event_time,
                        seq: row.seq,
                    },
                    event_id: row.event_id,
                    event_type: row.event_type,
                    routing_key: row.routing_key,
                })
            })
            .collect()
    }
}

/// The `WHERE` condition of a read of the current records, and its
/// arguments.
fn records_condition(since: Option<DateTime<Utc>>, portal: Option<&str>) -> (String, Vec<Arg>) {
    let mut parts = vec!["1 = 1".to_owned()];
    let mut values: Vec<Arg> = Vec::new();
    if let Some(since) = since {
        values.push(ts(since).into());
        parts.push(format!("updated_at >= ${}", values.len()));
    }
    if let Some(portal) = portal {
        values.push(portal.into());
        parts.push(format!("portal = ${}", values.len()));
    }
    (parts.join(" AND "), values)
}

/// The `WHERE` condition of a read of the event log, and its arguments.
fn log_condition(filter: &EventLogFilter, after: Option<&EventLogPosition>) -> (String, Vec<Arg>) {
    let mut parts = vec!["1 = 1".to_owned()];
    let mut values: Vec<Arg> = Vec::new();
    let push = |values: &mut Vec<Arg>, value: Arg| {
        values.push(value);
        values.len()
    };
    if let Some(since) = filter.since {
        let n = push(&mut values, ts(since).into());
        parts.push(format!("event_time >= ${n}"));
    }
    if let Some(until) = filter.until {
        let n = push(&mut values, ts(until).into());
        parts.push(format!("event_time < ${n}"));
    }
    if let Some(portal) = &filter.portal {
        let n = push(&mut values, portal.as_str().into());
        parts.push(format!("portal = ${n}"));
    }
    if !filter.types.is_empty() {
        let placeholders: Vec<String> = filter
            .types
            .iter()
            .map(|t| format!("${}", push(&mut values, t.as_str().into())))
            .collect();
        parts.push(format!("event_type IN ({})", placeholders.join(", ")));
    }
    if let Some(after) = after {
        let time = push(&mut values, after.time.as_str().into());
        let again = push(&mut values, after.time.as_str().into());
        let seq = push(&mut values, after.seq.into());
        parts.push(format!(
            "(event_time > ${time} OR (event_time = ${again} AND seq > ${seq}))"
        ));
    }
    (parts.join(" AND "), values)
}
