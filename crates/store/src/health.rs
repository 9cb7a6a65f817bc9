//! Section health: what the crawler's polls and the parser stage's parses of
//! each portal section looked like lately, and whether the notifier declared
//! the section degraded.
//!
//! Three writers share one `section_health` row per section, each owning its
//! own columns so that none overwrites another's counts:
//! - the crawler, after every poll: [`Store::record_section_poll`];
//! - the parser stage, after every page: [`Store::record_parse_outcome`];
//! - the notifier's sweep, when it declares the section degraded or
//!   recovered: [`Store::apply_section_health`], in one transaction with the
//!   event's outbox row.
//!
//! The store only keeps the counts; whether they mean "degraded" is the
//! notifier's decision.

use chrono::{DateTime, Utc};

use crate::db::{args, narrow, parse_ts, parse_ts_opt, ts, Exec};
use crate::{Backend, OutboxEvent, Store, StoreError};

/// What one poll of a section found, as the crawler reports it after the
/// poll. The notifier's sweep reads the counts these build up to tell a
/// portal that changed its layout or keeps failing from one that is quiet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SectionPollRecord {
    /// Portal short id (`shpt`).
    pub portal: String,
    /// The section's id in the portal profile.
    pub section: String,
    /// When the poll ended.
    pub at: DateTime<Utc>,
    /// Entries the section's list showed in this poll (over the pages
    /// walked). Zero on a list that used to show entries is the sign of a
    /// layout change.
    pub listed: u32,
    /// Listed entries the crawler did not know before and tried to fetch.
    pub new_items: u32,
    /// Detail pages of this poll that could not be fetched (5xx, timeouts,
    /// refusals). When every new item failed, the poll counts as failed.
    pub errors: u32,
    /// Why the poll as a whole failed (the list could not be fetched or
    /// read), if it did. A failed poll says nothing about the listing, so it
    /// never counts as an empty one.
    pub error: Option<String>,
    /// The list answered 304 Not Modified: it shows what it showed last
    /// time, which is neither a new listing nor an empty one.
    pub not_modified: bool,
}

/// One section's recent history, as the notifier's sweep reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHealth {
    /// Portal short id.
    pub portal: String,
    /// The section's id in the portal profile.
    pub section: String,
    /// When the crawler last reported a poll.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Polls reported in all.
    pub polls: u64,
    /// Entries the last poll that read the list showed.
    pub last_listed: Option<u32>,
    /// When a poll last listed at least one entry; `None` if none ever did
    /// (a new, empty section is not a broken one).
    pub last_nonempty_at: Option<DateTime<Utc>>,
    /// Polls in a row that read the list and found it empty.
    pub empty_polls: u32,
    /// Polls in a row that failed.
    pub failed_polls: u32,
    /// When the first of those failed polls was, while polls fail.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why the last failed poll failed.
    pub last_error: Option<String>,
    /// When the parser stage last reported a page of this section.
    pub last_parse_at: Option<DateTime<Utc>>,
    /// Pages in a row of this section that failed to parse.
    pub parse_failures: u32,
    /// When the section was declared degraded, while it is.
    pub degraded_at: Option<DateTime<Utc>>,
    /// Why it was declared degraded, while it is.
    pub degraded_reason: Option<String>,
    /// How many times the section has been declared degraded; part of the
    /// ids of its degraded/recovered events.
    pub degradations: u32,
}

impl SectionHealth {
    /// Whether the section is currently declared degraded.
    pub fn is_degraded(&self) -> bool {
        self.degraded_at.is_some()
    }
}

/// What the notifier decided about a section, with the event announcing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthChange {
    /// The section stopped behaving: recorded with its reason, and the
    /// degradation counter moves on by one.
    Degraded {
        /// Why (also in the event).
        reason: String,
        /// The `govwire.portal.degraded` event.
        event: OutboxEvent,
    },
    /// A degraded section behaves again.
    Recovered {
        /// The `govwire.portal.recovered` event.
        event: OutboxEvent,
    },
}

impl HealthChange {
    /// The event announcing the change.
    pub fn event(&self) -> &OutboxEvent {
        match self {
            HealthChange::Degraded { event, .. } | HealthChange::Recovered { event } => event,
        }
    }
}

const HEALTH_COLUMNS: &str = "portal, section, last_poll_at, polls, last_listed, \
     last_nonempty_at, empty_polls, failed_polls, failing_since, last_error, last_parse_at, \
     parse_failures, degraded_at, degraded_reason, degradations";

crate::direct::row_struct! {
    /// A row of `section_health`, as stored.
    struct HealthRow {
        portal: String,
        section: String,
        last_poll_at: Option<String>,
        polls: i64,
        last_listed: Option<i64>,
        last_nonempty_at: Option<String>,
        empty_polls: i64,
        failed_polls: i64,
        failing_since: Option<String>,
        last_error: Option<String>,
        last_parse_at: Option<String>,
        parse_failures: i64,
        degraded_at: Option<String>,
        degraded_reason: Option<String>,
        degradations: i64,
    }
}

impl HealthRow {
    fn into_health(self) -> Result<SectionHealth, StoreError> {
        let what = format!("section health {}/{}", self.portal, self.section);
        Ok(SectionHealth {
            last_poll_at: parse_ts_opt(self.last_poll_at.as_deref(), &what)?,
            polls: narrow(self.polls, &what)?,
            last_listed: self
                .last_listed
                .map(|n| narrow::<u32>(n, &what))
                .transpose()?,
            last_nonempty_at: parse_ts_opt(self.last_nonempty_at.as_deref(), &what)?,
            empty_polls: narrow(self.empty_polls, &what)?,
            failed_polls: narrow(self.failed_polls, &what)?,
            failing_since: parse_ts_opt(self.failing_since.as_deref(), &what)?,
            last_error: self.last_error,
            last_parse_at: parse_ts_opt(self.last_parse_at.as_deref(), &what)?,
            parse_failures: narrow(self.parse_failures, &what)?,
            degraded_at: parse_ts_opt(self.degraded_at.as_deref(), &what)?,
            degraded_reason: self.degraded_reason,
            degradations: narrow(self.degradations, &what)?,
            portal: self.portal,
            section: self.section,
        })
    }
}

/// The poll columns of a row, as one poll leaves them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PollCounts {
    polls: i64,
    last_listed: Option<i64>,
    last_nonempty_at: Option<String>,
    empty_polls: i64,
    failed_polls: i64,
    failing_since: Option<String>,
    last_error: Option<String>,
}

/// The poll columns after `poll`, from those before it.
fn after_poll(before: PollCounts, poll: &SectionPollRecord) -> PollCounts {
    let mut next = before;
    next.polls += 1;
    if let Some(error) = &poll.error {
        // The list was not read: nothing is known of the listing.
        next.failed_polls += 1;
        next.failing_since.get_or_insert_with(|| ts(poll.at));
        next.last_error = Some(error.clone());
        return next;
    }
    if poll.errors > 0 && poll.errors >= poll.new_items {
        next.failed_polls += 1;
        next.failing_since.get_or_insert_with(|| ts(poll.at));
        next.last_error = Some(format!(
            "none of the {} new pages listed could be fetched",
            poll.errors
        ));
    } else {
        next.failed_polls = 0;
        next.failing_since = None;
    }
    let listed = if poll.not_modified {
        // An unchanged list shows what it showed last time; before any
        // reading of it, nothing is known.
        match next.last_listed {
            Some(n) => n,
            None => return next,
        }
    } else {
        i64::from(poll.listed)
    };
    next.last_listed = Some(listed);
    if listed > 0 {
        next.empty_polls = 0;
        next.last_nonempty_at = Some(ts(poll.at));
    } else {
        next.empty_polls += 1;
    }
    next
}

/// Makes sure the section's row exists, so it can be locked and updated.
async fn ensure_row(exec: &mut Exec<'_>, portal: &str, section: &str) -> Result<(), StoreError> {
    exec.execute(
        "INSERT INTO section_health (portal, section) VALUES ($1, $2) \
         ON CONFLICT (portal, section) DO NOTHING",
        args![portal, section],
    )
    .await?;
    Ok(())
}

async fn load_health(
    exec: &mut Exec<'_>,
    portal: &str,
    section: &str,
    lock: bool,
) -> Result<Option<SectionHealth>, StoreError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<HealthRow> = exec
        .fetch_optional(
            &format!(
                "SELECT {HEALTH_COLUMNS} FROM section_health \
                 WHERE portal = $1 AND section = $2{lock}"
            ),
            args![portal, section],
        )
        .await?;
    row.map(HealthRow::into_health).transpose()
}

impl Store {
    /// Records what one poll of a section found: counts the polls in a row
    /// that listed nothing (a list that was read and was empty) and that
    /// failed (the poll's `error`, or every new page failing to fetch).
    /// A 304 poll repeats the last listing.
    pub async fn record_section_poll(&self, poll: &SectionPollRecord) -> Result<(), StoreError> {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut exec = tx.exec();
        ensure_row(&mut exec, &poll.portal, &poll.section).await?;
        let Some(before) = load_health(
            &mut exec,
            &poll.portal,
            &poll.section,
            backend == Backend::Postgres,
        )
        .await?
        else {
            return Err(StoreError::Corrupt(format!(
                "section health {}/{} vanished during its update",
                poll.portal, poll.section
            )));
        };
        let after = after_poll(
            PollCounts {
                polls: i64::try_from(before.polls).unwrap_or(i64::MAX),
                last_listed: before.last_listed.map(i64::from),
                last_nonempty_at: before.last_nonempty_at.map(ts),
                empty_polls: i64::from(before.empty_polls),
                failed_polls: i64::from(before.failed_polls),
                failing_since: before.failing_since.map(ts),
                last_error: before.last_error,
            },
            poll,
        );
        exec.execute(
            "UPDATE section_health SET last_poll_at = $3, polls = $4, last_listed = $5, \
             last_nonempty_at = $6, empty_polls = $7, failed_polls = $8, last_error = $9, \
             failing_since = $10 WHERE portal = $1 AND section = $2",
            args![
                &poll.portal,
                &poll.section,
                ts(poll.at),
                after.polls,
                after.last_listed,
                after.last_nonempty_at,
                after.empty_polls,
                after.failed_polls,
                after.last_error,
                after.failing_since,
            ],
        )
        .await?;
        tx.commit().await?;
        tracing::debug!(
            portal = %poll.portal,
            section = %poll.section,
            listed = poll.listed,
            empty_polls = after.empty_polls,
            failed_polls = after.failed_polls,
            "Recorded a section poll."
        );
        Ok(())
    }

    /// Records whether a page of a section parsed (`ok`) or failed to: a
    /// success ends the run of failures, a failure lengthens it. A single
    /// statement, so concurrent parsers count every page.
    pub async fn record_parse_outcome(
        &self,
        portal: &str,
        section: &str,
        ok: bool,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.record_parse_outcomes(portal, section, &[ok], at).await
    }

    /// [`Store::record_parse_outcome`] for several pages of one section,
    /// in the order they were parsed, in one statement: the failures in a
    /// row are those after the last success (added to the stored ones when
    /// none of these succeeded).
    pub async fn record_parse_outcomes(
        &self,
        portal: &str,
        section: &str,
        outcomes: &[bool],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let trailing = outcomes.iter().rev().take_while(|ok| !**ok).count();
        let trailing = i64::try_from(trailing).unwrap_or(i64::MAX);
        let any_success = i64::from(outcomes.iter().any(|ok| *ok));
        self.pool
            .execute_one(
                "INSERT INTO section_health (portal, section, last_parse_at, parse_failures) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (portal, section) DO UPDATE SET \
                 last_parse_at = excluded.last_parse_at, \
                 parse_failures = CASE WHEN $5 = 1 THEN excluded.parse_failures \
                 ELSE section_health.parse_failures + excluded.parse_failures END",
                args![portal, section, ts(at), trailing, any_success],
            )
            .await?;
        Ok(())
    }

    /// One section's health, if the crawler or the parser stage ever
    /// reported on it.
    pub async fn section_health(
        &self,
        portal: &str,
        section: &str,
    ) -> Result<Option<SectionHealth>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_health(&mut conn.exec(), portal, section, false).await
    }

    /// Every section's health, by portal and section.
    pub async fn all_section_health(&self) -> Result<Vec<SectionHealth>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<HealthRow> = conn
            .exec()
            .fetch_all(
                &format!("SELECT {HEALTH_COLUMNS} FROM section_health ORDER BY portal, section"),
                args![],
            )
            .await?;
        rows.into_iter().map(HealthRow::into_health).collect()
    }

    /// When each section last listed an item the crawler had not seen
    /// before, by portal and section.
    pub async fn last_new_items(&self) -> Result<Vec<(String, String, DateTime<Utc>)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(String, String, String)> = conn
            .exec()
            .fetch_all(
                "SELECT portal, section, MAX(first_seen_at) FROM crawl_items \
                 GROUP BY portal, section ORDER BY portal, section",
                args![],
            )
            .await?;
        rows.into_iter()
            .map(|(portal, section, at)| {
                let at = parse_ts(&at, &format!("the last new item of {portal}/{section}"))?;
                Ok((portal, section, at))
            })
            .collect()
    }

    /// When each portal last gave a reply govwire had not seen before, and
    /// how many replies it has.
    pub async fn last_new_replies(&self) -> Result<Vec<(String, DateTime<Utc>, u64)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(String, String, i64)> = conn
            .exec()
            .fetch_all(
                "SELECT portal, MAX(first_seen_at), COUNT(*) FROM replies GROUP BY portal ORDER BY portal",
                args![],
            )
            .await?;
        rows.into_iter()
            .map(|(portal, at, count)| {
                let at = parse_ts(&at, &format!("the last new reply of {portal}"))?;
                Ok((portal, at, u64::try_from(count).unwrap_or(0)))
            })
            .collect()
    }

    /// Decides and records a section's health in ONE transaction: reads the
    /// section's row (locked), calls `decide` with it, and when it returns
    /// a change writes it (degraded: the reason, the time, the counter one
    /// on; recovered: the degradation cleared) together with its event in
    /// the outbox. A `Degraded` for a section already degraded, or a
    /// `Recovered` for one that is not, is refused with
    /// [`StoreError::Invalid`] and nothing is written. Returns the change
    /// recorded, if any.
    pub async fn apply_section_health<F>(
        &self,
        portal: &str,
        section: &str,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<Option<HealthChange>, StoreError>
    where
        F: FnOnce(&SectionHealth) -> Option<HealthChange> + Send,
    {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut exec = tx.exec();
        let Some(health) =
            load_health(&mut exec, portal, section, backend == Backend::Postgres).await?
        else {
            return Ok(None);
        };
        let Some(change) = decide(&health) else {
            return Ok(None);
        };
        match &change {
            HealthChange::Degraded { reason, .. } => {
                if health.is_degraded() {
                    return Err(crate::db::invalid(format!(
                        "section {portal}/{section} is already degraded"
                    )));
                }
                exec.execute(
                    "UPDATE section_health SET degraded_at = $3, degraded_reason = $4, \
                     degradations = degradations + 1 WHERE portal = $1 AND section = $2",
                    args![portal, section, ts(now), reason],
                )
                .await?;
            }
            HealthChange::Recovered { .. } => {
                if !health.is_degraded() {
                    return Err(crate::db::invalid(format!(
                        "section {portal}/{section} is not degraded"
                    )));
                }
                exec.execute(
                    "UPDATE section_health SET degraded_at = NULL, degraded_reason = NULL \
                     WHERE portal = $1 AND section = $2",
                    args![portal, section],
                )
                .await?;
            }
        }
        let queued = crate::withdrawals::queue_event(&mut exec, change.event()).await?;
        tx.commit().await?;
        match &change {
            HealthChange::Degraded { reason, event } => tracing::warn!(
                portal,
                section,
                %reason,
                degradations = health.degradations + 1,
                event_id = %event.event_id,
                queued,
                "Section degraded."
            ),
            HealthChange::Recovered { event } => tracing::info!(
                portal,
                section,
                event_id = %event.event_id,
                queued,
                "Section recovered."
            ),
        }
        Ok(Some(change))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn start() -> PollCounts {
        PollCounts {
            polls: 0,
            last_listed: None,
            last_nonempty_at: None,
            empty_polls: 0,
            failed_polls: 0,
            failing_since: None,
            last_error: None,
        }
    }

    fn poll(listed: u32) -> SectionPollRecord {
        SectionPollRecord {
            portal: "shpt".into(),
            section: "s".into(),
            at: Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap(),
            listed,
            new_items: 0,
            errors: 0,
            error: None,
            not_modified: false,
        }
    }

    #[test]
    fn a_failed_poll_counts_as_failed_and_never_as_empty() {
        let listed = after_poll(start(), &poll(15));
        let failed = after_poll(
            listed,
            &SectionPollRecord {
                error: Some("HTTP 503".into()),
                ..poll(0)
            },
        );
        assert_eq!(failed.failed_polls, 1);
        assert_eq!(failed.empty_polls, 0);
        assert_eq!(failed.last_listed, Some(15));
        assert_eq!(failed.last_error.as_deref(), Some("HTTP 503"));
    }

    #[test]
    fn an_unchanged_list_repeats_the_last_listing() {
        let empty = after_poll(after_poll(start(), &poll(15)), &poll(0));
        assert_eq!(empty.empty_polls, 1);
        let again = after_poll(
            empty,
            &SectionPollRecord {
                not_modified: true,
                ..poll(0)
            },
        );
        assert_eq!(again.empty_polls, 2, "still empty");
        let full = after_poll(after_poll(start(), &poll(15)), &poll(15));
        let unchanged = after_poll(
            full,
            &SectionPollRecord {
                not_modified: true,
                ..poll(0)
            },
        );
        assert_eq!(unchanged.empty_polls, 0, "still listing");
    }

    #[test]
    fn a_poll_whose_every_new_page_failed_counts_as_failed() {
        let all_failed = after_poll(
            start(),
            &SectionPollRecord {
                new_items: 3,
                errors: 3,
                ..poll(15)
            },
        );
        assert_eq!(all_failed.failed_polls, 1);
        let some_failed = after_poll(
            all_failed,
            &SectionPollRecord {
                new_items: 3,
                errors: 1,
                ..poll(15)
            },
        );
        assert_eq!(some_failed.failed_polls, 0);
    }

    #[test]
    fn failing_since_is_the_first_failed_poll_of_the_run_and_ends_with_it() {
        let at = |hour| Utc.with_ymd_and_hms(2026, 7, 7, hour, 0, 0).unwrap();
        let failed_at = |hour| SectionPollRecord {
            at: at(hour),
            error: Some("unreachable".into()),
            ..poll(0)
        };
        let first = after_poll(after_poll(start(), &poll(15)), &failed_at(9));
        assert_eq!(first.failing_since, Some(ts(at(9))));
        let second = after_poll(first, &failed_at(10));
        assert_eq!(
            second.failing_since,
            Some(ts(at(9))),
            "the run's first failure"
        );
        let recovered = after_poll(second, &poll(15));
        assert_eq!(
            (recovered.failed_polls, recovered.failing_since.clone()),
            (0, None)
        );
        let again = after_poll(recovered, &failed_at(11));
        assert_eq!(again.failing_since, Some(ts(at(11))), "a new run");
    }
}
