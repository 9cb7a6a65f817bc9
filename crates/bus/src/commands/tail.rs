//! `govwire tail`: prints events as they arrive on the events exchange, one
//! readable line each, or the raw CloudEvent JSON with `--json`.

use std::io::Write;

use crate::Bus;
use anyhow::Result;
use tokio_util::sync::CancellationToken;

/// Prints events matching `binding` until `cancel` (or `limit` events).
pub async fn run(
    bus: Bus,
    binding: &str,
    json: bool,
    limit: Option<u64>,
    cancel: CancellationToken,
    mut out: impl Write,
) -> Result<()> {
    bus.declare_exchanges().await?;
    let mut consumer = bus.tail(binding).await?;
    // A banner on stderr, so a person (or a script) knows the queue is bound
    // and nothing published from now on will be missed.
    eprintln!(
        "Following {} ({binding}); Ctrl-C to stop.",
        bus.config().events_exchange
    );
    let mut seen = 0u64;
    loop {
        let delivery = tokio::select! {
            _ = cancel.cancelled() => break,
            d = consumer.next() => d,
        };
        let Some(delivery) = delivery else { break };
        let delivery = delivery?;
        let line = if json {
            String::from_utf8_lossy(delivery.body()).into_owned()
        } else {
            describe(delivery.body(), delivery.routing_key())
        };
        writeln!(out, "{line}")?;
        out.flush()?;
        delivery.ack().await?;
        seen += 1;
        if limit.is_some_and(|l| seen >= l) {
            break;
        }
    }
    bus.close().await;
    Ok(())
}

/// One readable line for an event body.
pub fn describe(body: &[u8], routing_key: &str) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return format!("{routing_key}  (not JSON, {} bytes)", body.len());
    };
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or("")
            .to_string()
    };
    let time = s("/time");
    let kind = s("/type");
    let subject = s("/subject");
    let title = s("/data/reply/title");
    let version = v.pointer("/data/reply/version").and_then(|x| x.as_u64());
    let mut line = format!("{time}  {kind:<26} {subject}");
    if let Some(version) = version {
        line.push_str(&format!("  v{version}"));
    }
    if !title.is_empty() {
        line.push_str(&format!("  {title}"));
    }
    if let Some(changes) = v.pointer("/data/changes").and_then(|c| c.as_array()) {
        let fields: Vec<&str> = changes
            .iter()
            .filter_map(|c| c.get("field").and_then(|f| f.as_str()))
            .collect();
        line.push_str(&format!("  changed: {}", fields.join(", ")));
    }
    if let Some(reason) = v.pointer("/data/reason").and_then(|r| r.as_str()) {
        line.push_str(&format!("  reason: {reason}"));
    }
    line
}
