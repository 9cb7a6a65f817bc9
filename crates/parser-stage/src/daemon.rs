//! The parser daemon: raw pages in, parsed pages out.

use std::sync::Arc;

use anyhow::Result;
use govwire_bus::{run_batch_consumer, Bus, HandlerError, Publisher};
use govwire_model::pipeline::{Envelope, WorkQueue, NOTIFIER_QUEUE, PARSER_QUEUE};
use govwire_model::{PageOutcome, PortalProfile, RawPage};
use govwire_store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

/// The queues the parser stage declares before it starts: the one it
/// consumes, then the notifier's, which must exist before the first parsed
/// page goes out (a mandatory publish to no queue is refused).
pub const QUEUES: &[WorkQueue] = &[PARSER_QUEUE, NOTIFIER_QUEUE];

/// The most pages parsed before their results are handed on together (one
/// round of confirms) and acknowledged together: what the consumer's
/// prefetch window holds when pages arrive faster than they are parsed.
const BATCH: usize = 32;

/// Runs the parser stage until `cancel`: consumes raw pages, parses each
/// with its portal's profile (one of `profiles`), hands the result on.
pub async fn run(
    bus: Bus,
    store: Store,
    profiles: Vec<PortalProfile>,
    cancel: CancellationToken,
) -> Result<()> {
    let queue = bus.declare_stage_queues(QUEUES).await?.remove(0);
    let publisher = Arc::new(bus.publisher().await?);
    let consumer = bus.consumer(&queue, "govwire-parser").await?;
    let dead_letters = bus.publisher().await?;
    let profiles = Arc::new(profiles);
    info!(queue = %queue, "Parser consuming pages.");
    let handler_bus = bus.clone();
    let result = run_batch_consumer(consumer, dead_letters, cancel, BATCH, move |deliveries| {
        let pages: Vec<(Vec<u8>, String)> = deliveries
            .iter()
            .map(|d| {
                (
                    d.body().to_vec(),
                    d.message_id().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let publisher = publisher.clone();
        let profiles = profiles.clone();
        let bus = handler_bus.clone();
        let store = store.clone();
        async move { parse_batch(&bus, &publisher, &store, &profiles, &pages).await }
    })
    .await;
    bus.close().await;
    info!("Parser stopped.");
    Ok(result?)
}

/// A batch of raw pages: each parsed (or poison), the parse outcomes
/// counted toward their sections' health, and the parsed pages handed to
/// the notifier with their confirms awaited together.
async fn parse_batch(
    bus: &Bus,
    publisher: &Publisher,
    store: &Store,
    profiles: &[PortalProfile],
    pages: &[(Vec<u8>, String)],
) -> Vec<Result<(), HandlerError>> {
    let mut outcomes = Vec::with_capacity(pages.len());
    let mut messages = Vec::new();
    let mut sent = Vec::new();
    let mut counted: Vec<((String, String), Vec<bool>)> = Vec::new();
    let mut read: Vec<(RawPage, String)> = Vec::new();
    for (index, (body, message_id)) in pages.iter().enumerate() {
        let (page, parsed) = match parse_one(profiles, body, message_id).await {
            Ok(done) => done,
            Err(error) => {
                outcomes.push(Err(error));
                continue;
            }
        };
        let section = (page.portal.to_string(), page.section.to_string());
        let ok = parsed.is_ok();
        match counted.iter_mut().find(|(s, _)| *s == section) {
            Some((_, oks)) => oks.push(ok),
            None => counted.push((section, vec![ok])),
        }
        match parsed {
            Ok((envelope, body, page_sha256)) => {
                messages.push(bus.pipeline_message(envelope, body, chrono::Utc::now()));
                sent.push(index);
                outcomes.push(Ok(()));
                read.push((page, page_sha256));
            }
            Err(error) => outcomes.push(Err(error)),
        }
    }
    // Counting is for the section's health: failing to count is logged,
    // never a reason to retry the pages.
    for ((portal, section), oks) in counted {
        if let Err(error) = store
            .record_parse_outcomes(&portal, &section, &oks, chrono::Utc::now())
            .await
        {
            warn!(%error, %section, "Failed to record parse outcomes for the section's health.");
        }
    }
    // The pages are kept (by the hash of their bytes, for `govwire
    // reparse`) before they are handed on: a page whose record names it is
    // always there. A store that cannot keep them holds the batch.
    let kept: Vec<(&RawPage, &str)> = read.iter().map(|(p, sha)| (p, sha.as_str())).collect();
    if let Err(error) = store.keep_pages(&kept, chrono::Utc::now()).await {
        let unavailable = error.is_unavailable();
        let error = anyhow::Error::new(error).context("keeping the pages read");
        return pages
            .iter()
            .map(|_| {
                Err(HandlerError::transient(
                    anyhow::anyhow!("{error:#}"),
                    unavailable,
                ))
            })
            .collect();
    }
    let published = publisher.publish_all(&messages).await;
    for (index, result) in sent.into_iter().zip(published) {
        if let Err(e) = result {
            outcomes[index] = Err(HandlerError::Retry(
                anyhow::Error::new(e).context("handing the parsed page to the notifier"),
            ));
        }
    }
    outcomes
}

/// What a parsed page is handed on as: its envelope and body, and the hash
/// of the page's bytes the parser computed (the page is kept under it).
type Parsed = (Envelope, Vec<u8>, String);

/// One raw page parsed: the page and either what to hand on or why it is
/// poison (it cannot be parsed); an error, counted toward no section, when
/// the message is not a raw page at all or its portal has no profile.
async fn parse_one(
    profiles: &[PortalProfile],
    body: &[u8],
    message_id: &str,
) -> Result<(RawPage, Result<Parsed, HandlerError>), HandlerError> {
    let mut page: RawPage = serde_json::from_slice(body)
        .map_err(|e| HandlerError::Poison(format!("not a RawPage: {e}")))?;
    let span = tracing::info_span!("page", portal = %page.portal, section = %page.section, url = %page.url);
    async {
        let Some(profile) = profiles.iter().find(|p| p.id == page.portal) else {
            return Err(HandlerError::Poison(format!(
                "no profile for portal `{}`",
                page.portal
            )));
        };
        // Attachment texts are extracted here, by tools run as processes,
        // so the parser itself stays free of I/O.
        crate::extract_attachments(&mut page, &govwire_extract::ExtractLimits::default()).await;
        let parsed = match govwire_parser::parse_page(&page, profile) {
            Ok(parsed) => parsed,
            Err(e) => {
                metrics::counter!("govwire_parser_pages_total", "portal" => page.portal.to_string(), "outcome" => "failed").increment(1);
                warn!(error = %e, "Page could not be parsed; sending it to the dead-letter queue.");
                let error = HandlerError::Poison(format!("parse failure: {e}"));
                return Ok((page, Err(error)));
            }
        };
        let portal = page.portal.to_string();
        match &parsed.outcome {
            PageOutcome::Reply { reply } => {
                metrics::counter!("govwire_parser_pages_total", "portal" => portal.clone(), "outcome" => "reply").increment(1);
                // By field, so a profile that stopped matching a layout
                // (its title or metadata read by the fallbacks) shows.
                for warning in &reply.warnings {
                    metrics::counter!("govwire_parser_warnings_total", "portal" => portal.clone(), "field" => warning.field.clone()).increment(1);
                }
                if reply.warnings.is_empty() {
                    info!(reply_id = %reply.id, warnings = 0, "Page parsed as a reply.")
                } else {
                    let fields: Vec<&str> = reply.warnings.iter().map(|w| w.field.as_str()).collect();
                    info!(reply_id = %reply.id, warnings = reply.warnings.len(), warning_fields = %fields.join(","), "Page parsed as a reply.")
                }
            }
            PageOutcome::NotAReply { reason } => {
                metrics::counter!("govwire_parser_pages_total", "portal" => portal, "outcome" => "not_a_reply").increment(1);
                info!(%reason, "Page is not a reply; skipped.")
            }
        }
        let envelope = Envelope::parsed_page(message_id, govwire_parser::PARSER_VERSION);
        let handed = serde_json::to_vec(&parsed)
            .map(|body| (envelope, body, parsed.page_sha256.clone()))
            .map_err(|e| HandlerError::Poison(format!("cannot serialize the parsed page: {e}")));
        Ok((page, handed))
    }
    .instrument(span)
    .await
}
