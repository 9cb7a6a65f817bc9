//! `govwire backfill`: walks a portal's history through the crawler's
//! normal path (the same store, dedup and hand-off to the parser stage as
//! live polling), section by section, resumable after an interruption. The
//! progress display is the caller's: a bar on a terminal, log lines
//! otherwise.

use anyhow::{bail, Context, Result};
use chrono::NaiveDate;
use govwire_bus::Bus;
use govwire_crawler::{BackfillProgress, BackfillReport, Crawler};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::services::{check_writable, open_store, BusPageSink, RunPlan};

/// What to backfill.
#[derive(Debug, Clone)]
pub struct BackfillRequest {
    /// The portal's id.
    pub portal: String,
    /// One section, or every section of the portal.
    pub section: Option<String>,
    /// Earliest publication date wanted.
    pub since: Option<NaiveDate>,
    /// Latest publication date wanted.
    pub until: Option<NaiveDate>,
}

/// Runs the backfill of every requested section in turn, calling
/// `progress` after every list page. Stops early (returning the reports so
/// far) when `cancel` fires; running the same command again resumes.
pub async fn run(
    plan: &RunPlan,
    request: &BackfillRequest,
    mut progress: impl FnMut(&BackfillProgress) + Send,
    cancel: CancellationToken,
) -> Result<Vec<BackfillReport>> {
    let Some((profile, base_url)) = plan.portals.iter().find(|(p, _)| p.id == request.portal)
    else {
        bail!(
            "portal `{}` is not among `crawler.portals` ({})",
            request.portal,
            plan.portals
                .iter()
                .map(|(p, _)| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let sections: Vec<String> = match &request.section {
        Some(id) if profile.sections.iter().any(|s| &s.id == id) => vec![id.clone()],
        Some(id) => bail!("portal `{}` has no section `{id}`", profile.id),
        None => profile.sections.iter().map(|s| s.id.to_string()).collect(),
    };
    let config = &plan.config;
    let store = open_store(config.store.url.clone()).await?;
    check_writable(&store, "backfill").await?;
    let bus = Bus::connect(&config.bus(), "backfill")
        .await
        .with_context(|| format!("cannot reach RabbitMQ at {}", config.bus().redacted_url()))?;
    // The backfill takes each section's lease like a live crawler, under a
    // name of its own, so it never walks a section a running instance is
    // polling (it waits for it, then gives up naming the holder).
    let options = config.crawler.options(base_url.clone(), Some("backfill"));
    let concurrency = options
        .concurrency
        .unwrap_or(profile.politeness.concurrency);
    let sink = BusPageSink::connect(&bus, concurrency).await?;
    let crawler = Crawler::new(profile.clone(), store.clone(), sink, options)
        .with_context(|| format!("cannot set up the crawler for portal `{}`", profile.id))?;
    let mut reports = Vec::new();
    for section in sections {
        if cancel.is_cancelled() {
            break;
        }
        let report = crawler
            .backfill(
                &section,
                request.since,
                request.until,
                &mut progress,
                &cancel,
            )
            .await
            .with_context(|| format!("backfill of `{}` section `{section}`", profile.id))?;
        info!(portal = %profile.id, section = %section, pages = report.pages, new_items = report.new_items, delivered = report.delivered, completed = report.completed, "Backfill of a section ended.");
        reports.push(report);
    }
    bus.close().await;
    store.close().await;
    Ok(reports)
}
