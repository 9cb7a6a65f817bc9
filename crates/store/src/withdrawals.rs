//! Withdrawal and restoration: the evidence the notifier's sweep weighs
//! (what the crawler last saw at each portal item showing a reply, and since
//! when it has been missing) and the one transaction that records a reply
//! withdrawn or restored together with its event.
//!
//! The crawler writes `crawl_items.last_status` and `consecutive_missing`
//! (404/410 in a row) on every visit; it knows nothing of replies. The sweep
//! adds the time a run of misses was first seen (`missing_streaks`), which
//! is when a reply's grace period starts, and decides with the notifier's
//! pure rules.

use chrono::{DateTime, Utc};
use govwire_model::Reply;

use crate::db::{args, invalid, narrow, parse_ts_opt, ts, Exec};
use crate::replies::parse_record;
use crate::{Backend, OutboxEvent, Store, StoreError};

/// What the crawler last saw at one portal item that shows a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemEvidence {
    /// Portal short id.
    pub portal: String,
    /// The portal's own id of the item.
    pub item_id: String,
    /// Whether the crawler has a record of the item at all; without one
    /// there is no evidence either way.
    pub crawled: bool,
    /// The item's URL, as the crawler knows it.
    pub url: Option<String>,
    /// HTTP status of the crawler's last visit (5xx and timeouts leave the
    /// status of the visit before a timeout in place).
    pub last_status: Option<u16>,
    /// Visits in a row that found the page gone (404/410).
    pub consecutive_missing: u32,
    /// When the sweep first saw the current run of misses: the start of the
    /// grace period. `None` while the item is not missing.
    pub missing_since: Option<DateTime<Utc>>,
    /// When the page was last fetched successfully.
    pub last_fetched_at: Option<DateTime<Utc>>,
}

/// A reply whose status may need to change, with the evidence of every
/// portal item that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyWatch {
    /// The reply's id.
    pub reply_id: String,
    /// Portal short id.
    pub portal: String,
    /// When the reply was withdrawn, while it is.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Why it was withdrawn, while it is.
    pub withdrawn_reason: Option<String>,
    /// How many times it has been withdrawn before; part of the ids of its
    /// withdrawn/restored events.
    pub withdrawals: u32,
    /// Every item that shows it, by item id.
    pub items: Vec<ItemEvidence>,
}

impl ReplyWatch {
    /// Whether the reply is currently withdrawn.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn_at.is_some()
    }
}

/// A reply's withdrawal state as the notifier recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyStatus {
    /// When it was withdrawn, while it is.
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Why, while it is.
    pub withdrawn_reason: Option<String>,
    /// Withdrawals so far.
    pub withdrawals: u32,
}

/// What the notifier decided about a reply's availability, with the event
/// announcing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyStatusChange {
    /// The portal no longer serves the reply.
    Withdrawn {
        /// Why (also in the event).
        reason: String,
        /// The `govwire.reply.withdrawn` event.
        event: OutboxEvent,
    },
    /// A withdrawn reply is served again.
    Restored {
        /// The `govwire.reply.restored` event.
        event: OutboxEvent,
    },
}

impl ReplyStatusChange {
    /// The event announcing the change.
    pub fn event(&self) -> &OutboxEvent {
        match self {
            ReplyStatusChange::Withdrawn { event, .. } | ReplyStatusChange::Restored { event } => {
                event
            }
        }
    }
}

crate::direct::row_struct! {
    /// One (reply, item) row of the evidence query.
    struct WatchRow {
        reply_id: String,
        portal: String,
        withdrawn_at: Option<String>,
        withdrawn_reason: Option<String>,
        withdrawals: i64,
        item_id: String,
        crawled: i64,
        url: Option<String>,
        last_status: Option<i64>,
        consecutive_missing: Option<i64>,
        missing_since: Option<String>,
        last_fetched_at: Option<String>,
    }
}

/// The evidence query; `{filter}` restricts the replies.
const WATCH_SQL: &str = "SELECT r.id AS reply_id, r.portal AS portal, \
     r.withdrawn_at AS withdrawn_at, r.withdrawn_reason AS withdrawn_reason, \
     r.withdrawals AS withdrawals, ri.item_id AS item_id, \
     CAST(CASE WHEN c.item_id IS NULL THEN 0 ELSE 1 END AS BIGINT) AS crawled, c.url AS url, \
     c.last_status AS last_status, c.consecutive_missing AS consecutive_missing, \
     m.since AS missing_since, c.last_fetched_at AS last_fetched_at \
     FROM replies r \
     JOIN reply_items ri ON ri.reply_id = r.id \
     LEFT JOIN crawl_items c ON c.portal = ri.portal AND c.item_id = ri.item_id \
     LEFT JOIN missing_streaks m ON m.portal = ri.portal AND m.item_id = ri.item_id \
     WHERE {filter} ORDER BY r.id, ri.item_id";

/// Replies worth a look: not withdrawn with an item missing, or withdrawn
/// with an item no longer missing.
const CANDIDATES: &str = "r.id IN (SELECT ri2.reply_id FROM reply_items ri2 \
     JOIN crawl_items c2 ON c2.portal = ri2.portal AND c2.item_id = ri2.item_id \
     JOIN replies r2 ON r2.id = ri2.reply_id \
     WHERE (r2.withdrawn_at IS NULL AND c2.consecutive_missing > 0) \
     OR (r2.withdrawn_at IS NOT NULL AND c2.consecutive_missing = 0))";

/// Groups evidence rows (ordered by reply) into watches.
fn group(rows: Vec<WatchRow>) -> Result<Vec<ReplyWatch>, StoreError> {
    let mut out: Vec<ReplyWatch> = Vec::new();
    for row in rows {
        let what = format!("reply {} item {}", row.reply_id, row.item_id);
        let item = ItemEvidence {
            portal: row.portal.clone(),
            item_id: row.item_id,
            crawled: row.crawled != 0,
            url: row.url,
            last_status: row
                .last_status
                .map(|s| narrow::<u16>(s, &what))
                .transpose()?,
            consecutive_missing: narrow(row.consecutive_missing.unwrap_or(0), &what)?,
            missing_since: parse_ts_opt(row.missing_since.as_deref(), &what)?,
            last_fetched_at: parse_ts_opt(row.last_fetched_at.as_deref(), &what)?,
        };
        match out.last_mut() {
            Some(watch) if watch.reply_id == row.reply_id => watch.items.push(item),
            _ => out.push(ReplyWatch {
                withdrawn_at: parse_ts_opt(row.withdrawn_at.as_deref(), &what)?,
                withdrawn_reason: row.withdrawn_reason,
                withdrawals: narrow(row.withdrawals, &what)?,
                reply_id: row.reply_id,
                portal: row.portal,
                items: vec![item],
            }),
        }
    }
    Ok(out)
}

/// Queues an event in the outbox (once per id); returns whether it was new.
pub(crate) async fn queue_event(
    exec: &mut Exec<'_>,
    event: &OutboxEvent,
) -> Result<bool, StoreError> {
    Ok(exec
        .execute(
            "INSERT INTO outbox (event_id, event_type, routing_key, body, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING",
            args![
                &event.event_id,
                &event.event_type,
                &event.routing_key,
                event.body.clone(),
                ts(event.created_at),
            ],
        )
        .await?
        == 1)
}

/// The reply's current record with its full URL list.
async fn load_record(exec: &mut Exec<'_>, reply_id: &str) -> Result<Option<Reply>, StoreError> {
    let row: Option<(String,)> = exec
        .fetch_optional("SELECT record FROM replies WHERE id = $1", args![reply_id])
        .await?;
    let Some((json,)) = row else {
        return Ok(None);
    };
    let mut record = parse_record(&json, &format!("reply {reply_id}"))?;
    let urls: Vec<(String,)> = exec
        .fetch_all(
            "SELECT url FROM reply_urls WHERE reply_id = $1 ORDER BY position, url",
            args![reply_id],
        )
        .await?;
    record.urls = urls.into_iter().map(|(u,)| u).collect();
    Ok(Some(record))
}

impl Store {
    /// Brings the record of miss runs up to date (a run first seen now
    /// starts now; a run that ended or started again is forgotten or
    /// restarted), then returns the replies whose status may need to
    /// change: not withdrawn with an item missing, or withdrawn with an item
    /// no longer missing, each with the evidence of all its items.
    pub async fn withdrawal_watch(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReplyWatch>, StoreError> {
        let mut tx = self.pool.begin_write().await?;
        let mut exec = tx.exec();
        exec.execute(
            "DELETE FROM missing_streaks WHERE NOT EXISTS (SELECT 1 FROM crawl_items c \
             WHERE c.portal = missing_streaks.portal AND c.item_id = missing_streaks.item_id \
             AND c.consecutive_missing > 0 AND c.consecutive_missing >= missing_streaks.misses)",
            args![],
        )
        .await?;
        exec.execute(
            "INSERT INTO missing_streaks (portal, item_id, since, misses) \
             SELECT c.portal, c.item_id, $1, c.consecutive_missing FROM crawl_items c \
             WHERE c.consecutive_missing > 0 AND EXISTS (SELECT 1 FROM reply_items ri \
             WHERE ri.portal = c.portal AND ri.item_id = c.item_id) \
             ON CONFLICT (portal, item_id) DO UPDATE SET misses = excluded.misses",
            args![ts(now)],
        )
        .await?;
        let rows: Vec<WatchRow> = exec
            .fetch_all(&WATCH_SQL.replace("{filter}", CANDIDATES), args![])
            .await?;
        tx.commit().await?;
        group(rows)
    }

    /// A reply's withdrawal state, if the reply is known.
    pub async fn reply_status(&self, reply_id: &str) -> Result<Option<ReplyStatus>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(Option<String>, Option<String>, i64)> = conn
            .exec()
            .fetch_optional(
                "SELECT withdrawn_at, withdrawn_reason, withdrawals FROM replies WHERE id = $1",
                args![reply_id],
            )
            .await?;
        row.map(|(at, reason, n)| {
            let what = format!("reply {reply_id}");
            Ok(ReplyStatus {
                withdrawn_at: parse_ts_opt(at.as_deref(), &what)?,
                withdrawn_reason: reason,
                withdrawals: narrow(n, &what)?,
            })
        })
        .transpose()
    }

    /// Decides and records a reply's availability in ONE transaction: reads
    /// the reply (locked) and the evidence of its items afresh, calls
    /// `decide` with them and the reply's current record, and when it
    /// returns a change writes it (withdrawn: the time, the reason and the
    /// withdrawal counter one on; restored: the withdrawal cleared) together
    /// with its event in the outbox. A `Withdrawn` for a reply already
    /// withdrawn, or a `Restored` for one that is not, is refused with
    /// [`StoreError::Invalid`] and nothing is written. An unknown reply, or
    /// one no item shows, is left alone. Returns the change recorded, if any.
    pub async fn apply_reply_status<F>(
        &self,
        reply_id: &str,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Option<ReplyStatusChange>, StoreError>
    where
        F: FnOnce(&ReplyWatch, &Reply) -> Option<ReplyStatusChange> + Send,
    {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut exec = tx.exec();
        if backend == Backend::Postgres {
            let locked: Option<(String,)> = exec
                .fetch_optional(
                    "SELECT id FROM replies WHERE id = $1 FOR UPDATE",
                    args![reply_id],
                )
                .await?;
            if locked.is_none() {
                return Ok(None);
            }
        }
        let rows: Vec<WatchRow> = exec
            .fetch_all(&WATCH_SQL.replace("{filter}", "r.id = $1"), args![reply_id])
            .await?;
        let Some(watch) = group(rows)?.into_iter().next() else {
            return Ok(None);
        };
        let Some(record) = load_record(&mut exec, reply_id).await? else {
            return Ok(None);
        };
        let Some(change) = decide(&watch, &record) else {
            return Ok(None);
        };
        let written = match &change {
            ReplyStatusChange::Withdrawn { reason, .. } => {
                exec.execute(
                    "UPDATE replies SET withdrawn_at = $2, withdrawn_reason = $3, \
                     withdrawals = withdrawals + 1 WHERE id = $1 AND withdrawn_at IS NULL",
                    args![reply_id, ts(now), reason],
                )
                .await?
            }
            ReplyStatusChange::Restored { .. } => {
                exec.execute(
                    "UPDATE replies SET withdrawn_at = NULL, withdrawn_reason = NULL \
                     WHERE id = $1 AND withdrawn_at IS NOT NULL",
                    args![reply_id],
                )
                .await?
            }
        };
        if written != 1 {
            return Err(invalid(format!(
                "reply {reply_id} is already {}",
                if watch.is_withdrawn() {
                    "withdrawn"
                } else {
                    "available"
                }
            )));
        }
        let queued = queue_event(&mut exec, change.event()).await?;
        tx.commit().await?;
        match &change {
            ReplyStatusChange::Withdrawn { reason, event } => tracing::warn!(
                reply_id,
                %reason,
                withdrawals = watch.withdrawals + 1,
                event_id = %event.event_id,
                queued,
                "Reply withdrawn."
            ),
            ReplyStatusChange::Restored { event } => tracing::info!(
                reply_id,
                event_id = %event.event_id,
                queued,
                "Reply restored."
            ),
        }
        Ok(Some(change))
    }
}
