//! The analytics daemon.

use std::net::SocketAddr;

use chrono::Utc;
use govwire_bus::{run_batch_consumer, Bus, HandlerError};
use govwire_model::event::read_reply_event;
use govwire_model::pipeline::{WorkQueue, ANALYTICS_QUEUE};
use govwire_serve::Api;
use govwire_store::{AnalyticsEvent, Store};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, Instrument};

use crate::words::reply_words;

/// The queue analytics declares before it starts: the one it consumes.
pub const QUEUES: &[WorkQueue] = &[ANALYTICS_QUEUE];

/// What analytics needs beyond the bus and the store.
#[derive(Debug, Clone)]
pub struct AnalyticsSettings {
    /// Address of the HTTP API (`/analytics`, `/report`); `None` runs the
    /// subscriber alone.
    pub listen: Option<SocketAddr>,
}

/// The `[analytics]` section of `govwire.toml`. Every key has a default,
/// the value the shipped file documents. [`AnalyticsConfig::settings`]
/// turns it into what analytics runs with; which database it opens is the
/// binary's to decide (`store_url`, or the shared store's when empty).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsConfig {
    /// Address of the HTTP API ([`AnalyticsSettings::listen`]). Default
    /// `127.0.0.1:8089`: reachable from the host only.
    pub listen: SocketAddr,
    /// Analytics' own database, which may hold a password; empty (the
    /// default) for the same database as `store.url`. Serialized redacted.
    #[serde(serialize_with = "govwire_store::serialize_redacted_url")]
    pub store_url: SecretString,
}

impl Default for AnalyticsConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8089)),
            store_url: SecretString::from(String::new()),
        }
    }
}

impl AnalyticsConfig {
    /// The settings as analytics takes them: the HTTP API on `listen`.
    pub fn settings(&self) -> AnalyticsSettings {
        AnalyticsSettings {
            listen: Some(self.listen),
        }
    }
}

/// Runs analytics until `cancel`: the subscriber and, if configured, the
/// HTTP API. Returns the bound API address through `bound` once listening.
pub async fn run(
    bus: Bus,
    store: Store,
    settings: AnalyticsSettings,
    cancel: CancellationToken,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> anyhow::Result<()> {
    let queue = bus.declare_stage_queues(QUEUES).await?.remove(0);

    let api = match settings.listen {
        Some(addr) => Some(
            Api::start(
                "analytics API",
                addr,
                crate::api::router(store.clone()),
                cancel.clone(),
                bound,
            )
            .await?,
        ),
        None => None,
    };

    let consumer = bus.consumer(&queue, "govwire-analytics").await?;
    let dead_letters = bus.publisher().await?;
    info!(queue = %queue, "Analytics consuming reply events.");
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
    consumed?;
    info!("Analytics stopped.");
    Ok(())
}

/// The most events counted in one store transaction: what the consumer's
/// prefetch window holds when events arrive faster than they are counted.
const BATCH: usize = 64;

/// Counts a batch of reply events in one store transaction, answering one
/// outcome per event; events that are not countable reply events, and
/// every event if the transaction fails, are handled one by one
/// ([`handle_event`]), so one that cannot be counted does not hold back
/// the others.
pub async fn handle_events(store: &Store, bodies: &[Vec<u8>]) -> Vec<Result<(), HandlerError>> {
    let events: Vec<_> = bodies
        .iter()
        .map(|body| {
            read_reply_event(body)
                .ok()
                .filter(|e| e.data.reply.version != 0)
        })
        .collect();
    let words: Vec<_> = events
        .iter()
        .map(|e| e.as_ref().map(|e| reply_words(&e.data.reply)))
        .collect();
    let inputs: Vec<AnalyticsEvent<'_>> = events
        .iter()
        .zip(&words)
        .filter_map(|(event, words)| {
            let (event, words) = (event.as_ref()?, words.as_ref()?);
            Some(AnalyticsEvent {
                event_id: &event.id,
                event_type: &event.event_type,
                time: event.time,
                reply: &event.data.reply,
                title_words: words,
            })
        })
        .collect();
    let mut counted = false;
    if inputs.len() > 1 {
        match store.apply_analytics_events(&inputs, Utc::now()).await {
            Ok(new) => {
                counted = true;
                debug!(
                    events = inputs.len(),
                    new = new.iter().filter(|n| **n).count(),
                    "Counted a batch of events."
                );
            }
            Err(error) => {
                debug!(%error, events = inputs.len(), "Counting a batch failed; counting its events one by one.");
            }
        }
    }
    let mut outcomes = Vec::with_capacity(bodies.len());
    for (body, event) in bodies.iter().zip(&events) {
        outcomes.push(if counted && event.is_some() {
            Ok(())
        } else {
            handle_event(store, body).await
        });
    }
    outcomes
}

/// Counts one reply event. Idempotent on the event id: an event applied
/// before changes nothing. A message that is not a reply event, whose
/// subject is not its reply's id, or whose reply has no version is poison;
/// a store that fails is a transient error (an unavailable one holds the
/// event until it answers).
pub async fn handle_event(store: &Store, body: &[u8]) -> Result<(), HandlerError> {
    let event = read_reply_event(body).map_err(HandlerError::Poison)?;
    let span = tracing::info_span!("event", event_id = %event.id, reply_id = %event.subject, portal = %event.portal());
    async {
        let reply = &event.data.reply;
        if reply.version == 0 {
            return Err(HandlerError::Poison(format!(
                "reply `{}` carries no version (0 is the parser's, before the notifier versions it)",
                reply.id
            )));
        }
        let title_words = reply_words(reply);
        let new = store
            .apply_analytics_event(
                &AnalyticsEvent {
                    event_id: &event.id,
                    event_type: &event.event_type,
                    time: event.time,
                    reply,
                    title_words: &title_words,
                },
                Utc::now(),
            )
            .await
            .map_err(|e| {
                let unavailable = e.is_unavailable();
                HandlerError::transient(
                    anyhow::Error::new(e).context("counting the event"),
                    unavailable,
                )
            })?;
        if new {
            info!(version = reply.version, event_type = %event.event_type, "Reply event counted.");
        } else {
            debug!("Event already counted; nothing to do.");
        }
        Ok(())
    }
    .instrument(span)
    .await
}
