//! The notifier daemon.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use govwire_bus::{run_batch_consumer, Bus, HandlerError, Message, Publisher};
use govwire_model::event::{APP_ID, CLOUDEVENTS_CONTENT_TYPE};
use govwire_model::pipeline::{WorkQueue, NOTIFIER_QUEUE, UNROUTED_QUEUE};
use govwire_model::{EventType, PageOutcome, ParsedPage};
use govwire_retry::{Backoff, LogThrottle};
use govwire_store::Store;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn, Instrument};

use crate::decide::{decide, reply_keys};
use crate::sweep::{sweep_once, SweepSettings};

/// The queue the notifier declares before it starts: the one it consumes.
pub const QUEUES: &[WorkQueue] = &[NOTIFIER_QUEUE];
/// The most parsed pages decided in one store transaction: what the
/// consumer's prefetch window holds when pages arrive faster than they are
/// decided.
const BATCH: usize = 64;
/// Outbox rows relayed per sweep; bounded so one sweep never holds a huge batch.
const OUTBOX_BATCH: u32 = 100;
/// Longest wait between two attempts of the outbox relay while it keeps
/// failing (the wait starts at its interval and doubles; the sweep never
/// waits less than its own interval): short enough that events go out
/// within seconds of the store or the broker healing.
const RETRY_CAP: Duration = Duration::from_secs(5);

/// What the notifier needs beyond the bus and the store.
#[derive(Debug, Clone)]
pub struct NotifierSettings {
    /// Time between outbox sweeps when nothing triggers one sooner.
    pub outbox_interval: Duration,
    /// The periodic sweep that decides withdrawals, restorations and section
    /// health.
    pub sweep: SweepSettings,
}

impl Default for NotifierSettings {
    /// The defaults of the `[notifier]` section ([`crate::NotifierConfig`]).
    fn default() -> Self {
        crate::NotifierConfig::default().settings()
    }
}

/// Runs the notifier until `cancel`: consumes parsed pages, records
/// decisions, relays the outbox.
pub async fn run(
    bus: Bus,
    store: Store,
    settings: NotifierSettings,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let queue = bus.declare_stage_queues(QUEUES).await?.remove(0);
    let wake = Arc::new(Notify::new());
    // The relay outlives the consumer briefly so it can drain the outbox.
    let relay_stop = CancellationToken::new();

    let relay = {
        let publisher = bus.publisher().await?;
        let store = store.clone();
        let wake = wake.clone();
        let cancel = relay_stop.clone();
        let interval = settings.outbox_interval;
        let exchange = bus.config().events_exchange.clone();
        tokio::spawn(
            async move { relay_outbox(publisher, exchange, store, wake, interval, cancel).await }
                .in_current_span(),
        )
    };

    let sweeper = {
        let store = store.clone();
        let wake = wake.clone();
        let cancel = cancel.clone();
        let settings = settings.sweep;
        tokio::spawn(
            async move { run_sweeps(store, settings, wake, cancel).await }.in_current_span(),
        )
    };

    let unrouted = {
        let bus = bus.share();
        let cancel = cancel.clone();
        let interval = settings.sweep.interval;
        tokio::spawn(async move { watch_unrouted(bus, interval, cancel).await }.in_current_span())
    };

    let consumer = bus.consumer(&queue, "govwire-notifier").await?;
    let dead_letters = bus.publisher().await?;
    info!(queue = %queue, "Notifier consuming parsed pages.");
    let handler_store = store.clone();
    let handler_wake = wake.clone();
    let consumed = run_batch_consumer(
        consumer,
        dead_letters,
        cancel.clone(),
        BATCH,
        move |deliveries| {
            let store = handler_store.clone();
            let wake = handler_wake.clone();
            let pages: Vec<(Vec<u8>, Option<String>)> = deliveries
                .iter()
                .map(|d| (d.body().to_vec(), d.message_id().map(str::to_owned)))
                .collect();
            async move {
                let outcomes = handle_batch(&store, &pages).await;
                if outcomes.iter().any(Result::is_ok) {
                    wake.notify_one();
                }
                outcomes
            }
        },
    )
    .await;
    // The sweep stops with the same token; wait for the one in flight so its
    // events are committed before the relay's last drain.
    if let Err(e) = sweeper.await {
        error!(error = %e, "Sweep task failed.");
    }
    if let Err(e) = unrouted.await {
        error!(error = %e, "Unrouted-events watch failed.");
    }
    // The consumer has stopped taking work; let the relay drain what was
    // committed, then stop it.
    relay_stop.cancel();
    match relay.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => warn!(error = %format!("{e:#}"), "Outbox relay stopped with an error."),
        Err(e) => error!(error = %e, "Outbox relay task failed."),
    }
    consumed?;
    info!("Notifier stopped.");
    Ok(())
}

/// Decides a batch of parsed pages: the replies among them in one store
/// transaction, the rest (pages that are not replies, poison) one by one,
/// and every page one by one if the batch's transaction fails, so one page
/// that cannot be decided does not hold back the others.
async fn handle_batch(
    store: &Store,
    pages: &[(Vec<u8>, Option<String>)],
) -> Vec<Result<(), HandlerError>> {
    let mut outcomes: Vec<Option<Result<(), HandlerError>>> = pages.iter().map(|_| None).collect();
    let now = Utc::now();
    let mut items = Vec::new();
    let mut decided = Vec::new();
    for (index, (body, _)) in pages.iter().enumerate() {
        let Ok(page) = serde_json::from_slice::<ParsedPage>(body) else {
            continue;
        };
        let PageOutcome::Reply { reply } = &page.outcome else {
            continue;
        };
        let reply = (**reply).clone();
        let keys = reply_keys(&page, &reply);
        items.push((keys, move |known| decide(&page, reply, known, now)));
        decided.push(index);
    }
    if items.len() > 1 {
        match store.apply_replies(items).await {
            Ok(decisions) => {
                for (index, decision) in decided.into_iter().zip(decisions) {
                    log_decision(&decision);
                    outcomes[index] = Some(Ok(()));
                }
            }
            Err(error) => {
                debug!(%error, "Deciding a batch of pages failed; deciding them one by one.");
            }
        }
    }
    let mut answered = Vec::with_capacity(pages.len());
    for ((body, message_id), outcome) in pages.iter().zip(outcomes) {
        answered.push(match outcome {
            Some(outcome) => outcome,
            None => handle(store, body, message_id.as_deref()).await,
        });
    }
    answered
}

/// The log line of a recorded decision.
fn log_decision(decision: &govwire_store::Decision) {
    let reply_id = decision.reply_id.clone().unwrap_or_default();
    match (&decision.new_version, decision.events.first()) {
        (Some(v), Some(ev)) => {
            info!(reply_id = %reply_id, version = v.version, event_id = %ev.event_id, event_type = %ev.event_type, "Reply decision recorded.")
        }
        _ if decision.add_url.is_some() => {
            info!(reply_id = %reply_id, "Known reply seen at a new URL; no event.")
        }
        _ => debug!(reply_id = %reply_id, "Reply unchanged; no event."),
    }
}

async fn handle(store: &Store, body: &[u8], message_id: Option<&str>) -> Result<(), HandlerError> {
    let page: ParsedPage = serde_json::from_slice(body)
        .map_err(|e| HandlerError::Poison(format!("not a ParsedPage: {e}")))?;
    let span = tracing::info_span!("page", portal = %page.portal, section = %page.section, url = %page.url, message_id = message_id.unwrap_or(""));
    async {
        let reply = match &page.outcome {
            PageOutcome::Reply { reply } => (**reply).clone(),
            PageOutcome::NotAReply { reason } => {
                debug!(%reason, "Page is not a reply; nothing to notify.");
                // Decided all the same: the crawler need not hand it on again.
                return store
                    .close_handover(&page.portal, &page.item_id, &page.page_sha256)
                    .await
                    .map_err(|e| store_failure(e, "recording that the page was decided"));
            }
        };
        let keys = reply_keys(&page, &reply);
        let now = Utc::now();
        let page_for_decision = page.clone();
        let decision = store
            .apply_reply(&keys, move |known| {
                decide(&page_for_decision, reply, known, now)
            })
            .await
            .map_err(|e| store_failure(e, "recording the decision"))?;
        log_decision(&decision);
        Ok(())
    }
    .instrument(span)
    .await
}

/// How a store failure settles the message: an unavailable store (down,
/// refusing logins, locked, full) holds it until the store answers, without
/// counting against its delivery limit; any other failure (a conflict with a
/// concurrent writer) requeues it, and if it keeps failing the broker's
/// delivery limit moves it to the dead-letter queue.
fn store_failure(error: govwire_store::StoreError, doing: &'static str) -> HandlerError {
    let unavailable = error.is_unavailable();
    HandlerError::transient(anyhow::Error::new(error).context(doing), unavailable)
}

/// Sweeps every `settings.interval` until `cancel`, waking the relay when a
/// sweep queued events. A failed sweep is tried again after the interval or
/// a backoff growing to [`RETRY_CAP`], whichever is longer; a failure that
/// persists is logged once, then once a minute with a count.
async fn run_sweeps(
    store: Store,
    settings: SweepSettings,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) {
    let interval = settings.interval.max(Duration::from_millis(10));
    let mut log = LogThrottle::default();
    let mut backoff = Backoff::new(interval, RETRY_CAP);
    info!(
        interval_ms = u64::try_from(settings.interval.as_millis()).unwrap_or(u64::MAX),
        withdraw_after_misses = settings.withdrawal.after_misses,
        withdraw_grace_secs = settings.withdrawal.grace.as_secs(),
        "Sweeping for withdrawals and section health."
    );
    let mut wait = Duration::ZERO;
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
        wait = match sweep_once(&store, &settings, Utc::now()).await {
            Ok(report) => {
                if let Some(unlogged) = log.success() {
                    info!(failures = unlogged, "Sweeps work again.");
                }
                if report.changes() > 0 {
                    wake.notify_one();
                }
                backoff.reset();
                interval
            }
            Err(error) => {
                if let Some(failures) = log.failure() {
                    warn!(%error, failures, "Sweep failed; will try again.");
                }
                backoff.next_wait().max(interval)
            }
        };
    }
}

/// Publishes committed outbox rows, oldest first, each confirmed by the
/// broker before it is marked published.
async fn relay_outbox(
    publisher: Publisher,
    exchange: String,
    store: Store,
    wake: Arc<Notify>,
    interval: Duration,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut log = LogThrottle::default();
    let mut backoff = Backoff::new(interval, RETRY_CAP);
    loop {
        match relay_once(&publisher, &exchange, &store).await {
            Ok(n) => {
                if let Some(unlogged) = log.success() {
                    info!(failures = unlogged, "Outbox relay works again.");
                }
                if n > 0 {
                    debug!(published = n, "Outbox relayed.");
                }
                backoff.reset();
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(interval) => {}
                }
            }
            Err(e) => {
                if let Some(failures) = log.failure() {
                    warn!(error = %format!("{e:#}"), failures, "Outbox relay failed; will retry.");
                }
                // Not woken early by new decisions while failing: a retry
                // per decision would be a tight loop through an outage.
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff.next_wait()) => {}
                }
            }
        }
    }
    // Drain once more so everything committed before the stop goes out.
    if let Err(e) = relay_once(&publisher, &exchange, &store).await {
        warn!(error = %format!("{e:#}"), "Final outbox relay failed; the events stay in the outbox for the next start.");
    }
    Ok(())
}

/// Watches the queue that keeps the events no subscriber queue took
/// (`<prefix>.events.unrouted`, the events exchange's alternate exchange)
/// every `interval` until `cancel`: its depth is the gauge
/// `govwire_events_unrouted`, and a rise is logged with how many events
/// went to no subscriber since the look before.
async fn watch_unrouted(bus: Bus, interval: Duration, cancel: CancellationToken) {
    let queue = bus.config().queue_name(UNROUTED_QUEUE);
    let interval = interval.max(Duration::from_millis(10));
    let mut last: Option<u32> = None;
    let mut log = LogThrottle::default();
    loop {
        match bus.queue_message_count(&queue).await {
            Ok(kept) => {
                log.success();
                metrics::gauge!("govwire_events_unrouted").set(f64::from(kept));
                let before = last.unwrap_or(0);
                if kept > before {
                    warn!(
                        queue = %queue,
                        kept,
                        new = kept - before,
                        "Events reached no subscriber queue; they are kept in the unrouted queue, and `govwire replay` can give them to a subscriber added later."
                    );
                }
                last = Some(kept);
            }
            Err(error) if error.is_not_found() => {
                // Deleted by hand (or expired): declared again, so events no
                // subscriber takes are kept from now on.
                match bus.declare_exchanges().await {
                    Ok(()) => {
                        warn!(queue = %queue, "The unrouted queue was missing; declared it again.")
                    }
                    Err(error) => {
                        debug!(queue = %queue, %error, "Cannot declare the unrouted queue again.")
                    }
                }
            }
            Err(error) => {
                if let Some(failures) = log.failure() {
                    debug!(queue = %queue, %error, failures, "Cannot look at the unrouted queue.");
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
    bus.close().await;
}

/// Whether a publish failed only because no queue is bound for a portal
/// event (`degraded` / `recovered`). Reply events stay in the outbox until a
/// subscriber's queue exists, so none is lost; portal events are notices
/// that may have no subscriber at all.
fn is_unheard_portal_event(error: &govwire_bus::BusError, event_type: &str) -> bool {
    matches!(
        error.as_publish(),
        Some(govwire_bus::PublishError::Unroutable { .. })
    ) && matches!(
        EventType::parse(event_type),
        Some(EventType::PortalDegraded | EventType::PortalRecovered)
    )
}

/// One sweep; returns how many events were published.
pub(crate) async fn relay_once(
    publisher: &Publisher,
    exchange: &str,
    store: &Store,
) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let pending = store.pending_outbox(OUTBOX_BATCH).await?;
        if pending.is_empty() {
            return Ok(total);
        }
        let batch = pending.len();
        let messages: Vec<Message> = pending
            .iter()
            .map(|row| Message {
                exchange: exchange.to_string(),
                routing_key: row.routing_key.clone(),
                body: row.body.clone(),
                content_type: CLOUDEVENTS_CONTENT_TYPE.into(),
                message_id: row.event_id.clone(),
                kind: Some(row.event_type.clone()),
                timestamp: Some(row.created_at),
                headers: vec![],
            })
            .collect();
        // Published together (confirms pipelined); marked in order up to
        // the first failure, so the outbox keeps its order: what failed and
        // everything after it is published again on the next try.
        let outcomes = publisher.publish_all(&messages).await;
        let mut confirmed: Vec<&str> = Vec::with_capacity(batch);
        let mut failure = None;
        for (row, outcome) in pending.iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    // DEBUG: "Reply decision recorded." is the reply's INFO line.
                    metrics::counter!("govwire_notifier_events_published_total", "type" => row.event_type.clone()).increment(1);
                    debug!(event_id = %row.event_id, event_type = %row.event_type, routing_key = %row.routing_key, app_id = APP_ID, "Event published.");
                    confirmed.push(&row.event_id);
                }
                Err(e) if is_unheard_portal_event(&e, &row.event_type) => {
                    // No subscriber listens for portal events (the archive
                    // binds reply events only): the event went to no one,
                    // which must not hold back every event queued after it.
                    warn!(event_id = %row.event_id, event_type = %row.event_type, routing_key = %row.routing_key, "No queue is bound for this portal event; recorded as published to no one.");
                    confirmed.push(&row.event_id);
                }
                Err(e) => {
                    failure = Some(anyhow::Error::new(e).context(format!(
                        "publishing event {} ({})",
                        row.event_id, row.routing_key
                    )));
                    break;
                }
            }
        }
        store
            .mark_outbox_published_all(&confirmed, Utc::now())
            .await?;
        total += confirmed.len();
        if let Some(failure) = failure {
            return Err(failure);
        }
        if batch < OUTBOX_BATCH as usize {
            return Ok(total);
        }
    }
}
