//! A poll of one section: its walk of the list from the newest page, under
//! the section's lease when [`Crawler::run`] does it, and its outcome
//! recorded in the section's health.

use std::time::Duration;

use chrono::Utc;
use govwire_model::profile::SectionProfile;
use govwire_store::SectionPollRecord;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::walk::{StopRule, WalkCounts};
use super::{Crawler, PollReport, StopReason};
use crate::error::{Chain, CrawlError};
use crate::http::Tally;
use crate::schedule::after;
use crate::sink::PageSink;

impl<S: PageSink> Crawler<S> {
    /// Polls `section` if it is due and its lease can be taken; returns
    /// whether it polled. The lease is renewed while the poll runs and given
    /// back afterwards with the section's next poll scheduled.
    pub(super) async fn poll_if_due(
        &self,
        section: &SectionProfile,
        poll_every: Duration,
        cancel: &CancellationToken,
    ) -> Result<bool, CrawlError> {
        if !self.claim(&section.id).await? {
            return Ok(false);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move { self.poll(section, &child).await }
        };
        let result = self.while_leased(&section.id, &child, work).await;
        // A poll cut short by a shutdown leaves the section due, so another
        // instance takes it at once; otherwise (done or failed) it is next
        // due one interval on.
        let interrupted = matches!(
            &result,
            Ok(report) if report.stopped_because == StopReason::Cancelled
        );
        let next = (!interrupted).then(|| after(Utc::now(), poll_every));
        self.release(&section.id, next).await;
        if let Some(next) = next {
            info!(
                portal = %self.profile.id,
                section = %section.id,
                next_poll_at = %next.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                next_poll_in = %govwire_model::text::span_in_words(poll_every),
                "Next poll of the section scheduled."
            );
        }
        result.map(|_| true)
    }

    /// One poll of `section`: a walk of its list from the newest page to
    /// the first page of known items, recorded in `crawl_walks` as it goes
    /// and in the section health when done.
    pub(super) async fn poll(
        &self,
        section: &SectionProfile,
        cancel: &CancellationToken,
    ) -> Result<PollReport, CrawlError> {
        let tally = Tally::for_section(&self.profile.id, &section.id);
        let must_reach = self
            .store
            .walk_progress(&self.profile.id, &section.id)
            .await?
            .map_or(0, |progress| progress.must_reach());
        if must_reach > 1 {
            info!(portal = %self.profile.id, section = %section.id, must_reach, "The last walk of this section was interrupted; walking past known items until its furthest page.");
        }
        self.store
            .start_walk(&self.profile.id, &section.id, Utc::now())
            .await?;
        let mut counts = WalkCounts::default();
        let walked = self
            .walk(
                section,
                StopRule::known_items(must_reach),
                cancel,
                &tally,
                &mut counts,
            )
            .await;
        let mut report = PollReport::new(&counts, &tally);
        self.record_poll(section, &report, &walked).await;
        report.stopped_because = walked?;
        // A cancelled walk stays open: the next one walks past the pages
        // of known items at the top of the list to where this one stopped.
        if report.stopped_because != StopReason::Cancelled {
            self.store
                .complete_walk(&self.profile.id, &section.id, Utc::now())
                .await?;
        }
        info!(
            portal = %self.profile.id,
            section = %section.id,
            requests = report.requests,
            list_pages = report.list_pages,
            list_rereads = report.list_rereads,
            new_items = report.new_items,
            delivered = report.delivered,
            skipped = report.skipped,
            failed = report.failed,
            stopped_because = ?report.stopped_because,
            "Polled section."
        );
        Ok(report)
    }

    /// Reports a finished poll to the store's section health, from which
    /// the notifier tells a portal that changed its layout or keeps failing
    /// from a quiet one. A cancelled poll is not reported (it saw part of
    /// the list); a list robots.txt disallows is reported as an error, since
    /// the section can no longer be watched. A failure to record is logged:
    /// it must not fail the poll whose items are already recorded.
    async fn record_poll(
        &self,
        section: &SectionProfile,
        report: &PollReport,
        walked: &Result<StopReason, CrawlError>,
    ) {
        let outcome = match walked {
            Ok(StopReason::Cancelled) => "cancelled",
            Ok(StopReason::DisallowedByRobots) => "robots_disallowed",
            Ok(StopReason::NotModified) => "not_modified",
            Ok(_) => "listed",
            Err(CrawlError::RobotsUnreadable { .. }) => "robots_unreadable",
            Err(_) => "failed",
        };
        let (portal, section_id) = (self.profile.id.to_string(), section.id.to_string());
        metrics::counter!("govwire_crawler_polls_total", "portal" => portal.clone(), "section" => section_id.clone(), "outcome" => outcome).increment(1);
        metrics::counter!("govwire_crawler_items_total", "portal" => portal.clone(), "section" => section_id.clone(), "kind" => "new").increment(u64::from(report.new_items));
        metrics::counter!("govwire_crawler_pages_delivered_total", "portal" => portal, "section" => section_id).increment(u64::from(report.delivered));
        let error = match walked {
            Ok(StopReason::Cancelled) => return,
            Ok(StopReason::DisallowedByRobots) => {
                Some("robots.txt disallows the section's list".to_owned())
            }
            Ok(_) => None,
            Err(error) => Some(Chain(error).to_string()),
        };
        let record = SectionPollRecord {
            portal: self.profile.id.to_string(),
            section: section.id.to_string(),
            at: Utc::now(),
            listed: report.listed,
            new_items: report.new_items,
            errors: report.failed,
            error,
            not_modified: matches!(walked, Ok(StopReason::NotModified)),
        };
        if let Err(error) = self.store.record_section_poll(&record).await {
            warn!(error = %Chain(&error), portal = %self.profile.id, section = %section.id, "Failed to record the poll in the section health.");
        }
    }
}
