//! The analytics subscriber's projection of reply events, and the
//! aggregates read from it.
//!
//! Three tables: `analytics_events` (the ledger of applied event ids, with
//! each event's type and month), `analytics_replies` (the current state of
//! every reply: the fields counted by, and its status) and
//! `analytics_words` (the words of each reply's current title). One event's
//! changes are written in one transaction with its ledger row, so applying
//! an event is idempotent on its id: the same event again changes nothing.
//! Events may arrive out of order (a redelivery after an older one was
//! held): a reply's fields move only to a newer record (a higher version,
//! or the same version seen by a later event), and its status only to what
//! a later withdrawn or restored event said.

use crate::db::{Arg, Exec};
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use govwire_model::Reply;
use serde::Serialize;

use crate::db::{args, date_opt, invalid, narrow, ts};
use crate::{Store, StoreError};

/// China Standard Time (UTC+8), the time zone the portals publish in: the
/// month an event is counted in is its month there.
const CHINA_STANDARD_TIME_SECS: i32 = 8 * 3600;

/// The lower bounds (days) of the delay buckets after the first, which
/// starts at 0; the last bucket is open-ended. 0–7, 8–14, 15–30, 31–60,
/// 61–90, over 90: a week, a fortnight, a month, two and three months are
/// the spans handling rules and their readers think in.
const DELAY_BUCKET_STARTS: [i64; 6] = [0, 8, 15, 31, 61, 91];

/// One reply event as analytics applies it.
#[derive(Debug, Clone, Copy)]
pub struct AnalyticsEvent<'a> {
    /// The event's id (the ledger's key).
    pub event_id: &'a str,
    /// Its CloudEvents type (`govwire.reply.published`, `…updated`,
    /// `…withdrawn`, `…restored`).
    pub event_type: &'a str,
    /// Its time: when govwire saw the change.
    pub time: DateTime<Utc>,
    /// The record it carries (for `withdrawn`, the last known record).
    pub reply: &'a Reply,
    /// The words of the record's title that analytics counts, with how often
    /// each occurs in it.
    pub title_words: &'a BTreeMap<String, u32>,
}

/// What analytics has counted, at one moment. Every breakdown counts the
/// replies analytics knows, withdrawn ones included, by their current
/// record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analytics {
    /// The totals.
    pub totals: AnalyticsTotals,
    /// Replies per portal (`key`: the portal's short id), most first.
    pub portals: Vec<Count>,
    /// Replies per month of publication (`published_on`), oldest first.
    pub published_months: Vec<MonthCount>,
    /// Replies whose publication date is not known.
    pub published_unknown: u64,
    /// Replies per handling-result category (`key`: `adopted`,
    /// `partially_adopted`, `planned`, `for_reference`, `cannot_solve`, or
    /// `null` for a reply without a handling result or with words outside
    /// the vocabulary), most first.
    pub result_categories: Vec<Count>,
    /// Replies per kind (`key`: `answer`, `co_handling_opinion`,
    /// `follow_up`, or `null` when not known), most first.
    pub reply_kinds: Vec<Count>,
    /// Replies per kind of proposal answered (`key`: `deputy_suggestion`,
    /// `member_proposal`, or `null`), most first.
    pub proposal_kinds: Vec<Count>,
    /// Replies per level of the meeting (`key`: `municipal`, `district`,
    /// or `null`), most first.
    pub proposal_levels: Vec<Count>,
    /// Replies per meeting as written (`区十五届政协五次会议`; `null` when
    /// not stated), most first.
    pub meetings: Vec<Count>,
    /// Replies per issuing organ (`null` when not known), ranked: most
    /// first.
    pub issuers: Vec<Count>,
    /// Days from signing (`signed_on`) to publication (`published_on`).
    pub delay: DelayDistribution,
    /// Events received per month of their time (China Standard Time),
    /// oldest first.
    pub event_months: Vec<MonthActivity>,
    /// The most frequent title words, most first (ties in code-point order).
    pub title_words: Vec<WordCount>,
}

/// The totals of [`Analytics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AnalyticsTotals {
    /// Distinct replies.
    pub replies: u64,
    /// Replies still served by their portal.
    pub active: u64,
    /// Replies withdrawn by their portal.
    pub withdrawn: u64,
    /// Distinct events applied.
    pub events: u64,
}

/// How many replies have one value of a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The value; `null` when the record does not have one.
    pub key: Option<String>,
    /// How many replies have it.
    pub count: u64,
}

/// How many replies were published in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthCount {
    /// `YYYY-MM`.
    pub month: String,
    /// Replies published in it.
    pub count: u64,
}

/// The delays from signing to publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelayDistribution {
    /// Replies with both dates.
    pub with_dates: u64,
    /// Replies missing either date (not counted below).
    pub without_dates: u64,
    /// Replies published before the date they were signed (a negative
    /// delay: one of the dates is wrong on the page); counted in the median
    /// and p90, in no bucket.
    pub negative: u64,
    /// The median delay in days (nearest rank); `null` without dates.
    pub median_days: Option<i64>,
    /// The 90th percentile in days (nearest rank): nine replies in ten were
    /// published at most this many days after signing; `null` without
    /// dates.
    pub p90_days: Option<i64>,
    /// Replies per span of days, shortest first: 0–7, 8–14, 15–30, 31–60,
    /// 61–90, over 90.
    pub buckets: Vec<DelayBucket>,
}

/// Replies whose delay falls in one span of days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DelayBucket {
    /// First day of the span (inclusive).
    pub min_days: i64,
    /// Last day of the span (inclusive); `null` for the open-ended last.
    pub max_days: Option<i64>,
    /// Replies in it.
    pub count: u64,
}

/// The events received in one month, by type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthActivity {
    /// `YYYY-MM`, China Standard Time.
    pub month: String,
    /// `govwire.reply.published` events.
    pub published: u64,
    /// `govwire.reply.updated` events.
    pub updated: u64,
    /// `govwire.reply.withdrawn` events.
    pub withdrawn: u64,
    /// `govwire.reply.restored` events.
    pub restored: u64,
}

/// One title word and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordCount {
    /// The word.
    pub word: String,
    /// Occurrences over all current titles.
    pub count: u64,
    /// Replies whose title holds it.
    pub replies: u64,
}

/// The status a withdrawn or restored event sets.
fn status_set_by(event_type: &str) -> Option<&'static str> {
    match event_type {
        "govwire.reply.withdrawn" => Some("withdrawn"),
        "govwire.reply.restored" => Some("active"),
        _ => None,
    }
}

/// The serde name of an enumeration value (`adopted`), as the record's JSON
/// spells it.
fn enum_name<T: Serialize>(value: Option<&T>) -> Option<String> {
    value
        .and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(str::to_string))
}

/// Days from `signed` to `published`, when both are known.
fn delay_days(signed: Option<NaiveDate>, published: Option<NaiveDate>) -> Option<i64> {
    Some((published? - signed?).num_days())
}

/// The `YYYY-MM` of `time` in China Standard Time.
fn month_of(time: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(CHINA_STANDARD_TIME_SECS).expect("UTC+8 is an offset");
    time.with_timezone(&offset).format("%Y-%m").to_string()
}

/// `counts` as [`Count`]s, most first, then by value (a missing value
/// last).
fn ranked(counts: Vec<(Option<String>, i64)>, what: &str) -> Result<Vec<Count>, StoreError> {
    let mut out = counts
        .into_iter()
        .map(|(key, count)| {
            Ok(Count {
                key,
                count: narrow(count, what)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(out)
}

/// The value at `fraction` of `sorted` by nearest rank.
fn nearest_rank(sorted: &[i64], fraction: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    // ceil(fraction · n) as a 1-based rank, within 1..=n.
    let n = sorted.len();
    let rank = ((fraction * n as f64).ceil() as usize).clamp(1, n);
    Some(sorted[rank - 1])
}

/// The distribution of `delays` (days), out of `replies` replies.
fn delay_distribution(mut delays: Vec<i64>, replies: u64) -> DelayDistribution {
    delays.sort_unstable();
    let with_dates = delays.len() as u64;
    let mut buckets: Vec<DelayBucket> = DELAY_BUCKET_STARTS
        .iter()
        .enumerate()
        .map(|(i, &min_days)| DelayBucket {
            min_days,
            max_days: DELAY_BUCKET_STARTS.get(i + 1).map(|next| next - 1),
            count: 0,
        })
        .collect();
    let mut negative = 0;
    for &days in &delays {
        match buckets.iter_mut().rev().find(|b| days >= b.min_days) {
            Some(bucket) => bucket.count += 1,
            None => negative += 1,
        }
    }
    DelayDistribution {
        with_dates,
        without_dates: replies.saturating_sub(with_dates),
        negative,
        median_days: nearest_rank(&delays, 0.5),
        p90_days: nearest_rank(&delays, 0.9),
        buckets,
    }
}

crate::direct::row_struct! {
    /// The three counts of [`AnalyticsTotals`] read in SQL.
    struct TotalsRow {
        replies: i64,
        withdrawn: i64,
        events: i64,
    }
}

impl Store {
    /// Applies one reply event to the analytics projection, in one
    /// transaction: records its id in the ledger and, if the id was new,
    /// writes the reply's current state (when the record is newer than the
    /// one held: a higher version, or the same version from a later event),
    /// replaces its title words along with it, and sets its status (for a
    /// withdrawn or restored event later than the one that set it last).
    /// Returns whether the event was new; applying it again changes
    /// nothing.
    pub async fn apply_analytics_event(
        &self,
        event: &AnalyticsEvent<'_>,
        recorded_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let new = self
            .apply_analytics_events(std::slice::from_ref(event), recorded_at)
            .await?;
        Ok(new.first().copied().unwrap_or(false))
    }

    /// [`Store::apply_analytics_event`] for several events in one
    /// transaction, in order: one commit for a batch of deliveries. Answers
    /// whether each was new; an event that cannot be recorded refuses the
    /// batch before anything is written.
    pub async fn apply_analytics_events(
        &self,
        events: &[AnalyticsEvent<'_>],
        recorded_at: DateTime<Utc>,
    ) -> Result<Vec<bool>, StoreError> {
        for event in events {
            check_analytics_event(event)?;
        }
        let recorded_at = ts(recorded_at);
        let mut tx = self.pool.begin_write().await?;
        let mut new = Vec::with_capacity(events.len());
        {
            let mut exec = tx.exec();
            for event in events {
                new.push(write_analytics_event(&mut exec, event, &recorded_at).await?);
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// The aggregates of the analytics projection, with the `top_words`
    /// most frequent title words.
    pub async fn analytics(&self, top_words: u32) -> Result<Analytics, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut exec = conn.exec();
        let totals: TotalsRow = exec
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM analytics_replies) AS replies, \
                 (SELECT COUNT(*) FROM analytics_replies WHERE status = 'withdrawn') AS withdrawn, \
                 (SELECT COUNT(*) FROM analytics_events) AS events",
                args![],
            )
            .await?;
        let replies: u64 = narrow(totals.replies, "analytics totals")?;
        let withdrawn: u64 = narrow(totals.withdrawn, "analytics totals")?;
        let totals = AnalyticsTotals {
            replies,
            active: replies.saturating_sub(withdrawn),
            withdrawn,
            events: narrow(totals.events, "analytics totals")?,
        };

        // Each breakdown is one GROUP BY over a column of analytics_replies
        // (names from this list only, never from a caller).
        let mut by = Vec::new();
        for column in [
            "portal",
            "substr(published_on, 1, 7)",
            "result_category",
            "reply_kind",
            "proposal_kind",
            "proposal_level",
            "meeting",
            "issuer",
        ] {
            let rows: Vec<(Option<String>, i64)> = exec
                .fetch_all(
                    &format!(
                        "SELECT {column} AS key, COUNT(*) AS count FROM analytics_replies \
                         GROUP BY {column}"
                    ),
                    args![],
                )
                .await?;
            by.push(ranked(rows, &format!("analytics counts by {column}"))?);
        }
        let [portals, months, result_categories, reply_kinds, proposal_kinds, proposal_levels, meetings, issuers]: [Vec<Count>; 8] =
            by.try_into().expect("eight breakdowns");

        let mut published_unknown = 0;
        let mut published_months = Vec::new();
        for Count { key, count } in months {
            match key {
                Some(month) => published_months.push(MonthCount { month, count }),
                None => published_unknown += count,
            }
        }
        published_months.sort_by(|a, b| a.month.cmp(&b.month));

        let delays: Vec<(i64,)> = exec
            .fetch_all(
                "SELECT delay_days FROM analytics_replies WHERE delay_days IS NOT NULL",
                args![],
            )
            .await?;
        let delay = delay_distribution(delays.into_iter().map(|(d,)| d).collect(), replies);

        let activity: Vec<(String, String, i64)> = exec
            .fetch_all(
                "SELECT month, event_type, COUNT(*) AS count FROM analytics_events \
                 GROUP BY month, event_type",
                args![],
            )
            .await?;
        let mut months: BTreeMap<String, MonthActivity> = BTreeMap::new();
        for (month, event_type, count) in activity {
            let count: u64 = narrow(count, "analytics events per month")?;
            let entry = months
                .entry(month.clone())
                .or_insert_with(|| MonthActivity {
                    month,
                    ..MonthActivity::default()
                });
            match event_type.as_str() {
                "govwire.reply.published" => entry.published += count,
                "govwire.reply.updated" => entry.updated += count,
                "govwire.reply.withdrawn" => entry.withdrawn += count,
                "govwire.reply.restored" => entry.restored += count,
                _ => {}
            }
        }

        let words: Vec<(String, i64, i64)> = exec
            .fetch_all(
                "SELECT word, CAST(SUM(count) AS BIGINT) AS count, COUNT(*) AS replies \
                 FROM analytics_words GROUP BY word",
                args![],
            )
            .await?;
        let mut title_words = words
            .into_iter()
            .map(|(word, count, replies)| {
                Ok(WordCount {
                    count: narrow(count, "analytics word count")?,
                    replies: narrow(replies, "analytics word count")?,
                    word,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        title_words.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| b.replies.cmp(&a.replies))
                .then_with(|| a.word.cmp(&b.word))
        });
        title_words.truncate(usize::try_from(top_words).unwrap_or(usize::MAX));

        Ok(Analytics {
            totals,
            portals,
            published_months,
            published_unknown,
            result_categories,
            reply_kinds,
            proposal_kinds,
            proposal_levels,
            meetings,
            issuers,
            delay,
            event_months: months.into_values().collect(),
            title_words,
        })
    }
}

/// Title words written per statement: well under both backends' limits on
/// bound parameters.
const WORDS_PER_INSERT: usize = 200;

/// Refuses an event the projection cannot record.
fn check_analytics_event(event: &AnalyticsEvent<'_>) -> Result<(), StoreError> {
    let reply = event.reply;
    if event.event_id.is_empty() {
        return Err(invalid("event has an empty id".into()));
    }
    if reply.id.is_empty() {
        return Err(invalid(format!(
            "event {} carries a reply without an id",
            event.event_id
        )));
    }
    if reply.version == 0 {
        return Err(invalid(format!(
            "event {} carries reply {} without a version",
            event.event_id, reply.id
        )));
    }
    if let Some((word, _)) = event.title_words.iter().find(|(_, n)| **n == 0) {
        return Err(invalid(format!(
            "event {}: title word {word:?} counted 0 times",
            event.event_id
        )));
    }
    Ok(())
}

/// Applies one checked event on `exec` (inside a write transaction):
/// whether it was new.
async fn write_analytics_event(
    exec: &mut Exec<'_>,
    event: &AnalyticsEvent<'_>,
    recorded_at: &str,
) -> Result<bool, StoreError> {
    let reply = event.reply;
    let time = ts(event.time);

    let new_event = exec
        .execute(
            "INSERT INTO analytics_events (event_id, reply_id, event_type, month, \
             event_time, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (event_id) DO NOTHING",
            args![
                event.event_id,
                reply.id.as_str(),
                event.event_type,
                month_of(event.time),
                time.clone(),
                recorded_at,
            ],
        )
        .await?
        == 1;
    if !new_event {
        tracing::debug!(event_id = event.event_id, reply_id = %reply.id, "Event already counted.");
        return Ok(false);
    }

    let moved = exec
        .execute(
            "INSERT INTO analytics_replies (reply_id, portal, version, title, published_on, \
             signed_on, delay_days, result_category, reply_kind, proposal_kind, \
             proposal_level, meeting, issuer, last_event_time) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (reply_id) DO UPDATE SET portal = excluded.portal, \
             version = excluded.version, title = excluded.title, \
             published_on = excluded.published_on, signed_on = excluded.signed_on, \
             delay_days = excluded.delay_days, result_category = excluded.result_category, \
             reply_kind = excluded.reply_kind, proposal_kind = excluded.proposal_kind, \
             proposal_level = excluded.proposal_level, meeting = excluded.meeting, \
             issuer = excluded.issuer, last_event_time = excluded.last_event_time \
             WHERE analytics_replies.version < excluded.version \
             OR (analytics_replies.version = excluded.version \
             AND analytics_replies.last_event_time < excluded.last_event_time)",
            args![
                reply.id.as_str(),
                reply.portal.as_str(),
                i64::from(reply.version),
                &reply.title,
                date_opt(reply.published_on),
                date_opt(reply.signed_on),
                delay_days(reply.signed_on, reply.published_on),
                enum_name(
                    reply
                        .handling_result
                        .as_ref()
                        .and_then(|h| h.category.as_ref())
                ),
                enum_name(reply.reply_kind.as_ref()),
                enum_name(reply.proposal.kind.as_ref()),
                enum_name(reply.proposal.level.as_ref()),
                &reply.proposal.meeting,
                &reply.issuer,
                time.clone(),
            ],
        )
        .await?
        == 1;
    if moved {
        exec.execute(
            "DELETE FROM analytics_words WHERE reply_id = $1",
            args![reply.id.as_str()],
        )
        .await?;
        // One statement for many words (a round trip each was most of
        // the event's cost).
        let words: Vec<(&String, &u32)> = event.title_words.iter().collect();
        for chunk in words.chunks(WORDS_PER_INSERT) {
            let mut sql =
                String::from("INSERT INTO analytics_words (reply_id, word, count) VALUES ");
            let mut values: Vec<Arg> = args![reply.id.as_str()];
            for (i, (word, count)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3));
                values.push(Arg::from(word.as_str()));
                values.push(Arg::from(i64::from(**count)));
            }
            exec.execute(&sql, values).await?;
        }
    }
    let mut status_changed = false;
    if let Some(status) = status_set_by(event.event_type) {
        status_changed = exec
            .execute(
                "UPDATE analytics_replies SET status = $2, status_changed_at = $3 \
                 WHERE reply_id = $1 AND (status_changed_at IS NULL OR status_changed_at < $3)",
                args![reply.id.as_str(), status, time],
            )
            .await?
            == 1;
    }
    tracing::debug!(
        event_id = event.event_id,
        event_type = event.event_type,
        reply_id = %reply.id,
        version = reply.version,
        now_current = moved,
        status_changed,
        "Counted an event."
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn delays_fall_in_their_buckets_and_rank_by_nearest_rank() {
        let d = delay_distribution(vec![30, -2, 0, 7, 8, 91, 15, 60, 61, 14], 12);
        let counts: Vec<u64> = d.buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, [2, 2, 2, 1, 1, 1]);
        assert_eq!((d.with_dates, d.without_dates, d.negative), (10, 2, 1));
        assert_eq!(d.buckets[0].max_days, Some(7));
        assert_eq!(d.buckets[5].max_days, None);
        // Sorted: -2 0 7 8 14 15 30 60 61 91; rank 5 and rank 9.
        assert_eq!((d.median_days, d.p90_days), (Some(14), Some(61)));
        let empty = delay_distribution(vec![], 3);
        assert_eq!((empty.median_days, empty.without_dates), (None, 3));
    }

    #[test]
    fn an_event_late_in_the_evening_utc_counts_in_the_next_month_in_china() {
        let t = Utc.with_ymd_and_hms(2025, 6, 30, 17, 0, 0).unwrap();
        assert_eq!(month_of(t), "2025-07");
    }
}
