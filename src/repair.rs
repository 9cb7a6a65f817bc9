//! Repairing subscribers from what govwire keeps: `govwire replay`
//! publishes the archive's events again, in their order and with their ids,
//! to one queue or to the events exchange; `govwire reparse` runs today's
//! parser over the kept pages and hands the notifier the records that read
//! differently, so each becomes one `reply.updated` naming the parser.

use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use govwire_bus::{Bus, Message, Publisher};
use govwire_model::event::CLOUDEVENTS_CONTENT_TYPE;
use govwire_model::pipeline::Envelope;
use govwire_model::{PageOutcome, PortalProfile};
use govwire_store::{EventLogFilter, Store};

/// Events published per round of confirms.
const REPLAY_BATCH: u32 = 200;
/// Current records read from the store at a time by a reparse.
const REPARSE_BATCH: u32 = 200;

/// Where `govwire replay` publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayTarget {
    /// One queue (its full name), through the default exchange: a new or
    /// broken subscriber alone is filled.
    Queue(String),
    /// The events exchange, with each event's own routing key: every bound
    /// subscriber gets them again and drops what it has (by event id).
    Exchange,
}

/// What `govwire replay` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Events the broker confirmed.
    pub published: u64,
}

/// Reads a date (`2026-01-31`, midnight UTC) or an instant (RFC 3339).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| {
            format!("`{text}` is neither a date (2026-01-31) nor an instant (2026-01-31T08:00:00Z)")
        })
}

/// Publishes the archived events `filter` selects to `target`, by their
/// own time (events of one time in the order the archive received them),
/// each with its original id, type, time and body, confirmed in batches.
/// `progress` hears (published, total) after each batch. Stops at the first
/// event the broker does not take, naming it.
pub async fn replay(
    bus: &Bus,
    store: &Store,
    filter: &EventLogFilter,
    target: &ReplayTarget,
    mut progress: impl FnMut(u64, u64),
) -> Result<ReplayReport> {
    let total = store
        .count_logged_events(filter)
        .await
        .context("counting the archived events")?;
    let publisher: Publisher = bus.publisher().await?;
    let events_exchange = bus.config().events_exchange.clone();
    let mut report = ReplayReport::default();
    let mut after = None;
    progress(0, total);
    loop {
        let events = store
            .logged_events(filter, after.as_ref(), REPLAY_BATCH)
            .await
            .context("reading the archived events")?;
        let Some(last) = events.last() else { break };
        after = Some(last.position.clone());
        let messages: Vec<Message> = events
            .iter()
            .map(|event| {
                let (exchange, routing_key) = match target {
                    ReplayTarget::Queue(queue) => (String::new(), queue.clone()),
                    ReplayTarget::Exchange => (events_exchange.clone(), event.routing_key.clone()),
                };
                Message {
                    exchange,
                    routing_key,
                    body: event.body.clone(),
                    content_type: CLOUDEVENTS_CONTENT_TYPE.into(),
                    message_id: event.event_id.clone(),
                    kind: Some(event.event_type.clone()),
                    timestamp: Some(event.time),
                    headers: vec![],
                }
            })
            .collect();
        for (event, outcome) in events.iter().zip(publisher.publish_all(&messages).await) {
            if let Err(error) = outcome {
                if let (
                    Some(govwire_bus::PublishError::Unroutable { .. }),
                    ReplayTarget::Queue(queue),
                ) = (error.as_publish(), target)
                {
                    bail!("the queue `{queue}` does not exist: declare it (bind it as the subscriber will) before replaying into it");
                }
                return Err(anyhow::Error::new(error).context(format!(
                    "publishing event {} ({}); {} of {total} were published",
                    event.event_id, event.event_type, report.published
                )));
            }
            report.published += 1;
        }
        progress(report.published, total);
    }
    Ok(report)
}

/// Which replies `govwire reparse` reads again.
#[derive(Debug, Clone, Default)]
pub struct ReparseRequest {
    /// Replies whose current version was recorded at or after this (all
    /// when `None`).
    pub since: Option<DateTime<Utc>>,
    /// Only this portal's replies.
    pub portal: Option<String>,
}

/// What `govwire reparse` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReparseReport {
    /// Current records looked at.
    pub replies: usize,
    /// Records today's parser reads differently, handed to the notifier
    /// (each becomes one `reply.updated`).
    pub changed: Vec<String>,
    /// Records it reads the same.
    pub unchanged: usize,
    /// Records whose page was not kept (read before pages were kept).
    pub without_page: usize,
    /// Records whose portal has no profile in the configuration.
    pub without_profile: usize,
    /// Pages today's parser refuses or reads as no reply, with why; the
    /// archived record stays as it is.
    pub refused: Vec<(String, String)>,
}

/// The parser and profile that read a page, as a reparse's update names
/// them: `govwire-parser/0.1.0, profile shpt 1a2b3c4d` (the profile's
/// hash, so a changed profile is told from the shipped one).
pub fn reparsed_by(profile: &PortalProfile) -> String {
    let json = serde_json::to_vec(profile).expect("a profile serializes");
    let hash = govwire_model::canonical::sha256_hex(json);
    format!(
        "{}, profile {} {}",
        govwire_parser::PARSER_VERSION,
        profile.id,
        &hash[..8]
    )
}

/// Runs today's parser (with `profiles`) over the kept page of each
/// current record `request` selects, and hands every record that reads
/// differently to the notifier as a parsed page marked as a reparse
/// (confirmed). Nothing happens on its own: only this command reparses.
/// `progress` hears (done, total).
pub async fn reparse(
    bus: &Bus,
    store: &Store,
    profiles: &[PortalProfile],
    request: &ReparseRequest,
    mut progress: impl FnMut(u64, u64),
) -> Result<ReparseReport> {
    let total = store
        .count_current_records(request.since, request.portal.as_deref())
        .await
        .context("counting the current records")?;
    let mut report = ReparseReport::default();
    let publisher = bus.publisher().await?;
    progress(0, total);
    let mut after: Option<String> = None;
    loop {
        let records = store
            .current_records(
                request.since,
                request.portal.as_deref(),
                after.as_deref(),
                REPARSE_BATCH,
            )
            .await
            .context("reading the current records")?;
        let Some(last) = records.last() else { break };
        after = Some(last.id.to_string());
        for record in &records {
            reparse_one(bus, store, &publisher, profiles, record, &mut report).await?;
            report.replies += 1;
            progress(report.replies as u64, total.max(report.replies as u64));
        }
    }
    progress(report.replies as u64, report.replies as u64);
    Ok(report)
}

/// Reads one current record's kept page again, and hands the notifier the
/// new reading if it differs.
async fn reparse_one(
    bus: &Bus,
    store: &Store,
    publisher: &Publisher,
    profiles: &[PortalProfile],
    record: &govwire_model::Reply,
    report: &mut ReparseReport,
) -> Result<()> {
    let Some(profile) = profiles.iter().find(|p| p.id == record.portal) else {
        report.without_profile += 1;
        return Ok(());
    };
    let Some(sha) = record.page_sha256.as_deref() else {
        report.without_page += 1;
        return Ok(());
    };
    let Some(page) = store.kept_page(sha).await? else {
        report.without_page += 1;
        return Ok(());
    };
    let mut parsed = match govwire_parser::parse_page(&page, profile) {
        Ok(parsed) => parsed,
        Err(error) => {
            report
                .refused
                .push((record.id.to_string(), error.to_string()));
            return Ok(());
        }
    };
    let PageOutcome::Reply { reply } = &parsed.outcome else {
        report.refused.push((
            record.id.to_string(),
            "today's parser reads the page as no reply".into(),
        ));
        return Ok(());
    };
    if reply.content_sha256 == record.content_sha256 {
        report.unchanged += 1;
        return Ok(());
    }
    let by = reparsed_by(profile);
    parsed.reparsed_by = Some(by.clone());
    let envelope = Envelope::parsed_page(&Envelope::raw_page(&page).message_id, &by);
    let body = serde_json::to_vec(&parsed).context("serializing a parsed page")?;
    publisher
        .publish(&bus.pipeline_message(envelope, body, Utc::now()))
        .await
        .with_context(|| format!("handing the notifier the new reading of {}", record.id))?;
    report.changed.push(record.id.to_string());
    Ok(())
}

/// A progress bar on a terminal, else an INFO line every tenth of the way.
fn progress_reporter(what: &'static str) -> impl FnMut(u64, u64) {
    use std::io::IsTerminal as _;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(what);
        bar
    });
    let mut logged = 0;
    move |done, total| match &bar {
        Some(bar) => {
            bar.set_length(total);
            bar.set_position(done);
            if done == total {
                bar.finish_and_clear();
            }
        }
        None => {
            let tenth = (total / 10).max(1);
            if done == total || done >= logged + tenth {
                logged = done;
                tracing::info!(done, total, "{what} progress.");
            }
        }
    }
}

/// `govwire replay`: connects, reads the archive's store, publishes, and
/// prints how many events went out.
pub async fn replay_command(
    config: &crate::config::Config,
    filter: &EventLogFilter,
    target: &ReplayTarget,
) -> Result<()> {
    let bus = Bus::connect(&config.bus(), "replay")
        .await
        .with_context(|| format!("cannot reach RabbitMQ at {}", config.bus().redacted_url()))?;
    let store = crate::services::open_store(config.archive_store_url()).await?;
    let result = replay(&bus, &store, filter, target, progress_reporter("replay")).await;
    store.close().await;
    bus.close().await;
    let report = result?;
    let to = match target {
        ReplayTarget::Queue(queue) => format!("the queue {queue}"),
        ReplayTarget::Exchange => format!("the exchange {}", config.bus().events_exchange),
    };
    println!("replayed {} event(s) to {to}", report.published);
    Ok(())
}

/// `govwire reparse`: reads the notifier's store and the configured
/// profiles, hands the changed readings to the notifier, and prints what it
/// found.
pub async fn reparse_command(
    config_path: &std::path::Path,
    request: &ReparseRequest,
) -> Result<()> {
    let plan = crate::services::plan(config_path, &std::collections::BTreeMap::new())?;
    let config = &plan.config;
    let bus = Bus::connect(&config.bus(), "reparse")
        .await
        .with_context(|| format!("cannot reach RabbitMQ at {}", config.bus().redacted_url()))?;
    let store = crate::services::open_store(config.store.url.clone()).await?;
    let profiles: Vec<PortalProfile> = plan.portals.iter().map(|(p, _)| p.clone()).collect();
    let result = reparse(
        &bus,
        &store,
        &profiles,
        request,
        progress_reporter("reparse"),
    )
    .await;
    store.close().await;
    bus.close().await;
    let report = result?;
    println!(
        "{} reply(ies) read again: {} changed (one reply.updated each, once the notifier decides), {} unchanged, {} without a kept page, {} without a profile, {} refused",
        report.replies,
        report.changed.len(),
        report.unchanged,
        report.without_page,
        report.without_profile,
        report.refused.len()
    );
    for id in &report.changed {
        println!("changed  {id}");
    }
    for (id, why) in &report.refused {
        println!("refused  {id}: {why}");
    }
    Ok(())
}
