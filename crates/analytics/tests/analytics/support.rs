//! The fixture corpus as the events a subscriber receives, and the macro
//! that runs a behaviour on both backends.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_model::event::{PreviousVersion, ReplyEvent};
use govwire_model::{EventType, Reply};

pub(crate) use govwire_store::on_both_backends;

/// When the first corpus event happened; each later one a minute after the
/// one before.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 2, 0, 0).unwrap()
}

/// Every golden record of the fixture corpus as the notifier would publish
/// it: dated as the portal's list dates it, versioned (records sharing an
/// id are successive versions of one reply, in corpus order), with its
/// content hash.
pub fn corpus_records() -> Vec<Reply> {
    let mut versions: BTreeMap<String, u32> = BTreeMap::new();
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|doc| {
            let mut reply = doc.golden()?;
            reply.published_on = Some(doc.published_on);
            let version = versions.entry(reply.id.to_string()).or_insert(0);
            *version += 1;
            reply.version = *version;
            reply.content_sha256 = reply.compute_content_sha256();
            Some(reply)
        })
        .collect()
}

/// The corpus as events: `published` for each first version, `updated` for
/// each later one, then the first two replies withdrawn and the first of
/// them restored.
pub fn corpus_events() -> Vec<ReplyEvent> {
    let records = corpus_records();
    let mut at = start();
    let mut tick = || {
        at += Duration::minutes(1);
        at
    };
    let mut events: Vec<ReplyEvent> = records
        .iter()
        .map(|reply| {
            if reply.version == 1 {
                ReplyEvent::for_reply(EventType::ReplyPublished, reply.clone(), None, None, tick())
            } else {
                let previous = PreviousVersion {
                    version: reply.version - 1,
                    content_sha256: String::new(),
                };
                ReplyEvent::for_reply(
                    EventType::ReplyUpdated,
                    reply.clone(),
                    Some(previous),
                    None,
                    tick(),
                )
            }
        })
        .collect();
    let first = records[0].clone();
    let second = records
        .iter()
        .find(|r| r.id != first.id)
        .expect("the corpus holds two replies")
        .clone();
    events.push(ReplyEvent::withdrawn(
        first.clone(),
        "404 on 3 visits",
        0,
        tick(),
    ));
    events.push(ReplyEvent::withdrawn(second, "404 on 3 visits", 0, tick()));
    events.push(ReplyEvent::restored(first, 1, tick()));
    events
}

/// An event as its bytes on the wire.
pub fn body(event: &ReplyEvent) -> Vec<u8> {
    serde_json::to_vec(event).expect("an event serializes")
}
