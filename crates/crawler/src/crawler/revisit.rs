//! Revisits: known items whose next visit is due are fetched again
//! (conditionally), on a schedule that adapts to their age and last change
//! (`crate::schedule`).

use chrono::{DateTime, Utc};
use govwire_store::{CrawlItem, REVISITS_LEASE};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use url::Url;

use super::item::{ItemOutcome, ItemTarget};
use super::urls::path_and_query;
use super::{Crawler, RevisitReport};
use crate::error::CrawlError;
use crate::http::Tally;
use crate::schedule::{self, after, ItemHistory, RevisitBounds};
use crate::sink::PageSink;

/// Failed items in a row after which a revisit round stops: the portal is
/// struggling, and the rest of the round would only add to its load.
const REVISIT_FAILURE_LIMIT: u32 = 3;

impl<S: PageSink> Crawler<S> {
    /// One revisit round, if no other instance is running one for this
    /// portal.
    pub(super) async fn revisit_if_free(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<RevisitReport>, CrawlError> {
        if !self.claim(REVISITS_LEASE).await? {
            return Ok(None);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move { self.revisit(&child).await }
        };
        let result = self.while_leased(REVISITS_LEASE, &child, work).await;
        self.release(REVISITS_LEASE, None).await;
        if let Ok(report) = &result {
            let portal = self.profile.id.to_string();
            for (kind, count) in [
                ("changed", report.delivered),
                ("unchanged", report.unchanged + report.not_modified),
                ("missing", report.missing),
                ("failed", report.failed),
            ] {
                metrics::counter!("govwire_crawler_revisits_total", "portal" => portal.clone(), "outcome" => kind).increment(u64::from(count));
            }
        }
        result.map(Some)
    }

    /// The bounds of the adaptive revisit schedule.
    pub(super) fn revisit_bounds(&self) -> RevisitBounds {
        RevisitBounds::new(
            self.options.revisit_min_interval,
            self.options.revisit_interval,
        )
    }

    /// When an item fetched at `now` (its record updated) is due again.
    pub(super) fn next_visit(&self, now: DateTime<Utc>, record: &CrawlItem) -> DateTime<Utc> {
        let history = ItemHistory {
            first_seen_at: record.first_seen_at,
            published_on: record.published_on,
            last_changed_at: record.last_changed_at,
        };
        schedule::next_visit_at(now, history, self.revisit_bounds())
    }

    /// One round of revisits: up to `revisit_batch` due items fetched
    /// again, ending early when cancelled or when the portal keeps failing.
    pub(super) async fn revisit(
        &self,
        cancel: &CancellationToken,
    ) -> Result<RevisitReport, CrawlError> {
        let tally = Tally::for_section(&self.profile.id, "revisits");
        let mut report = RevisitReport::default();
        let now = Utc::now();
        let due = self
            .store
            .items_due(&self.profile.id, now, self.options.revisit_batch)
            .await?;
        report.due = u32::try_from(due.len()).unwrap_or(u32::MAX);
        let mut failures_in_a_row = 0u32;
        for item in due {
            if cancel.is_cancelled() {
                report.stopped_early = true;
                break;
            }
            let url = match Url::parse(&item.url) {
                Ok(url) => self.rebase(url),
                Err(error) => {
                    warn!(%error, portal = %self.profile.id, item_id = %item.item_id, url = %item.url, "Stored item URL is unusable; skipping it until the next revisit.");
                    report.skipped += 1;
                    self.postpone(item, now).await?;
                    continue;
                }
            };
            let Some(robots) = self.robots(&url, cancel, &tally).await else {
                report.stopped_early = true;
                break;
            };
            if let Some(reason) = robots.unreadable() {
                info!(portal = %self.profile.id, item_id = %item.item_id, url = %url, reason, "robots.txt could not be read; not revisiting this item now.");
                report.skipped += 1;
                self.postpone(item, now).await?;
                continue;
            }
            if !robots.allows(&path_and_query(&url)) {
                info!(portal = %self.profile.id, item_id = %item.item_id, url = %url, "robots.txt disallows this item; not revisiting it now.");
                report.skipped += 1;
                self.postpone(item, now).await?;
                continue;
            }
            let target = ItemTarget {
                item_id: item.item_id.clone(),
                url,
                title: None,
                published_on: None,
            };
            let section = item.section.clone();
            let outcome = self
                .fetch_item(&section, target, Some(item), cancel, &tally)
                .await?;
            if outcome != ItemOutcome::Cancelled {
                report.visited += 1;
            }
            match outcome {
                ItemOutcome::Delivered => report.delivered += 1,
                ItemOutcome::Unchanged => report.unchanged += 1,
                ItemOutcome::NotModified => report.not_modified += 1,
                ItemOutcome::Missing => report.missing += 1,
                ItemOutcome::Failed => report.failed += 1,
                ItemOutcome::Refused => report.refused += 1,
                ItemOutcome::Cancelled => {
                    report.stopped_early = true;
                    break;
                }
            }
            if outcome == ItemOutcome::Failed {
                failures_in_a_row += 1;
                if failures_in_a_row >= REVISIT_FAILURE_LIMIT {
                    warn!(portal = %self.profile.id, failures = failures_in_a_row, "Portal keeps failing; ending this revisit round early.");
                    report.stopped_early = true;
                    break;
                }
            } else {
                failures_in_a_row = 0;
            }
        }
        report.requests = tally.requests();
        if report.due > 0 {
            info!(
                portal = %self.profile.id,
                due = report.due,
                visited = report.visited,
                not_modified = report.not_modified,
                unchanged = report.unchanged,
                delivered = report.delivered,
                missing = report.missing,
                failed = report.failed,
                "Revisited items."
            );
        }
        Ok(report)
    }

    /// Moves an item's next visit one revisit interval on, without fetching.
    async fn postpone(&self, mut item: CrawlItem, now: DateTime<Utc>) -> Result<(), CrawlError> {
        item.next_visit_at = Some(after(
            now,
            self.options.revisit_interval.max(self.retry_delay()),
        ));
        self.store.upsert_crawl_item(&item).await?;
        Ok(())
    }
}
