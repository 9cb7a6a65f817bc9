//! The archive daemon.

use std::net::SocketAddr;

use chrono::Utc;
use govwire_bus::{run_batch_consumer, Bus, HandlerError};
use govwire_model::event::read_reply_event;
use govwire_model::pipeline::{WorkQueue, ARCHIVE_QUEUE};
use govwire_serve::Api;
use govwire_store::{ArchiveInput, Store};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

/// How often the archive refreshes the statistics its queries are planned
/// with ([`Store::optimize_archive`]).
const OPTIMIZE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The most events archived in one store transaction: what the consumer's
/// prefetch window holds when events arrive faster than they are stored.
const BATCH: usize = 64;

/// The queue the archive declares before it starts: the one it consumes.
pub const QUEUES: &[WorkQueue] = &[ARCHIVE_QUEUE];

/// What the archive needs beyond the bus and the store.
#[derive(Debug, Clone)]
pub struct ArchiveSettings {
    /// Address of the read API; `None` runs the subscriber alone.
    pub listen: Option<SocketAddr>,
}

/// The `[archive]` section of `govwire.toml`. Every key has a default, the
/// value the shipped file documents. [`ArchiveConfig::settings`] turns it
/// into what the archive runs with; which database it opens is the
/// binary's to decide (`store_url`, or the shared store's when empty).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveConfig {
    /// Address of the read API ([`ArchiveSettings::listen`]). Default
    /// `127.0.0.1:8088`: reachable from the host only.
    pub listen: SocketAddr,
    /// The archive's own database, which may hold a password; empty (the
    /// default) for the same database as `store.url`. Serialized redacted.
    #[serde(serialize_with = "govwire_store::serialize_redacted_url")]
    pub store_url: SecretString,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8088)),
            store_url: SecretString::from(String::new()),
        }
    }
}

impl ArchiveConfig {
    /// The settings as the archive takes them: the read API on `listen`.
    pub fn settings(&self) -> ArchiveSettings {
        ArchiveSettings {
            listen: Some(self.listen),
        }
    }
}

/// Runs the archive until `cancel`: the subscriber and, if configured, the
/// read API. Returns the bound API address through `bound` once listening.
pub async fn run(
    bus: Bus,
    store: Store,
    settings: ArchiveSettings,
    cancel: CancellationToken,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let queue = bus.declare_stage_queues(QUEUES).await?.remove(0);

    // Replies archived before the search existed (or under older search
    // rules) are indexed before the API answers. A failure leaves them out
    // of search results only: the archive still runs, and the next start
    // tries again.
    match store.reindex_archive_search().await {
        Ok(indexed) => info!(indexed, "Archive search index up to date."),
        Err(error) => {
            warn!(%error, "Failed to index archived replies for search; searches leave them out until the next start.")
        }
    }

    // Statistics for the list's and the search's query plans, on start and
    // every hour as the archive grows.
    let optimizer = {
        let store = store.clone();
        let cancel = cancel.clone();
        tokio::spawn(
            async move {
                let mut every = tokio::time::interval(OPTIMIZE_EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = every.tick() => {}
                    }
                    if let Err(error) = store.optimize_archive().await {
                        warn!(%error, "Failed to refresh the archive's statistics; trying again in an hour.");
                    }
                }
            }
            .in_current_span(),
        )
    };

    let api = match settings.listen {
        Some(addr) => Some(
            Api::start(
                "archive API",
                addr,
                crate::api::router(store.clone()),
                cancel.clone(),
                bound,
            )
            .await?,
        ),
        None => None,
    };

    let consumer = bus.consumer(&queue, "govwire-archive").await?;
    let dead_letters = bus.publisher().await?;
    info!(queue = %queue, "Archive consuming reply events.");
    let handler_store = store.clone();
    let consumed = run_batch_consumer(
        consumer,
        dead_letters,
        cancel.clone(),
        BATCH,
        move |deliveries| {
            let store = handler_store.clone();
            let bodies: Vec<Vec<u8>> = deliveries.iter().map(|d| d.body().to_vec()).collect();
            async move { handle_events(&store, &bodies).await }
        },
    )
    .await;
    if let Some(api) = api {
        // The API stops with the same token; wait for it to finish serving.
        cancel.cancelled().await;
        api.finish().await;
    }
    let _ = optimizer.await;
    consumed?;
    info!("Archive stopped.");
    Ok(())
}

/// Archives a batch of events in one store transaction, answering one
/// outcome per event. Events that are not reply events are poison; if the
/// transaction fails, each event is tried on its own, so one that cannot
/// be stored does not hold back the others.
pub async fn handle_events(store: &Store, bodies: &[Vec<u8>]) -> Vec<Result<(), HandlerError>> {
    let events: Vec<_> = bodies.iter().map(|body| read_reply_event(body)).collect();
    let received_at = Utc::now();
    let inputs: Vec<ArchiveInput<'_>> = events
        .iter()
        .zip(bodies)
        .filter_map(|(event, body)| Some((event.as_ref().ok()?, body)))
        .map(|(event, body)| ArchiveInput {
            event_id: &event.id,
            event_type: &event.event_type,
            reply: &event.data.reply,
            changes: event.data.changes.as_deref(),
            event_time: event.time,
            received_at,
            body: Some(body),
        })
        .collect();
    if inputs.len() > 1 {
        match store.archive_events(&inputs).await {
            Ok(new) => {
                let archived = new.iter().filter(|n| **n).count();
                debug!(
                    events = inputs.len(),
                    archived, "Archived a batch of events."
                );
                return events
                    .into_iter()
                    .map(|event| event.map(|_| ()).map_err(HandlerError::Poison))
                    .collect();
            }
            Err(error) => {
                debug!(%error, events = inputs.len(), "Archiving a batch failed; archiving its events one by one.");
            }
        }
    }
    let mut outcomes = Vec::with_capacity(bodies.len());
    for body in bodies {
        outcomes.push(handle_event(store, body).await);
    }
    outcomes
}

/// Stores one event's reply version, with what an `updated` event says
/// changed. Idempotent on the event id. A
/// `withdrawn` or `restored` event also marks the archived reply withdrawn
/// or active again (`status` in the read API), unless a newer event already
/// set it.
pub async fn handle_event(store: &Store, body: &[u8]) -> Result<(), HandlerError> {
    let event = read_reply_event(body).map_err(HandlerError::Poison)?;
    let span = tracing::info_span!("event", event_id = %event.id, reply_id = %event.subject, portal = %event.portal());
    async {
        let input = ArchiveInput {
            event_id: &event.id,
            event_type: &event.event_type,
            reply: &event.data.reply,
            changes: event.data.changes.as_deref(),
            event_time: event.time,
            received_at: Utc::now(),
            body: Some(body),
        };
        let new = store
            .archive_events(&[input])
            .await
            .map(|new| new.first().copied().unwrap_or(false))
            .map_err(|e| {
                // An unavailable store holds the event until it answers.
                let unavailable = e.is_unavailable();
                HandlerError::transient(anyhow::Error::new(e).context("archiving the event"), unavailable)
            })?;
        if new {
            info!(version = event.data.reply.version, event_type = %event.event_type, "Reply version archived.");
        } else {
            debug!("Event already archived; nothing to do.");
        }
        Ok(())
    }
    .instrument(span)
    .await
}
