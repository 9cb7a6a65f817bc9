//! The notifier's periodic sweep: weighs the crawler's evidence and the
//! sections' health with the pure rules of [`crate::withdraw`] and
//! [`crate::health`], and records each change with its event in one store
//! transaction (the outbox relay then publishes it).

use std::time::Duration;

use chrono::{DateTime, Utc};
use govwire_store::{HealthChange, ReplyStatusChange, Store, StoreError};
use tracing::{info, warn};

use crate::health::{decide_health, HealthPolicy};
use crate::withdraw::{decide_status, verdict, WithdrawalPolicy};

/// What the sweep weighs, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepSettings {
    /// Time between sweeps.
    pub interval: Duration,
    /// How much evidence a withdrawal takes.
    pub withdrawal: WithdrawalPolicy,
    /// How much trouble makes a section degraded.
    pub health: HealthPolicy,
}

impl Default for SweepSettings {
    /// The defaults of the `[notifier]` section ([`crate::NotifierConfig`]).
    fn default() -> Self {
        crate::NotifierConfig::default().settings().sweep
    }
}

/// What one sweep recorded, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Replies recorded withdrawn.
    pub withdrawn: u32,
    /// Replies recorded restored.
    pub restored: u32,
    /// Sections recorded degraded.
    pub degraded: u32,
    /// Sections recorded recovered.
    pub recovered: u32,
    /// Replies or sections whose change could not be recorded this time
    /// (tried again at the next sweep).
    pub failed: u32,
}

impl SweepReport {
    /// Changes recorded, so events are waiting in the outbox.
    pub fn changes(&self) -> u32 {
        self.withdrawn + self.restored + self.degraded + self.recovered
    }
}

/// One sweep at `now`. Reading the evidence failing is an error; a change
/// that cannot be recorded is logged, counted in `failed` and left for the
/// next sweep, so one bad row cannot stop the others.
pub async fn sweep_once(
    store: &Store,
    settings: &SweepSettings,
    now: DateTime<Utc>,
) -> Result<SweepReport, StoreError> {
    let mut report = SweepReport::default();
    let withdrawal = settings.withdrawal;
    for watch in store.withdrawal_watch(now).await? {
        if verdict(&watch, &withdrawal, now).is_none() {
            continue;
        }
        let recorded = store
            .apply_reply_status(&watch.reply_id, now, |fresh, record| {
                decide_status(fresh, record, &withdrawal, now)
            })
            .await;
        match recorded {
            Ok(Some(ReplyStatusChange::Withdrawn { .. })) => report.withdrawn += 1,
            Ok(Some(ReplyStatusChange::Restored { .. })) => report.restored += 1,
            Ok(None) => {}
            Err(error) => {
                warn!(%error, reply_id = %watch.reply_id, "Failed to record a reply's withdrawal or restoration; will try again.");
                report.failed += 1;
            }
        }
    }
    let health = settings.health;
    for section in store.all_section_health().await? {
        let degraded = || metrics::gauge!("govwire_section_degraded", "portal" => section.portal.clone(), "section" => section.section.clone());
        degraded().set(if section.is_degraded() { 1.0 } else { 0.0 });
        if decide_health(&section, &health, now).is_none() {
            continue;
        }
        let recorded = store
            .apply_section_health(&section.portal, &section.section, now, |fresh| {
                decide_health(fresh, &health, now)
            })
            .await;
        match recorded {
            Ok(Some(HealthChange::Degraded { .. })) => {
                degraded().set(1.0);
                report.degraded += 1
            }
            Ok(Some(HealthChange::Recovered { .. })) => {
                degraded().set(0.0);
                report.recovered += 1
            }
            Ok(None) => {}
            Err(error) => {
                warn!(%error, portal = %section.portal, section = %section.section, "Failed to record a section's health; will try again.");
                report.failed += 1;
            }
        }
    }
    match store.outbox_pending_count().await {
        Ok(pending) => metrics::gauge!("govwire_outbox_pending_events").set(pending as f64),
        Err(error) => warn!(%error, "Failed to count the outbox's pending events."),
    }
    if report.changes() > 0 || report.failed > 0 {
        info!(
            withdrawn = report.withdrawn,
            restored = report.restored,
            degraded = report.degraded,
            recovered = report.recovered,
            failed = report.failed,
            "Sweep recorded changes."
        );
    }
    Ok(report)
}
