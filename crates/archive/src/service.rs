//! The archive daemon.

use std::net::SocketAddr;

use chrono::Utc;
use govwire_bus::{run_consumer, Bus, HandlerError};
use govwire_model::event::ReplyEvent;
use govwire_model::pipeline::{WorkQueue, ARCHIVE_QUEUE};
use govwire_model::EventType;
use govwire_store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, Instrument};

/// The queue the archive declares before it starts: the one it consumes.
pub const QUEUES: &[WorkQueue] = &[ARCHIVE_QUEUE];

/// What the archive needs beyond the bus and the store.
#[derive(Debug, Clone)]
pub struct ArchiveSettings {
    /// Address of the read API; `None` runs the subscriber alone.
    pub listen: Option<SocketAddr>,
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

    let api = match settings.listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for the archive API: {e}"))?;
            let local = listener.local_addr()?;
            info!(address = %local, "Archive API listening.");
            if let Some(tx) = bound {
                let _ = tx.send(local);
            }
            let app = crate::api::router(store.clone());
            let stop = cancel.clone();
            Some(tokio::spawn(
                async move {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move { stop.cancelled().await })
                        .await
                }
                .in_current_span(),
            ))
        }
        None => None,
    };

    let consumer = bus.consumer(&queue, "govwire-archive").await?;
    let dead_letters = bus.publisher().await?;
    info!(queue = %queue, "Archive consuming reply events.");
    let handler_store = store.clone();
    let consumed = run_consumer(consumer, dead_letters, cancel.clone(), move |delivery| {
        let store = handler_store.clone();
        let body = delivery.body().to_vec();
        async move { handle_event(&store, &body).await }
    })
    .await;
    if let Some(api) = api {
        // The API stops with the same token; wait for it to finish serving.
        cancel.cancelled().await;
        match api.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "Archive API stopped with an error."),
            Err(e) => tracing::warn!(error = %e, "Archive API task failed."),
        }
    }
    consumed?;
    info!("Archive stopped.");
    Ok(())
}

/// Stores one event's reply version. Idempotent on the event id. A
/// `withdrawn` or `restored` event also marks the archived reply withdrawn
/// or active again (`status` in the read API), unless a newer event already
/// set it.
pub async fn handle_event(store: &Store, body: &[u8]) -> Result<(), HandlerError> {
    let event: ReplyEvent = serde_json::from_slice(body)
        .map_err(|e| HandlerError::Poison(format!("not a reply CloudEvent: {e}")))?;
    let span = tracing::info_span!("event", event_id = %event.id, reply_id = %event.subject, portal = %event.portal());
    async {
        match event.kind() {
            Some(
                EventType::ReplyPublished
                | EventType::ReplyUpdated
                | EventType::ReplyRestored
                | EventType::ReplyWithdrawn,
            ) => {}
            _ => {
                return Err(HandlerError::Poison(format!(
                    "event type `{}` is not a reply event",
                    event.event_type
                )))
            }
        }
        if event.data.reply.id != event.subject {
            return Err(HandlerError::Poison(format!(
                "event subject `{}` does not match the reply id `{}`",
                event.subject, event.data.reply.id
            )));
        }
        let new = store
            .archive_event_at(
                &event.id,
                &event.event_type,
                &event.data.reply,
                event.time,
                Utc::now(),
            )
            .await
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
