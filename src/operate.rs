//! The operator's inspection commands: `govwire check-config` (is the
//! configuration usable, and with `--connect` do the broker and the stores
//! answer) and `govwire status` (what each section and queue is doing).
//! They print for a person and return an error when something they check
//! does not answer.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use govwire_model::text::span_in_words;
use govwire_store::SectionHealth;

use crate::config::ConfigSource;
use crate::services;

/// `govwire status`: per portal and section, the last poll and its
/// outcome, the last new item and reply, the degraded state; per queue, its
/// depth and dead letters.
pub async fn status(config_path: &Path) -> Result<()> {
    let plan = services::plan(config_path, &BTreeMap::new())?;
    let config = &plan.config;
    let mut failed = false;
    println!("govwire status, {}", config_path.display());
    match sections_status(&plan).await {
        Ok(lines) => lines.iter().for_each(|line| println!("{line}")),
        Err(e) => {
            failed = true;
            println!("store: {e:#}");
        }
    }

    let bus_config = config.bus();
    match govwire_bus::Bus::connect(&bus_config, "status").await {
        Ok(bus) => {
            println!("queues (RabbitMQ at {}):", answering(&bus));
            for queue in govwire_model::pipeline::QUEUES {
                let name = bus_config.queue_name(queue.name);
                let dlq = govwire_bus::dead_letter_queue_name(&name);
                let depth = |count: Result<u32, govwire_bus::BusError>| match count {
                    Ok(n) => n.to_string(),
                    Err(_) => "not declared".to_owned(),
                };
                println!(
                    "  {name}: {} waiting, {} dead letters",
                    depth(bus.queue_message_count(&name).await),
                    depth(bus.queue_message_count(&dlq).await)
                );
            }
            bus.close().await;
        }
        Err(e) => {
            failed = true;
            println!(
                "RabbitMQ at {} does not answer: {e}",
                bus_config.redacted_url()
            );
        }
    }
    if failed {
        bail!("the store or the broker did not answer");
    }
    Ok(())
}

/// `govwire check-config`: the configuration and profiles loaded, the
/// settings still at a placeholder, and with `--connect` whether RabbitMQ
/// and each store answer.
pub async fn check_config(
    path: &Path,
    source: ConfigSource,
    base_urls: &BTreeMap<String, String>,
    connect: bool,
) -> Result<()> {
    let plan = services::plan(path, base_urls)?;
    println!("configuration OK: {} ({source})", path.display());
    for (profile, base) in &plan.portals {
        println!(
            "portal {}: {} section(s), base URL {}",
            profile.id,
            profile.sections.len(),
            base.as_deref().unwrap_or(&profile.base_url)
        );
    }
    for warning in plan.config.warnings() {
        println!("warning: {warning}");
    }
    if !connect {
        return Ok(());
    }
    let mut failed = 0;
    let bus_config = plan.config.bus();
    match govwire_bus::Bus::connect(&bus_config, "check-config").await {
        Ok(bus) => {
            println!("RabbitMQ at {} answers", answering(&bus));
            bus.close().await;
        }
        Err(e) => {
            failed += 1;
            println!(
                "RabbitMQ at {} does not answer: {e}",
                bus_config.redacted_url()
            );
        }
    }
    for (what, url) in plan.config.store_urls() {
        let shown = govwire_store::redact_url(secrecy::ExposeSecret::expose_secret(&url));
        match services::open_store(url).await {
            Ok(store) => {
                println!("{what} store at {shown} answers");
                store.close().await;
            }
            Err(e) => {
                failed += 1;
                println!("{what} store at {shown}: {e:#}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of the services the configuration names did not answer");
    }
    Ok(())
}

/// A time as the status shows it: `2026-12-07T02:15:00Z (14 minutes ago)`.
fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!(
        "{} ({} ago)",
        at.to_rfc3339_opts(SecondsFormat::Secs, true),
        span_in_words((now - at).to_std().unwrap_or_default())
    )
}

/// The status lines of every portal and section the configuration names,
/// from the store.
async fn sections_status(plan: &services::RunPlan) -> Result<Vec<String>> {
    let store = services::open_store(plan.config.store.url.clone()).await?;
    let read = async {
        Ok::<_, govwire_store::StoreError>((
            store.all_section_health().await?,
            store.last_new_items().await?,
            store.last_new_replies().await?,
        ))
    }
    .await;
    store.close().await;
    let (health, items, replies) = read?;
    let now = Utc::now();
    let mut lines = Vec::new();
    for (profile, _) in &plan.portals {
        let portal = profile.id.as_str();
        lines.push(match replies.iter().find(|(p, _, _)| p == portal) {
            Some((_, at, count)) => {
                format!(
                    "portal {portal}: {count} replies, the last new one {}",
                    ago(*at, now)
                )
            }
            None => format!("portal {portal}: no reply yet"),
        });
        for section in &profile.sections {
            let id = section.id.as_str();
            let h = health
                .iter()
                .find(|h| h.portal == portal && h.section == id);
            lines.push(format!("  section {id}: {}", poll_summary(h, now)));
            if let Some((_, _, at)) = items.iter().find(|(p, s, _)| p == portal && s == id) {
                lines.push(format!("    last new item listed {}", ago(*at, now)));
            }
            lines.push(match h.and_then(|h| Some((h.degraded_at?, h))) {
                Some((at, h)) => format!(
                    "    DEGRADED since {}: {}",
                    ago(at, now),
                    h.degraded_reason.as_deref().unwrap_or("no reason recorded")
                ),
                None => "    not degraded".to_owned(),
            });
        }
    }
    Ok(lines)
}

/// A section's last poll in words: never, failed (how often, for how long,
/// why), or what it listed.
fn poll_summary(health: Option<&SectionHealth>, now: DateTime<Utc>) -> String {
    let Some((h, at)) = health.and_then(|h| Some((h, h.last_poll_at?))) else {
        return "never polled".to_owned();
    };
    if h.failed_polls == 0 {
        let listed = h
            .last_listed
            .map_or("nothing yet".to_owned(), |n| n.to_string());
        return format!("last poll {}: listed {listed}", ago(at, now));
    }
    let span = h
        .failing_since
        .map(|since| {
            format!(
                " over {}",
                span_in_words((now - since).to_std().unwrap_or_default())
            )
        })
        .unwrap_or_default();
    format!(
        "last poll {}: failed ({} in a row{span}): {}",
        ago(at, now),
        h.failed_polls,
        h.last_error.as_deref().unwrap_or("no cause recorded")
    )
}

/// Where the broker answered: its URL, or of a cluster's addresses the node
/// the connection reached and all the addresses (redacted).
fn answering(bus: &govwire_bus::Bus) -> String {
    let config = bus.config();
    if config.url.len() == 1 {
        config.redacted_url()
    } else {
        format!("{} (of {})", bus.node_url(), config.redacted_url())
    }
}
