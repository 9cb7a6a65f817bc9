//! Leases in the store: a section (or a portal's revisit rounds) is worked
//! on only by the crawler instance holding its lease, renewed while the work
//! runs and given back with the section's next poll scheduled. Backfills
//! hold the same leases, waiting for them and leaving the schedule alone.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{Crawler, REVISIT_CHECK_INTERVAL};
use crate::error::{Chain, CrawlError};
use crate::schedule::after;
use crate::sink::PageSink;

/// How often a backfill waiting for a section's lease looks again.
const LEASE_LOOK: Duration = Duration::from_millis(250);

/// Shortest sleep of [`Crawler::run`] between two looks at the section
/// schedule, so a section that is due but held elsewhere cannot make it spin.
const MIN_SCHEDULE_LOOK: Duration = Duration::from_millis(20);

impl<S: PageSink> Crawler<S> {
    /// Takes the lease of `name` (a section, or the revisit rounds) for one
    /// lease time, if it is due and free.
    pub(super) async fn claim(&self, name: &str) -> Result<bool, CrawlError> {
        let now = Utc::now();
        let claimed = self
            .store
            .claim_section(
                &self.profile.id,
                name,
                &self.options.instance_id,
                now,
                after(now, self.options.lease_ttl),
            )
            .await?;
        if claimed {
            debug!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "Took a lease.");
        }
        Ok(claimed)
    }

    /// Runs `work` while renewing the lease of `name` every third of the
    /// lease time; if the lease is lost (another instance took it after a
    /// stall longer than the lease), `stop` is cancelled so the work ends at
    /// its next checkpoint.
    pub(super) async fn while_leased<T>(
        &self,
        name: &str,
        stop: &CancellationToken,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let every = (self.options.lease_ttl / 3).max(Duration::from_millis(10));
        tokio::pin!(work);
        let mut renew_at = Instant::now() + every;
        loop {
            tokio::select! {
                output = &mut work => return output,
                () = tokio::time::sleep_until(renew_at) => {
                    renew_at = Instant::now() + every;
                    let now = Utc::now();
                    let renewed = self
                        .store
                        .renew_section_lease(
                            &self.profile.id,
                            name,
                            &self.options.instance_id,
                            now,
                            after(now, self.options.lease_ttl),
                        )
                        .await;
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => {
                            warn!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "Lost a lease to another instance; stopping this work.");
                            stop.cancel();
                        }
                        Err(error) => {
                            // Keep working: the lease holds until it expires,
                            // and the next renewal may succeed.
                            warn!(error = %Chain(&error), portal = %self.profile.id, lease = name, "Failed to renew a lease.");
                        }
                    }
                }
            }
        }
    }

    /// Gives back the lease of `name`, scheduling its next poll.
    pub(super) async fn release(&self, name: &str, next_poll_at: Option<DateTime<Utc>>) {
        let released = self
            .store
            .release_section(
                &self.profile.id,
                name,
                &self.options.instance_id,
                next_poll_at,
                Utc::now(),
            )
            .await;
        match released {
            Ok(true) => {}
            Ok(false) => {
                warn!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "A lease was taken over before it was given back.");
            }
            Err(error) => {
                // The lease expires on its own; the section is then due.
                warn!(error = %Chain(&error), portal = %self.profile.id, lease = name, "Failed to give a lease back.");
            }
        }
    }

    /// When `run` should look at the schedule again: the earliest next poll
    /// of a free section, the expiry of a lease another instance holds, and
    /// at least every revisit check.
    pub(super) async fn next_wake(&self, poll_every: Duration) -> Result<Instant, CrawlError> {
        let leases = self.store.section_leases(&self.profile.id).await?;
        let now = Utc::now();
        let instant_now = Instant::now();
        let at = |t: DateTime<Utc>| instant_now + (t - now).to_std().unwrap_or(Duration::ZERO);
        let mut wake = instant_now + REVISIT_CHECK_INTERVAL.min(poll_every);
        for section in &self.profile.sections {
            let lease = leases.iter().find(|l| l.section == section.id);
            let due = match lease {
                None => instant_now,
                Some(lease) => {
                    let held = lease.holder.is_some()
                        && lease.expires_at.is_some_and(|expiry| expiry > now);
                    match (held, lease.expires_at, lease.next_poll_at) {
                        (true, Some(expiry), _) => at(expiry),
                        (_, _, Some(next)) => at(next),
                        _ => instant_now,
                    }
                }
            };
            wake = wake.min(due);
        }
        // Never spin: a section due now but not claimable (another instance
        // took it between the claim and this look) is looked at again soon,
        // not at once.
        Ok(wake.max(instant_now + MIN_SCHEDULE_LOOK))
    }

    /// Logs, in one INFO line, when each section of the portal is polled
    /// next, as the store's schedule says (so after a restart the operator
    /// knows when the crawler will next be heard from).
    pub(super) async fn log_next_polls(&self) -> Result<(), CrawlError> {
        let leases = self.store.section_leases(&self.profile.id).await?;
        let sections: Vec<&str> = self
            .profile
            .sections
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        let next_polls =
            next_polls_in_words(&sections, &leases, &self.options.instance_id, Utc::now());
        info!(portal = %self.profile.id, next_polls = %next_polls, "When each section is polled next.");
        Ok(())
    }

    /// Takes the lease of `section_id` for a backfill, waiting up to
    /// `backfill_lease_wait` while another instance holds it. `Ok(false)`
    /// when cancelled while waiting.
    pub(super) async fn hold_for_backfill(
        &self,
        section_id: &str,
        cancel: &CancellationToken,
    ) -> Result<bool, CrawlError> {
        let portal = self.profile.id.as_str();
        let instance = self.options.instance_id.as_str();
        let deadline = Instant::now() + self.options.backfill_lease_wait;
        let mut announced = false;
        loop {
            let now = Utc::now();
            let held = self
                .store
                .hold_section(
                    portal,
                    section_id,
                    instance,
                    now,
                    after(now, self.options.lease_ttl),
                )
                .await?;
            if held {
                debug!(
                    portal,
                    section = section_id,
                    instance,
                    "Took the section's lease for a backfill."
                );
                return Ok(true);
            }
            let lease = self.store.section_lease(portal, section_id).await?;
            let holder = lease
                .as_ref()
                .and_then(|l| l.holder.clone())
                .unwrap_or_default();
            let until = lease
                .as_ref()
                .and_then(|l| l.expires_at)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                warn!(portal, section = section_id, holder = %holder, until = %until, instance, "Another crawler instance holds this section; the backfill does not start.");
                return Err(CrawlError::SectionLeased {
                    portal: portal.to_owned(),
                    section: section_id.to_owned(),
                    holder,
                    until,
                });
            }
            if !announced {
                info!(portal, section = section_id, holder = %holder, until = %until, wait_secs = left.as_secs(), "Another crawler instance holds this section; the backfill waits for it.");
                announced = true;
            }
            let step = LEASE_LOOK.min(left);
            tokio::select! {
                () = cancel.cancelled() => return Ok(false),
                () = tokio::time::sleep(step) => {}
            }
        }
    }

    /// Gives back a backfill's lease, leaving the section's schedule alone.
    pub(super) async fn unhold(&self, section_id: &str) {
        let portal = self.profile.id.as_str();
        let instance = self.options.instance_id.as_str();
        match self
            .store
            .unhold_section(portal, section_id, instance, Utc::now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                warn!(
                    portal,
                    section = section_id,
                    instance,
                    "A backfill's lease was taken over before it was given back."
                );
            }
            Err(error) => {
                // The lease expires on its own.
                warn!(error = %Chain(&error), portal, section = section_id, "Failed to give a backfill's lease back.");
            }
        }
    }
}

/// When each of `sections` is polled next, in words: `3 at
/// 2026-12-07T02:15:00Z (in 14 minutes)`, `news now`, `6 when instance
/// crawler-b gives it back (by 2026-12-07T02:01:30Z)`, joined by `; `.
fn next_polls_in_words(
    sections: &[&str],
    leases: &[govwire_store::SectionLease],
    instance: &str,
    now: DateTime<Utc>,
) -> String {
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    sections
        .iter()
        .map(|&section| {
            let lease = leases.iter().find(|l| l.section == section);
            let held_elsewhere = lease.and_then(|l| match (&l.holder, l.expires_at) {
                (Some(holder), Some(expiry)) if expiry > now && holder != instance => {
                    Some((holder.as_str(), expiry))
                }
                _ => None,
            });
            match (held_elsewhere, lease.and_then(|l| l.next_poll_at)) {
                (Some((holder, expiry)), _) => format!(
                    "{section} when instance {holder} gives it back (by {})",
                    at(expiry)
                ),
                (None, Some(next)) if next > now => format!(
                    "{section} at {} (in {})",
                    at(next),
                    govwire_model::text::span_in_words((next - now).to_std().unwrap_or_default())
                ),
                _ => format!("{section} now"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use govwire_store::SectionLease;

    use super::*;

    fn lease(
        section: &str,
        holder: Option<&str>,
        expires: Option<i64>,
        next: Option<i64>,
    ) -> SectionLease {
        let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        SectionLease {
            portal: "shpt".into(),
            section: section.into(),
            holder: holder.map(str::to_owned),
            expires_at: expires.map(|m| t0 + chrono::Duration::minutes(m)),
            next_poll_at: next.map(|m| t0 + chrono::Duration::minutes(m)),
        }
    }

    #[test]
    fn each_section_says_when_it_is_polled_next() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        let leases = [
            lease("3", None, None, Some(14)),
            lease("6", Some("crawler-b"), Some(2), Some(30)),
            lease("7", None, None, Some(-5)),
            lease("8", Some("me"), Some(2), Some(30)),
        ];
        let text = next_polls_in_words(&["3", "6", "7", "8", "new"], &leases, "me", now);
        assert_eq!(
            text,
            "3 at 2026-12-07T02:14:00Z (in 14 minutes); \
             6 when instance crawler-b gives it back (by 2026-12-07T02:02:00Z); \
             7 now; 8 at 2026-12-07T02:30:00Z (in 30 minutes); new now"
        );
    }
}
