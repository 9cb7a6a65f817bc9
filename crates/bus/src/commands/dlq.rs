//! `govwire dlq list [QUEUE]` and `govwire dlq replay QUEUE [--id ID]`: what
//! is in the dead-letter queues, and messages put back where they failed.
//!
//! A message is dead-lettered when it is poison (the parser cannot read a
//! page, an event breaks the contract) or when it failed for a reason of its
//! own more times than the queue's delivery limit. Nothing in a dead-letter
//! queue is lost: once the cause is fixed (a parser upgrade, a repaired
//! database), a replay hands the messages to their stage again, which is
//! idempotent on the message's id.

use std::io::Write;

use crate::{dead_letter_queue_name, Bus, DeadLetter};
use anyhow::{bail, Context, Result};

use govwire_model::pipeline::QUEUES;

/// The work queues govwire consumes (names after the prefix), in pipeline
/// order; each has a dead-letter queue `<prefix>.<name>.dlq`.
pub fn work_queues() -> impl Iterator<Item = &'static str> {
    QUEUES.iter().map(|q| q.name)
}

/// The dead-letter queue of `queue`: a work queue's short name (`notifier`),
/// its full name (`govwire.notifier`) or the dead-letter queue's own name.
pub fn resolve(bus: &Bus, queue: &str) -> Result<String> {
    let config = bus.config();
    let full = if work_queues().any(|q| q == queue) {
        config.queue_name(queue)
    } else {
        queue.trim_end_matches(".dlq").to_owned()
    };
    let known: Vec<String> = work_queues().map(|q| config.queue_name(q)).collect();
    if !known.contains(&full) {
        bail!(
            "`{queue}` is not a govwire work queue; expected one of {}",
            work_queues().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(dead_letter_queue_name(&full))
}

/// `govwire dlq list`: every dead-letter queue (or one), with a line per
/// message.
pub async fn list(bus: &Bus, queue: Option<&str>, mut out: impl Write) -> Result<()> {
    let dlqs = match queue {
        Some(queue) => vec![resolve(bus, queue)?],
        None => work_queues()
            .map(|q| dead_letter_queue_name(&bus.config().queue_name(q)))
            .collect(),
    };
    for dlq in dlqs {
        let letters = match bus.dead_letters(&dlq).await {
            Ok(letters) => letters,
            // A stage that never ran has not declared its queues.
            Err(error) if queue.is_none() && !bus.is_connected() => return Err(error.into()),
            Err(_) if queue.is_none() => {
                writeln!(out, "{dlq}: not declared (the stage has not run)")?;
                continue;
            }
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {dlq}"));
            }
        };
        writeln!(out, "{dlq}: {} message(s)", letters.len())?;
        for letter in &letters {
            writeln!(out, "  {}", describe(letter))?;
        }
    }
    Ok(())
}

/// `govwire dlq replay`: the messages of one dead-letter queue (or the one
/// with `id`) put back into the queue they failed in.
pub async fn replay(bus: &Bus, queue: &str, id: Option<&str>, mut out: impl Write) -> Result<()> {
    let dlq = resolve(bus, queue)?;
    let replay = bus
        .replay_dead_letters(&dlq, id)
        .await
        .with_context(|| format!("cannot replay {dlq}"))?;
    for letter in &replay.replayed {
        writeln!(out, "replayed {}", describe(letter))?;
    }
    for letter in &replay.stranded {
        writeln!(
            out,
            "left (names no queue to go back to) {}",
            describe(letter)
        )?;
    }
    writeln!(
        out,
        "{dlq}: {} replayed, {} left",
        replay.replayed.len(),
        replay.left + replay.stranded.len()
    )?;
    if let Some(id) = id {
        if replay.replayed.is_empty() {
            bail!("no message with id `{id}` in {dlq}");
        }
    }
    Ok(())
}

/// One line for a dead letter.
fn describe(letter: &DeadLetter) -> String {
    format!(
        "{} {} from {} ({}{}){}",
        letter.message_id.as_deref().unwrap_or("-"),
        letter.kind.as_deref().unwrap_or("-"),
        letter.queue.as_deref().unwrap_or("?"),
        if letter.poison {
            "poison: "
        } else {
            "broker: "
        },
        letter.reason,
        letter
            .published_at
            .map(|at| format!(", published {}", at.to_rfc3339()))
            .unwrap_or_default(),
    )
}
