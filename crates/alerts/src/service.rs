//! The alerts daemon: consumes `govwire.events` (queue `<prefix>.alerts`,
//! bound to every reply and portal event), matches each event against the
//! rules, and delivers it to each matching rule's sinks.
//!
//! For each (rule, event, sink) the store records one outcome before the
//! event is acknowledged; a delivery recorded as sent (or held for a digest,
//! or digested) is never made again, so a redelivered event sends nothing
//! twice. A crash between a webhook's answer and the record may repeat that
//! webhook once, with the same idempotency key. A delivery that failed after
//! its retries is recorded as failed and the event goes to the dead-letter
//! queue with the reason; replaying it retries only what failed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use govwire_bus::{run_consumer, Bus, HandlerError};
use govwire_model::pipeline::{WorkQueue, ALERTS_QUEUE};
use govwire_model::settings::ConfigError;
use govwire_store::{AlertDelivery, DeliveryStatus, Store, StoreError};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn, Instrument};

use crate::email::{Email, Letter};
use crate::message::{letter, log_delivery, summary, webhook_body, Digest};
use crate::webhook::{Outcome, Webhook};
use crate::{AlertsConfig, Event, Rule, SinkKind};

/// The queue the alerts subscriber declares before it starts: the one it
/// consumes.
pub const QUEUES: &[WorkQueue] = &[ALERTS_QUEUE];

/// One configured sink, ready to deliver.
#[derive(Debug, Clone)]
pub enum Sink {
    /// An HTTP POST.
    Webhook(Webhook),
    /// A message over SMTP.
    Email(Email),
    /// A log line.
    Log,
}

/// What a delivery would be, shown by `govwire alerts test`.
#[derive(Debug, Clone)]
pub enum Preview {
    /// The webhook's target (without credentials or query) and its body.
    Webhook {
        /// Where it would go.
        url: String,
        /// The JSON body.
        body: String,
    },
    /// The email's recipients and the message.
    Email {
        /// Who would receive it.
        to: Vec<String>,
        /// The message.
        letter: Letter,
    },
    /// The log line's summary.
    Log {
        /// The summary the line carries.
        summary: String,
    },
}

/// The rules and their sinks, as the subscriber runs them.
#[derive(Debug, Clone)]
pub struct Alerts {
    rules: Vec<Rule>,
    sinks: BTreeMap<String, Sink>,
    client: reqwest::Client,
    digest_check: Duration,
}

fn store_error(e: StoreError, doing: &'static str) -> HandlerError {
    let unavailable = e.is_unavailable();
    HandlerError::transient(anyhow::Error::new(e).context(doing), unavailable)
}

impl Alerts {
    /// Checks `config` and builds its sinks.
    pub fn from_config(config: &AlertsConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut sinks = BTreeMap::new();
        for sink in &config.sinks {
            let built = match sink.kind {
                SinkKind::Webhook => Sink::Webhook(sink.webhook().ok_or_else(|| ConfigError {
                    key: "alerts.sinks.url",
                    message: format!("sink `{}`: not a usable webhook", sink.name),
                })?),
                SinkKind::Email => Sink::Email(sink.email().ok_or_else(|| ConfigError {
                    key: "alerts.sinks.host",
                    message: format!("sink `{}`: not a usable email sink", sink.name),
                })?),
                SinkKind::Log => Sink::Log,
            };
            sinks.insert(sink.name.clone(), built);
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("govwire-alerts/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError {
                key: "alerts.sinks",
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            rules: config.rules.clone(),
            sinks,
            client,
            digest_check: Duration::from_secs(config.digest_check_secs.max(1)),
        })
    }

    /// The rules, in the order they are configured.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// What `rule` would deliver for `event` to each of its sinks, without
    /// sending anything; empty when the rule does not match.
    pub fn preview(&self, rule: &Rule, event: &Event) -> Vec<(String, Preview)> {
        if !rule.matches(event) {
            return Vec::new();
        }
        rule.sinks
            .iter()
            .filter_map(|name| {
                let preview = match self.sinks.get(name)? {
                    Sink::Webhook(w) => Preview::Webhook {
                        url: w.shown_url(),
                        body: String::from_utf8_lossy(&webhook_body(&rule.name, event))
                            .into_owned(),
                    },
                    Sink::Email(e) => Preview::Email {
                        to: e.to.iter().map(|m| m.to_string()).collect(),
                        letter: letter(&rule.name, event),
                    },
                    Sink::Log => Preview::Log {
                        summary: summary(event),
                    },
                };
                Some((name.clone(), preview))
            })
            .collect()
    }

    /// Handles one event body: delivers it to the sinks of every rule it
    /// matches, recording each outcome, as the module says.
    pub async fn handle_event(&self, store: &Store, body: &[u8]) -> Result<(), HandlerError> {
        let event = Event::from_json(body).map_err(HandlerError::Poison)?;
        let span = tracing::info_span!("event", event_id = %event.id(), subject = %event.subject(), portal = %event.portal());
        self.deliver_all(store, &event).instrument(span).await
    }

    async fn deliver_all(&self, store: &Store, event: &Event) -> Result<(), HandlerError> {
        let mut failures = Vec::new();
        for rule in self.rules.iter().filter(|r| r.matches(event)) {
            for sink_name in &rule.sinks {
                if let Some(failure) = self.deliver_one(store, rule, sink_name, event).await? {
                    failures.push(failure);
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(HandlerError::GaveUp(failures.join("; ")))
        }
    }

    /// Delivers `event` for `rule` to one sink unless that was done; returns
    /// the failure, if the delivery failed for good.
    async fn deliver_one(
        &self,
        store: &Store,
        rule: &Rule,
        sink_name: &str,
        event: &Event,
    ) -> Result<Option<String>, HandlerError> {
        let Some(sink) = self.sinks.get(sink_name) else {
            return Ok(None);
        };
        let done = store
            .alert_delivery(&rule.name, event.id(), sink_name)
            .await
            .map_err(|e| store_error(e, "reading the alert delivery"))?;
        if let Some(done) = done.filter(|d| d.status != DeliveryStatus::Failed) {
            debug!(rule = %rule.name, sink = sink_name, status = ?done.status, "Already delivered; nothing to do.");
            return Ok(None);
        }
        let now = Utc::now();
        let record = |status, attempts, last_error: Option<String>| AlertDelivery {
            rule: rule.name.clone(),
            event_id: event.id().to_string(),
            sink: sink_name.to_string(),
            event_type: event.type_name().to_string(),
            subject: event.subject().to_string(),
            status,
            attempts,
            last_error,
            decided_at: now,
            summary: None,
            event: None,
        };
        if let Some(limit) = rule.max_per_hour {
            let sent = store
                .alert_deliveries_sent_since(&rule.name, sink_name, now - TimeDelta::hours(1))
                .await
                .map_err(|e| store_error(e, "counting the rule's deliveries"))?;
            if sent >= u64::from(limit) {
                let held = AlertDelivery {
                    summary: Some(summary(event)),
                    event: Some(event.to_json().to_string()),
                    ..record(DeliveryStatus::Held, 0, None)
                };
                store
                    .record_alert_delivery(&held)
                    .await
                    .map_err(|e| store_error(e, "holding the alert for its digest"))?;
                metrics::counter!("govwire_alert_deliveries_total", "sink" => sink_name.to_string(), "outcome" => "held").increment(1);
                info!(rule = %rule.name, sink = sink_name, limit, "Rule over its rate limit; alert held for the hour's digest.");
                return Ok(None);
            }
        }
        let outcome = match sink {
            Sink::Webhook(webhook) => {
                webhook
                    .deliver(
                        &self.client,
                        &rule.name,
                        event.id(),
                        &webhook_body(&rule.name, event),
                    )
                    .await
            }
            Sink::Email(email) => email.deliver(&letter(&rule.name, event)).await,
            Sink::Log => {
                log_delivery(&rule.name, event);
                Outcome::Sent { attempts: 1 }
            }
        };
        let (delivery, failure) = match outcome {
            Outcome::Sent { attempts } => {
                (record(DeliveryStatus::Sent, attempts.max(1), None), None)
            }
            Outcome::Failed { attempts, error } => {
                let failure = format!("rule `{}`, sink `{sink_name}`: {error}", rule.name);
                (
                    record(DeliveryStatus::Failed, attempts.max(1), Some(error)),
                    Some(failure),
                )
            }
        };
        store
            .record_alert_delivery(&delivery)
            .await
            .map_err(|e| store_error(e, "recording the alert delivery"))?;
        // Sinks are named in the configuration: a bounded label.
        let outcome = if failure.is_none() {
            "delivered"
        } else {
            "failed"
        };
        metrics::counter!("govwire_alert_deliveries_total", "sink" => sink_name.to_string(), "outcome" => outcome).increment(1);
        match &failure {
            None => {
                info!(rule = %rule.name, sink = sink_name, attempts = delivery.attempts, "Alert delivered.")
            }
            Some(reason) => {
                error!(rule = %rule.name, sink = sink_name, attempts = delivery.attempts, reason = %reason, "Alert delivery failed.")
            }
        }
        Ok(failure)
    }

    /// Sends the digests that are due: the matches held in hours before
    /// `now`'s, one digest per rule and sink. Returns how many went out. A
    /// digest that cannot be sent stays held and is tried at the next look.
    pub async fn send_due_digests(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let hour = now.duration_trunc(TimeDelta::hours(1)).unwrap_or(now);
        let held = store.held_alert_deliveries(hour).await?;
        let mut groups: BTreeMap<(String, String), Vec<AlertDelivery>> = BTreeMap::new();
        for d in held {
            groups
                .entry((d.rule.clone(), d.sink.clone()))
                .or_default()
                .push(d);
        }
        let mut sent = 0;
        for ((rule, sink_name), items) in groups {
            let Some(sink) = self
                .rule(&rule)
                .filter(|r| r.sinks.contains(&sink_name))
                .and(self.sinks.get(&sink_name))
            else {
                warn!(rule = %rule, sink = %sink_name, held = items.len(), "Held alerts of a rule or sink no longer configured; dropping them.");
                store.mark_alert_digest(&rule, &sink_name, hour).await?;
                continue;
            };
            let digest = Digest {
                rule: rule.clone(),
                since: items[0].decided_at,
                summaries: items.iter().filter_map(|d| d.summary.clone()).collect(),
                events: items
                    .iter()
                    .filter_map(|d| d.event.as_deref())
                    .filter_map(|e| serde_json::from_str(e).ok())
                    .collect(),
            };
            let outcome = match sink {
                Sink::Webhook(webhook) => {
                    webhook
                        .deliver(&self.client, &rule, &digest.key(), &digest.webhook_body())
                        .await
                }
                Sink::Email(email) => email.deliver(&digest.letter()).await,
                Sink::Log => {
                    info!(rule = %rule, matches = digest.summaries.len(), summaries = ?digest.summaries, "Alert digest.");
                    Outcome::Sent { attempts: 1 }
                }
            };
            match outcome {
                Outcome::Sent { .. } => {
                    let marked = store.mark_alert_digest(&rule, &sink_name, hour).await?;
                    info!(rule = %rule, sink = %sink_name, matches = marked, "Alert digest delivered.");
                    sent += 1;
                }
                Outcome::Failed { error, .. } => {
                    warn!(rule = %rule, sink = %sink_name, error = %error, "Alert digest not delivered; trying again later.");
                }
            }
        }
        Ok(sent)
    }
}

/// Runs the alerts subscriber until `cancel`: the consumer, and a look at
/// the held matches every `digest_check_secs`.
pub async fn run(
    bus: Bus,
    store: Store,
    alerts: Alerts,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let queue = bus.declare_stage_queues(QUEUES).await?.remove(0);
    let consumer = bus.consumer(&queue, "govwire-alerts").await?;
    let dead_letters = bus.publisher().await?;
    info!(queue = %queue, rules = alerts.rules.len(), sinks = alerts.sinks.len(), "Alerts consuming events.");

    let digests_stop = cancel.child_token();
    let digests = {
        let alerts = alerts.clone();
        let store = store.clone();
        let cancel = digests_stop.clone();
        tokio::spawn(
            async move {
                let mut tick = tokio::time::interval(alerts.digest_check);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tick.tick() => {}
                    }
                    if let Err(e) = alerts.send_due_digests(&store, Utc::now()).await {
                        warn!(error = %e, "Cannot look at held alerts; trying again later.");
                    }
                }
            }
            .in_current_span(),
        )
    };

    let consumed = run_consumer(consumer, dead_letters, cancel.clone(), move |delivery| {
        let store = store.clone();
        let alerts = alerts.clone();
        let body = delivery.body().to_vec();
        async move { alerts.handle_event(&store, &body).await }
    })
    .await;
    digests_stop.cancel();
    let _ = digests.await;
    consumed?;
    info!("Alerts stopped.");
    Ok(())
}
