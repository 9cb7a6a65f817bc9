//! The operator's commands: `govwire alerts test` shows whether a rule
//! matches an event and what would be sent, without sending anything;
//! `govwire alerts list` shows the rules, their sinks and their last
//! deliveries.

use std::io::Write;

use govwire_store::{DeliveryStatus, Store};

use crate::{Alerts, Event, Preview, Rule};

/// Writes whether `rule` matches `event` and, if it does, what each of its
/// sinks would receive. Returns whether it matched.
pub fn test(
    alerts: &Alerts,
    rule: &Rule,
    event: &Event,
    mut out: impl Write,
) -> anyhow::Result<bool> {
    writeln!(
        out,
        "event {} ({}, {})",
        event.id(),
        event.type_name(),
        event.subject()
    )?;
    let previews = alerts.preview(rule, event);
    if !rule.matches(event) {
        writeln!(
            out,
            "rule `{}` does not match: nothing would be sent",
            rule.name
        )?;
        return Ok(false);
    }
    writeln!(
        out,
        "rule `{}` matches: {} sink(s) would receive it (nothing was sent)",
        rule.name,
        previews.len()
    )?;
    for (sink, preview) in previews {
        match preview {
            Preview::Webhook { url, body } => {
                writeln!(out, "\n--- sink `{sink}`: webhook POST {url}")?;
                let pretty = serde_json::from_str::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(body);
                writeln!(out, "{pretty}")?;
            }
            Preview::Email { to, letter } => {
                writeln!(out, "\n--- sink `{sink}`: email to {}", to.join(", "))?;
                writeln!(out, "Subject: {}\n\n{}", letter.subject, letter.text)?;
            }
            Preview::Log { summary } => {
                writeln!(out, "\n--- sink `{sink}`: log line\n{summary}")?;
            }
        }
    }
    Ok(true)
}

/// Writes every rule with its sinks, its delivery counts and its last
/// `recent` deliveries (from `store`, when it could be opened).
pub async fn list(
    alerts: &Alerts,
    store: Option<&Store>,
    recent: u32,
    mut out: impl Write,
) -> anyhow::Result<()> {
    if alerts.rules().is_empty() {
        writeln!(
            out,
            "no rules: add [[alerts.rules]] to the configuration or to alerts.toml beside it"
        )?;
        return Ok(());
    }
    let counts = match store {
        Some(store) => store.alert_delivery_counts().await?,
        None => Vec::new(),
    };
    for rule in alerts.rules() {
        let conditions = toml::to_string(&Conditions(rule)).unwrap_or_default();
        writeln!(out, "rule `{}` → {}", rule.name, rule.sinks.join(", "))?;
        let mut lines = conditions
            .lines()
            .filter(|l| !l.trim().is_empty())
            .peekable();
        if lines.peek().is_none() {
            writeln!(out, "    (no condition: every event matches)")?;
        }
        for line in lines {
            writeln!(out, "    {line}")?;
        }
        let mine: Vec<String> = counts
            .iter()
            .filter(|(r, _, _)| *r == rule.name)
            .map(|(_, status, n)| format!("{n} {}", status_word(*status)))
            .collect();
        if store.is_some() {
            writeln!(
                out,
                "  deliveries: {}",
                if mine.is_empty() {
                    "none yet".to_string()
                } else {
                    mine.join(", ")
                }
            )?;
        }
        if let Some(store) = store {
            for d in store.recent_alert_deliveries(&rule.name, recent).await? {
                let error = d
                    .last_error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "    {}  {:<8} {:<10} {} {}  attempts {}{error}",
                    d.decided_at.format("%Y-%m-%d %H:%M:%S"),
                    status_word(d.status),
                    d.sink,
                    d.event_type.trim_start_matches("govwire."),
                    d.subject,
                    d.attempts
                )?;
            }
        }
    }
    if store.is_none() {
        writeln!(
            out,
            "(the store could not be opened: deliveries are not shown)"
        )?;
    }
    Ok(())
}

fn status_word(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Sent => "sent",
        DeliveryStatus::Failed => "failed",
        DeliveryStatus::Held => "held",
        DeliveryStatus::Digested => "digested",
    }
}

/// A rule's conditions, without its name and sinks, for the listing.
struct Conditions<'a>(&'a Rule);

impl serde::Serialize for Conditions<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut value = serde_json::to_value(self.0).map_err(serde::ser::Error::custom)?;
        if let Some(map) = value.as_object_mut() {
            map.remove("name");
            map.remove("sinks");
            map.retain(|_, v| match v {
                serde_json::Value::Null => false,
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => o
                    .values()
                    .any(|v| !matches!(v, serde_json::Value::Array(a) if a.is_empty())),
                _ => true,
            });
        }
        value.serialize(s)
    }
}
