//! Backfill: walking a section's whole history (or a date range of it)
//! through the same path as live polling: known items are skipped, new ones
//! fetched, recorded and handed on exactly as a poll would, so the notifier
//! dedups and versions them as usual. A cursor in the store records the
//! last list page completely handled, so an interrupted backfill resumes
//! there.

use chrono::{NaiveDate, Utc};
use govwire_store::BackfillCursor;
use tokio_util::sync::CancellationToken;
use tracing::info;

pub use super::walk::BackfillProgress;
use super::walk::{first_page, StopRule, WalkCounts};
use super::{Crawler, StopReason};
use crate::error::CrawlError;
use crate::http::Tally;
use crate::sink::PageSink;

/// What one run of a backfill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillReport {
    /// The section walked.
    pub section: String,
    /// The page this run started from when it resumed an interrupted
    /// backfill; `None` for a fresh start.
    pub resumed_from: Option<u32>,
    /// List pages read in this run.
    pub pages: u32,
    /// List pages read a second time in this run, for entries that slid
    /// onto them while the list was walked.
    pub rereads: u32,
    /// Entries in the range seen in this run.
    pub items_seen: u64,
    /// Entries not known before, fetched in this run.
    pub new_items: u64,
    /// Pages handed to the sink in this run.
    pub delivered: u64,
    /// New entries that could not be fetched (recorded; the revisits retry
    /// them).
    pub failed: u64,
    /// Entries not fetched: outside the range, on another host, or
    /// disallowed by robots.txt.
    pub skipped: u64,
    /// Whether the whole list has now been walked.
    pub completed: bool,
    /// Why the walk stopped.
    pub stopped_because: StopReason,
}

impl BackfillReport {
    /// A report of a run that has walked nothing yet.
    fn nothing(section: &str) -> Self {
        Self {
            section: section.to_owned(),
            resumed_from: None,
            pages: 0,
            rereads: 0,
            items_seen: 0,
            new_items: 0,
            delivered: 0,
            failed: 0,
            skipped: 0,
            completed: false,
            stopped_because: StopReason::MaxPages,
        }
    }
}

impl<S: PageSink> Crawler<S> {
    /// Walks the list of `section_id` from its newest page to its end,
    /// fetching every item published within `since..=until` (either bound
    /// open) that is not known yet, through the same dedup and recording
    /// path as [`Crawler::poll_section`]. `progress` is called after every
    /// list page. Resumes from the store's cursor when a backfill of the
    /// same section and range was interrupted (one page before it, so
    /// items that moved down the list meanwhile are not missed); a completed
    /// one does nothing. Stops at the end of the list, at a page wholly
    /// older than `since` (lists are newest first), or when `cancel` fires
    /// (the cursor then holds the last page completely handled).
    ///
    /// The backfill holds the section's lease (the same one live polls
    /// take, see [`Crawler::run`]) while it walks, renewing it, so it never
    /// runs beside a poll or another backfill of the section. When another
    /// instance holds it, the backfill waits up to
    /// [`CrawlerOptions::backfill_lease_wait`](crate::CrawlerOptions) for it
    /// to be given back or to expire, then fails with
    /// [`CrawlError::SectionLeased`] naming the holder. The section's poll
    /// schedule is left as it was. Cancelled while waiting, it returns a
    /// report with [`StopReason::Cancelled`] and nothing walked.
    pub async fn backfill(
        &self,
        section_id: &str,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        progress: impl FnMut(&BackfillProgress) + Send,
        cancel: &CancellationToken,
    ) -> Result<BackfillReport, CrawlError> {
        self.section(section_id)?;
        if !self.hold_for_backfill(section_id, cancel).await? {
            let mut report = BackfillReport::nothing(section_id);
            report.stopped_because = StopReason::Cancelled;
            return Ok(report);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move {
                self.backfill_walk(section_id, since, until, progress, &child)
                    .await
            }
        };
        let result = self.while_leased(section_id, &child, work).await;
        self.unhold(section_id).await;
        let lost = child.is_cancelled() && !cancel.is_cancelled();
        match result {
            Ok(report) if lost && !report.completed => Err(CrawlError::LeaseLost {
                portal: self.profile.id.to_string(),
                section: section_id.to_owned(),
            }),
            other => other,
        }
    }

    /// The walk itself, under the section's lease.
    async fn backfill_walk(
        &self,
        section_id: &str,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        mut progress: impl FnMut(&BackfillProgress) + Send,
        cancel: &CancellationToken,
    ) -> Result<BackfillReport, CrawlError> {
        let section = self.section(section_id)?;
        if let (Some(since), Some(until)) = (since, until) {
            if since > until {
                return Err(CrawlError::Options(format!(
                    "backfill range is empty: {since} is after {until}"
                )));
            }
        }
        let portal = self.profile.id.as_str();
        let now = Utc::now();
        let stored = self
            .store
            .backfill_cursor(portal, section_id, since, until)
            .await?;
        let mut report = BackfillReport::nothing(section_id);
        let mut cursor = match stored {
            Some(cursor) if cursor.completed_at.is_some() => {
                info!(
                    portal,
                    section = section_id,
                    ?since,
                    ?until,
                    "This backfill already walked the whole list; nothing to do."
                );
                report.completed = true;
                report.stopped_because = StopReason::AlreadyComplete;
                return Ok(report);
            }
            Some(cursor) => {
                report.resumed_from = Some(cursor.next_page);
                cursor
            }
            None => BackfillCursor {
                portal: portal.to_owned(),
                section: section_id.to_owned(),
                since,
                until,
                next_page: 1,
                items_seen: 0,
                new_items: 0,
                started_at: now,
                updated_at: now,
                completed_at: None,
            },
        };
        let first_page = first_page(&cursor);
        info!(
            portal,
            section = section_id,
            ?since,
            ?until,
            first_page,
            resumed = report.resumed_from.is_some(),
            "Backfill started."
        );

        let tally = Tally::for_section(&self.profile.id, &section.id);
        let mut counts = WalkCounts::default();
        let rule = StopRule::EndOfList {
            since,
            until,
            cursor: &mut cursor,
            progress: &mut progress,
        };
        let stop = self
            .walk(section, rule, cancel, &tally, &mut counts)
            .await?;
        report.pages = counts.list_pages;
        report.rereads = counts.list_rereads;
        report.items_seen = counts.items_seen;
        report.new_items = u64::from(counts.new_items);
        report.delivered = u64::from(counts.delivered);
        report.failed = u64::from(counts.failed) + u64::from(counts.refused);
        report.skipped = u64::from(counts.skipped);
        report.stopped_because = stop;
        if stop != StopReason::Cancelled {
            cursor.completed_at = Some(Utc::now());
            cursor.updated_at = Utc::now();
            self.store.save_backfill_cursor(&cursor).await?;
            report.completed = true;
        }
        info!(
            portal,
            section = section_id,
            pages = report.pages,
            items_seen = report.items_seen,
            new_items = report.new_items,
            delivered = report.delivered,
            failed = report.failed,
            completed = report.completed,
            stopped_because = ?stop,
            "Backfill stopped."
        );
        Ok(report)
    }
}
