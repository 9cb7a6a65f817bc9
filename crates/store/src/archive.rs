//! The archive: every reply event a subscriber received, every version it
//! carried, and the newest record of each reply. Idempotent on the event id,
//! so a redelivered event changes nothing.

use crate::db::Exec;
use crate::Backend;
use chrono::{DateTime, Utc};
use govwire_model::{FieldChange, Reply};

use crate::archive_query::list_columns;
use crate::archive_search::{reply_search_tokens, write_search};
use crate::db::{args, invalid, narrow, parse_ts, parse_ts_opt, ts, Arg};
use crate::replies::{parse_record, record_json};
use crate::{
    ArchiveStats, ArchiveStatus, ArchivedReply, ArchivedSummary, Store, StoreError, VersionMeta,
};

/// The event types that change an archived reply's status, and to what.
fn status_set_by(event_type: &str) -> Option<ArchiveStatus> {
    match event_type {
        "govwire.reply.withdrawn" => Some(ArchiveStatus::Withdrawn),
        "govwire.reply.restored" => Some(ArchiveStatus::Active),
        _ => None,
    }
}

/// Reads a stored status back.
fn parse_status(text: &str, what: &str) -> Result<ArchiveStatus, StoreError> {
    ArchiveStatus::parse(text)
        .ok_or_else(|| crate::db::corrupt(format!("{what}: unknown status {text:?}")))
}

crate::direct::row_struct! {
    /// The columns of `archive_replies` an [`ArchivedSummary`] shows.
    struct SummaryRow {
        reply_id: String,
        portal: String,
        title: String,
        doc_number: Option<String>,
        current_version: i64,
        first_seen_at: String,
        updated_at: String,
        status: String,
    }
}

crate::direct::row_struct! {
    /// The columns of `archive_versions` a [`VersionMeta`] shows.
    struct VersionRow {
        version: i64,
        content_sha256: String,
        event_id: String,
        event_type: String,
        received_at: String,
    }
}

crate::direct::row_struct! {
    /// The three counts of [`ArchiveStats`].
    struct StatsRow {
        replies: i64,
        versions: i64,
        events: i64,
    }
}

impl Store {
    /// In one transaction: records the event id (unique); if it was new,
    /// stores `reply` as version `reply.version` of `reply.id` (unique
    /// (reply_id, version): a second event for the same version changes
    /// nothing) and updates the reply's current row when this version is
    /// newer. Returns true if the event was new. Redelivery of the same event
    /// changes nothing. A withdrawn or restored event also sets the reply's
    /// status; the event's time is taken to be `received_at` (see
    /// [`Store::archive_event_at`]).
    pub async fn archive_event(
        &self,
        event_id: &str,
        event_type: &str,
        reply: &Reply,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.archive_event_at(event_id, event_type, reply, received_at, received_at)
            .await
    }

    /// [`Store::archive_event`] with the event's own `time`: a withdrawn or
    /// restored event sets the reply's status only when it is newer than
    /// the event that set it last, so a late or redelivered older event
    /// cannot undo a newer one.
    pub async fn archive_event_at(
        &self,
        event_id: &str,
        event_type: &str,
        reply: &Reply,
        event_time: DateTime<Utc>,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.archive_event_with_changes(event_id, event_type, reply, None, event_time, received_at)
            .await
    }

    /// [`Store::archive_event_at`] with what changed in this version, as a
    /// `reply.updated` event says (`data.changes`), kept with the version
    /// for its history and the feed. In the same transaction the reply's
    /// list columns and its search index follow the current version (see
    /// `archive_query`).
    pub async fn archive_event_with_changes(
        &self,
        event_id: &str,
        event_type: &str,
        reply: &Reply,
        changes: Option<&[FieldChange]>,
        event_time: DateTime<Utc>,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let event = ArchiveInput {
            event_id,
            event_type,
            reply,
            changes,
            event_time,
            received_at,
            body: None,
        };
        Ok(self.archive_events(&[event]).await?.pop().unwrap_or(false))
    }

    /// [`Store::archive_event_with_changes`] for several events in one
    /// transaction, in order: one commit for a batch of deliveries. Answers
    /// whether each event was new; an event that cannot be recorded at all
    /// (no id, a reply without an id or a version) is refused before
    /// anything is written, and the whole batch with it.
    pub async fn archive_events(
        &self,
        events: &[ArchiveInput<'_>],
    ) -> Result<Vec<bool>, StoreError> {
        let prepared = events
            .iter()
            .map(PreparedEvent::new)
            .collect::<Result<Vec<_>, _>>()?;
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut new = Vec::with_capacity(prepared.len());
        {
            let mut exec = tx.exec();
            for event in &prepared {
                new.push(write_archived(&mut exec, backend, event).await?);
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Archived replies, the most recently updated first (ties by id), one
    /// page of at most `limit` after skipping `offset`; only `portal`'s when
    /// given.
    pub async fn archive_list(
        &self,
        portal: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<ArchivedSummary>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let columns = "reply_id, portal, title, doc_number, current_version, first_seen_at, \
             updated_at, status";
        let rows: Vec<SummaryRow> = match portal {
            Some(portal) => {
                conn.exec()
                    .fetch_all(
                        &format!(
                            "SELECT {columns} FROM archive_replies WHERE portal = $1 \
                             ORDER BY updated_at DESC, reply_id LIMIT $2 OFFSET $3"
                        ),
                        args![portal, i64::from(limit), i64::from(offset)],
                    )
                    .await?
            }
            None => {
                conn.exec()
                    .fetch_all(
                        &format!(
                            "SELECT {columns} FROM archive_replies \
                             ORDER BY updated_at DESC, reply_id LIMIT $1 OFFSET $2"
                        ),
                        args![i64::from(limit), i64::from(offset)],
                    )
                    .await?
            }
        };
        rows.into_iter()
            .map(|r| {
                let what = format!("archived reply {}", r.reply_id);
                Ok(ArchivedSummary {
                    status: parse_status(&r.status, &what)?,
                    current_version: narrow(r.current_version, &what)?,
                    first_seen_at: parse_ts(&r.first_seen_at, &what)?,
                    updated_at: parse_ts(&r.updated_at, &what)?,
                    reply_id: r.reply_id,
                    portal: r.portal,
                    title: r.title,
                    doc_number: r.doc_number,
                })
            })
            .collect()
    }

    /// An archived reply: its newest record and every version's metadata,
    /// oldest first.
    pub async fn archive_reply(&self, reply_id: &str) -> Result<Option<ArchivedReply>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut exec = conn.exec();
        let current: Option<(String, String, Option<String>)> = exec
            .fetch_optional(
                "SELECT record, status, status_changed_at FROM archive_replies \
                 WHERE reply_id = $1",
                args![reply_id],
            )
            .await?;
        let Some((json, status, status_changed_at)) = current else {
            return Ok(None);
        };
        let what = format!("archived reply {reply_id}");
        let current = parse_record(&json, &what)?;
        let status = parse_status(&status, &what)?;
        let status_changed_at = parse_ts_opt(status_changed_at.as_deref(), &what)?;
        let rows: Vec<VersionRow> = exec
            .fetch_all(
                "SELECT version, content_sha256, event_id, event_type, received_at \
                 FROM archive_versions WHERE reply_id = $1 ORDER BY version",
                args![reply_id],
            )
            .await?;
        let versions = rows
            .into_iter()
            .map(|r| {
                Ok(VersionMeta {
                    version: narrow(r.version, &what)?,
                    received_at: parse_ts(&r.received_at, &what)?,
                    content_sha256: r.content_sha256,
                    event_id: r.event_id,
                    event_type: r.event_type,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(ArchivedReply {
            current,
            versions,
            status,
            status_changed_at,
        }))
    }

    /// One archived version's record.
    pub async fn archive_version(
        &self,
        reply_id: &str,
        version: u32,
    ) -> Result<Option<Reply>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String,)> = conn
            .exec()
            .fetch_optional(
                "SELECT record FROM archive_versions WHERE reply_id = $1 AND version = $2",
                args![reply_id, i64::from(version)],
            )
            .await?;
        row.map(|(json,)| {
            parse_record(
                &json,
                &format!("archived reply {reply_id} version {version}"),
            )
        })
        .transpose()
    }

    /// How many replies, versions and events the archive holds.
    pub async fn archive_stats(&self) -> Result<ArchiveStats, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: StatsRow = conn
            .exec()
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM archive_replies) AS replies, \
                 (SELECT COUNT(*) FROM archive_versions) AS versions, \
                 (SELECT COUNT(*) FROM archive_events) AS events",
                args![],
            )
            .await?;
        Ok(ArchiveStats {
            replies: narrow(row.replies, "archive stats")?,
            versions: narrow(row.versions, "archive stats")?,
            events: narrow(row.events, "archive stats")?,
        })
    }
}

/// One event for [`Store::archive_events`], as the subscriber read it.
#[derive(Debug, Clone, Copy)]
pub struct ArchiveInput<'a> {
    /// The event's id (unique in the archive).
    pub event_id: &'a str,
    /// The event's type.
    pub event_type: &'a str,
    /// The reply version the event carries.
    pub reply: &'a Reply,
    /// What an update changed.
    pub changes: Option<&'a [FieldChange]>,
    /// The event's own time.
    pub event_time: DateTime<Utc>,
    /// When the archive received it.
    pub received_at: DateTime<Utc>,
    /// The event's JSON as it was published, kept (compressed) for
    /// `govwire replay` when given.
    pub body: Option<&'a [u8]>,
}

/// An event checked and encoded for archiving, before any lock is taken.
struct PreparedEvent<'a> {
    event_id: &'a str,
    event_type: &'a str,
    reply: &'a Reply,
    json: String,
    changes_json: Option<String>,
    version: i64,
    received: String,
    event_time: DateTime<Utc>,
    tokens: Vec<String>,
    /// The published event, compressed, for the event log.
    body: Option<Vec<u8>>,
}

impl<'a> PreparedEvent<'a> {
    fn new(input: &ArchiveInput<'a>) -> Result<Self, StoreError> {
        let ArchiveInput {
            event_id,
            event_type,
            reply,
            changes,
            event_time,
            received_at,
            body,
        } = *input;
        if event_id.is_empty() {
            return Err(invalid("event has an empty id".into()));
        }
        if reply.id.is_empty() {
            return Err(invalid(format!(
                "event {event_id} carries a reply without an id"
            )));
        }
        if reply.version == 0 {
            return Err(invalid(format!(
                "event {event_id} carries reply {} without a version",
                reply.id
            )));
        }
        let json = record_json(reply)?;
        let changes_json = changes
            .map(|c| {
                serde_json::to_string(c).map_err(|e| {
                    invalid(format!(
                        "the changes of event {event_id} do not serialize: {e}"
                    ))
                })
            })
            .transpose()?;
        let version = i64::from(reply.version);
        let received = ts(received_at);
        // Segmenting the text takes a moment: done before the write lock.
        let tokens = reply_search_tokens(reply);

        Ok(Self {
            event_id,
            event_type,
            reply,
            json,
            changes_json,
            version,
            received,
            event_time,
            tokens,
            body: body.map(crate::kept::gzip),
        })
    }
}

/// Archives one prepared event on `exec` (inside a write transaction):
/// whether it was new.
async fn write_archived(
    exec: &mut Exec<'_>,
    backend: Backend,
    event: &PreparedEvent<'_>,
) -> Result<bool, StoreError> {
    let PreparedEvent {
        event_id,
        event_type,
        reply,
        ref json,
        ref changes_json,
        version,
        ref received,
        event_time,
        ref tokens,
        ref body,
    } = *event;
    let new_event = exec
        .execute(
            "INSERT INTO archive_events (event_id, event_type, reply_id, version, received_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
            args![
                event_id,
                event_type,
                reply.id.as_str(),
                version,
                received.clone()
            ],
        )
        .await?
        == 1;
    if !new_event {
        tracing::debug!(event_id, reply_id = %reply.id, "Event already archived.");
        return Ok(false);
    }
    if let Some(body) = body {
        exec.execute(
            "INSERT INTO archive_event_log (event_id, event_type, portal, routing_key, \
             event_time, body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING",
            args![
                event_id,
                event_type,
                reply.portal.as_str(),
                crate::kept::routing_key(event_type, &reply.portal),
                ts(event_time),
                body.clone()
            ],
        )
        .await?;
    }
    // The current row first (the versions reference it); it only moves
    // forward, so an older version arriving late leaves it alone. The
    // list's columns move with it; `sort_key` is the publication date,
    // else the day the archive first saw the reply.
    let mut row: Vec<Arg> = args![
        reply.id.as_str(),
        reply.portal.as_str(),
        &reply.title,
        &reply.doc_number,
        version,
        json.clone(),
        received.clone(),
    ];
    row.extend(list_columns(reply));
    let moved = exec
        .execute(
            "INSERT INTO archive_replies (reply_id, portal, title, doc_number, current_version, \
             record, first_seen_at, updated_at, published_on, handling_result, \
             result_category, reply_kind, proposal_kind, proposal_level, meeting, addressee, \
             issuer, signatory, url, sort_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, COALESCE($8, substr($7, 1, 10))) \
             ON CONFLICT (reply_id) DO UPDATE SET portal = excluded.portal, \
             title = excluded.title, doc_number = excluded.doc_number, \
             current_version = excluded.current_version, record = excluded.record, \
             updated_at = excluded.updated_at, published_on = excluded.published_on, \
             handling_result = excluded.handling_result, \
             result_category = excluded.result_category, reply_kind = excluded.reply_kind, \
             proposal_kind = excluded.proposal_kind, \
             proposal_level = excluded.proposal_level, meeting = excluded.meeting, \
             addressee = excluded.addressee, issuer = excluded.issuer, \
             signatory = excluded.signatory, url = excluded.url, \
             sort_key = COALESCE(excluded.published_on, \
             substr(archive_replies.first_seen_at, 1, 10)) \
             WHERE archive_replies.current_version < excluded.current_version",
            row,
        )
        .await?;
    if moved == 1 {
        write_search(exec, backend, &reply.id, tokens, None).await?;
    }
    let stored_version = exec
        .execute(
            "INSERT INTO archive_versions (reply_id, version, content_sha256, record, \
             event_id, event_type, received_at, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (reply_id, version) DO NOTHING",
            args![
                reply.id.as_str(),
                version,
                &reply.content_sha256,
                json,
                event_id,
                event_type,
                received,
                changes_json,
            ],
        )
        .await?;
    let mut status_changed = false;
    if let Some(status) = status_set_by(event_type) {
        status_changed = exec
            .execute(
                "UPDATE archive_replies SET status = $2, status_changed_at = $3 \
                 WHERE reply_id = $1 AND (status_changed_at IS NULL OR status_changed_at < $3)",
                args![reply.id.as_str(), status.as_str(), ts(event_time)],
            )
            .await?
            == 1;
    }
    // DEBUG: the archive's own line is the reply's one INFO line there.
    tracing::debug!(
        event_id,
        event_type,
        reply_id = %reply.id,
        version = reply.version,
        new_version = stored_version == 1,
        now_current = moved == 1,
        status_changed,
        "Archived an event."
    );
    Ok(true)
}
