//! The parser daemon: raw pages in, parsed pages out.

use std::sync::Arc;

use anyhow::Result;
use govwire_bus::{run_consumer, Bus, HandlerError, Publisher};
use govwire_model::pipeline::{Envelope, WorkQueue, NOTIFIER_QUEUE, PARSER_QUEUE};
use govwire_model::{PageOutcome, PortalProfile, RawPage};
use govwire_store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

/// The queues the parser stage declares before it starts: the one it
/// consumes, then the notifier's, which must exist before the first parsed
/// page goes out (a mandatory publish to no queue is refused).
pub const QUEUES: &[WorkQueue] = &[PARSER_QUEUE, NOTIFIER_QUEUE];

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
    let result = run_consumer(consumer, dead_letters, cancel, move |delivery| {
        let body = delivery.body().to_vec();
        let message_id = delivery.message_id().unwrap_or_default().to_string();
        let publisher = publisher.clone();
        let profiles = profiles.clone();
        let bus = handler_bus.clone();
        let store = store.clone();
        async move { parse_one(&bus, &publisher, &store, &profiles, &body, &message_id).await }
    })
    .await;
    bus.close().await;
    info!("Parser stopped.");
    Ok(result?)
}

/// One raw page: parsed and handed on, or poison.
async fn parse_one(
    bus: &Bus,
    publisher: &Publisher,
    store: &Store,
    profiles: &[PortalProfile],
    body: &[u8],
    message_id: &str,
) -> Result<(), HandlerError> {
    let mut page: RawPage = serde_json::from_slice(body)
        .map_err(|e| HandlerError::Poison(format!("not a RawPage: {e}")))?;
    let span = tracing::info_span!("page", portal = %page.portal, url = %page.url);
    async {
        let profile = profiles
            .iter()
            .find(|p| p.id == page.portal)
            .ok_or_else(|| {
                HandlerError::Poison(format!("no profile for portal `{}`", page.portal))
            })?;
        // Attachment texts are extracted here, by tools run as processes,
        // so the parser itself stays free of I/O.
        crate::extract_attachments(&mut page, &govwire_extract::ExtractLimits::default()).await;
        let parsed = govwire_parser::parse_page(&page, profile);
        record_parse_outcome(store, &page, parsed.is_ok()).await;
        let parsed = parsed.map_err(|e| {
            warn!(error = %e, "Page could not be parsed; sending it to the dead-letter queue.");
            HandlerError::Poison(format!("parse failure: {e}"))
        })?;
        match &parsed.outcome {
            PageOutcome::Reply { reply } => {
                info!(reply_id = %reply.id, warnings = reply.warnings.len(), "Page parsed as a reply.")
            }
            PageOutcome::NotAReply { reason } => info!(%reason, "Page is not a reply; skipped."),
        }
        let envelope = Envelope::parsed_page(message_id, govwire_parser::PARSER_VERSION);
        let body = serde_json::to_vec(&parsed).map_err(|e| {
            HandlerError::Poison(format!("cannot serialize the parsed page: {e}"))
        })?;
        let message = bus.pipeline_message(envelope, body, chrono::Utc::now());
        publisher.publish(&message).await.map_err(|e| {
            HandlerError::Retry(
                anyhow::Error::new(e).context("handing the parsed page to the notifier"),
            )
        })
    }
    .instrument(span)
    .await
}

/// Counts a page's parse outcome toward its section's health (pages that all
/// fail to parse make the section degraded). Failing to count is logged,
/// never a reason to retry the page.
async fn record_parse_outcome(store: &Store, page: &RawPage, ok: bool) {
    if let Err(error) = store
        .record_parse_outcome(&page.portal, &page.section, ok, chrono::Utc::now())
        .await
    {
        warn!(%error, section = %page.section, "Failed to record the parse outcome for the section's health.");
    }
}
