//! What the alerts subscriber delivered: one row per rule, event and sink.
//!
//! A delivery recorded as sent is final: recording it again (the event
//! redelivered, the subscriber restarted) changes nothing and says so, so a
//! caller that records before it acknowledges never sends an event twice to
//! one sink for one rule. A rule past its rate limit holds its matches
//! (`held`, with their summary and event) until its hour is over, then sends
//! them as one digest and marks them `digested`; both are final too.

use chrono::{DateTime, Utc};

use crate::db::{args, narrow, parse_ts, ts};
use crate::{Store, StoreError};

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// The sink took it.
    Sent,
    /// Every attempt failed.
    Failed,
    /// Past the rule's rate limit: waits for the hour's digest.
    Held,
    /// Went out in a digest.
    Digested,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Held => "held",
            DeliveryStatus::Digested => "digested",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "sent" => Ok(DeliveryStatus::Sent),
            "failed" => Ok(DeliveryStatus::Failed),
            "held" => Ok(DeliveryStatus::Held),
            "digested" => Ok(DeliveryStatus::Digested),
            other => Err(StoreError::Corrupt(format!(
                "alert delivery status `{other}`"
            ))),
        }
    }
}

/// One delivery of an event that matched a rule, to one of its sinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertDelivery {
    /// The rule's name.
    pub rule: String,
    /// The event's id.
    pub event_id: String,
    /// The sink's name.
    pub sink: String,
    /// The event's type (`govwire.reply.published`).
    pub event_type: String,
    /// The event's subject (the reply id, or `portal/section`).
    pub subject: String,
    /// How it ended.
    pub status: DeliveryStatus,
    /// Attempts made (retries included).
    pub attempts: u32,
    /// The last attempt's error, for a failed delivery.
    pub last_error: Option<String>,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// A held delivery: the one-line summary its digest lists.
    pub summary: Option<String>,
    /// A held delivery: the event (its CloudEvent JSON) its digest carries.
    pub event: Option<String>,
}

crate::direct::row_struct! {
    /// A row of `alert_deliveries`, as stored.
    struct DeliveryRow {
        rule: String,
        event_id: String,
        sink: String,
        event_type: String,
        subject: String,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        decided_at: String,
        summary: Option<String>,
        event: Option<String>,
    }
}

impl DeliveryRow {
    fn into_delivery(self) -> Result<AlertDelivery, StoreError> {
        let what = format!(
            "alert delivery {}/{}/{}",
            self.rule, self.event_id, self.sink
        );
        Ok(AlertDelivery {
            status: DeliveryStatus::parse(&self.status)?,
            attempts: narrow(self.attempts, &what)?,
            decided_at: parse_ts(&self.decided_at, &what)?,
            rule: self.rule,
            event_id: self.event_id,
            sink: self.sink,
            event_type: self.event_type,
            subject: self.subject,
            last_error: self.last_error,
            summary: self.summary,
            event: self.event,
        })
    }
}

const COLUMNS: &str = "rule, event_id, sink, event_type, subject, status, attempts, last_error, \
     decided_at, summary, event";

impl Store {
    /// The delivery of `event_id` for `rule` to `sink`, if one was recorded.
    pub async fn alert_delivery(
        &self,
        rule: &str,
        event_id: &str,
        sink: &str,
    ) -> Result<Option<AlertDelivery>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<DeliveryRow> = conn
            .exec()
            .fetch_optional(
                &format!(
                    "SELECT {COLUMNS} FROM alert_deliveries \
                     WHERE rule = $1 AND event_id = $2 AND sink = $3"
                ),
                args![rule, event_id, sink],
            )
            .await?;
        row.map(DeliveryRow::into_delivery).transpose()
    }

    /// Records `delivery`. A delivery already recorded as sent, held or
    /// digested is kept as it is and `false` is returned; otherwise the row
    /// is written (a failed one replaced) and `true` is returned.
    pub async fn record_alert_delivery(
        &self,
        delivery: &AlertDelivery,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(
                &format!(
                    "INSERT INTO alert_deliveries ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (rule, event_id, sink) DO UPDATE SET \
                     status = excluded.status, attempts = excluded.attempts, \
                     last_error = excluded.last_error, decided_at = excluded.decided_at, \
                     summary = excluded.summary, event = excluded.event \
                     WHERE alert_deliveries.status = 'failed'"
                ),
                args![
                    delivery.rule.as_str(),
                    delivery.event_id.as_str(),
                    delivery.sink.as_str(),
                    delivery.event_type.as_str(),
                    delivery.subject.as_str(),
                    delivery.status.as_str(),
                    i64::from(delivery.attempts),
                    delivery.last_error.as_deref(),
                    ts(delivery.decided_at),
                    delivery.summary.as_deref(),
                    delivery.event.as_deref()
                ],
            )
            .await?;
        Ok(changed > 0)
    }

    /// The newest `limit` deliveries of `rule`, newest first (for
    /// `govwire alerts list`).
    pub async fn recent_alert_deliveries(
        &self,
        rule: &str,
        limit: u32,
    ) -> Result<Vec<AlertDelivery>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<DeliveryRow> = conn
            .exec()
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM alert_deliveries WHERE rule = $1 \
                     ORDER BY decided_at DESC, event_id LIMIT $2"
                ),
                args![rule, i64::from(limit)],
            )
            .await?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    /// How many deliveries of `rule` to `sink` were sent one by one since
    /// `since` (what a rule's rate limit counts; digests are not counted).
    pub async fn alert_deliveries_sent_since(
        &self,
        rule: &str,
        sink: &str,
        since: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (count,): (i64,) = conn
            .exec()
            .fetch_one(
                "SELECT COUNT(*) FROM alert_deliveries \
                 WHERE rule = $1 AND sink = $2 AND status = 'sent' AND decided_at >= $3",
                args![rule, sink, ts(since)],
            )
            .await?;
        narrow(count, "alert deliveries count")
    }

    /// The deliveries held before `before` and not yet digested, by rule,
    /// sink and time held.
    pub async fn held_alert_deliveries(
        &self,
        before: DateTime<Utc>,
    ) -> Result<Vec<AlertDelivery>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<DeliveryRow> = conn
            .exec()
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM alert_deliveries \
                     WHERE status = 'held' AND decided_at < $1 \
                     ORDER BY rule, sink, decided_at, event_id"
                ),
                args![ts(before)],
            )
            .await?;
        rows.into_iter().map(DeliveryRow::into_delivery).collect()
    }

    /// Marks the deliveries of `rule` to `sink` held before `before` as gone
    /// out in a digest; returns how many were.
    pub async fn mark_alert_digest(
        &self,
        rule: &str,
        sink: &str,
        before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(
                "UPDATE alert_deliveries SET status = 'digested', event = NULL \
                 WHERE rule = $1 AND sink = $2 AND status = 'held' AND decided_at < $3",
                args![rule, sink, ts(before)],
            )
            .await?;
        Ok(changed)
    }

    /// How many deliveries were recorded, per rule and status (for
    /// `govwire alerts list`).
    pub async fn alert_delivery_counts(
        &self,
    ) -> Result<Vec<(String, DeliveryStatus, u64)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(String, String, i64)> = conn
            .exec()
            .fetch_all(
                "SELECT rule, status, COUNT(*) FROM alert_deliveries \
                 GROUP BY rule, status ORDER BY rule, status",
                args![],
            )
            .await?;
        rows.into_iter()
            .map(|(rule, status, count)| {
                Ok((
                    rule,
                    DeliveryStatus::parse(&status)?,
                    narrow(count, "alert deliveries count")?,
                ))
            })
            .collect()
    }
}
