//! Shared arrangements: the real reply as a record, the keys of a page, a
//! decision function shaped like the notifier's, and the macro that runs a
//! behaviour on both backends.

use chrono::{DateTime, Utc};
use govwire_model::event::{EventType, PreviousVersion, ReplyEvent};
use govwire_model::Reply;
use govwire_store::{Decision, KnownReply, OutboxEvent, ReplyKeys};

pub(crate) use govwire_store::on_both_backends;

/// The real reply (普府〔2022〕55号) as the parser hands it over: not yet
/// versioned.
pub fn real_reply() -> Reply {
    let mut reply: Reply = serde_json::from_str(include_str!(
        "../../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .expect("the corpus record deserializes");
    reply.version = 0;
    reply.content_sha256 = reply.compute_content_sha256();
    reply
}

/// The real reply under another doc number and title, so one test can hold
/// several distinct replies (the same title, addressee, signatory and date
/// would make them one reply).
pub fn reply_numbered(n: u32) -> Reply {
    let mut reply = real_reply();
    reply.doc_number = Some(format!("普府〔2022〕{n}号"));
    reply.id = format!("shpt:普府〔2022〕{n}号").into();
    reply.title = format!("对市十五届人大六次会议第{n:04}号代表建议的答复");
    reply.content_sha256 = reply.compute_content_sha256();
    reply
}

/// The keys the notifier derives from a parsed page.
pub fn keys_for(reply: &Reply, item_id: &str, url: &str) -> ReplyKeys {
    ReplyKeys {
        page_sha256: None,
        portal: reply.portal.to_string(),
        item_id: item_id.to_string(),
        url: url.to_string(),
        doc_number: reply.doc_number.clone(),
        title: Some(reply.title.clone()),
        addressee: reply.addressee.clone(),
        signatory: reply.signatory.clone(),
        signed_on: reply.signed_on,
    }
}

/// An outbox event for a reply event, as the notifier builds it.
pub fn outbox_event(
    event_type: EventType,
    reply: &Reply,
    previous: Option<PreviousVersion>,
    now: DateTime<Utc>,
) -> OutboxEvent {
    let event = ReplyEvent::for_reply(event_type, reply.clone(), previous, None, now);
    OutboxEvent {
        event_id: event.id.to_string(),
        event_type: event.event_type.clone(),
        routing_key: event.routing_key(),
        body: serde_json::to_vec(&event).expect("an event serializes"),
        created_at: now,
    }
}

/// A decision function shaped like the notifier's: a new reply is
/// published, a changed one updated, an unchanged one seen at a new URL or
/// item gets that URL or item added, and otherwise nothing happens.
pub fn decide(
    keys: &ReplyKeys,
    parsed: &Reply,
    now: DateTime<Utc>,
) -> impl FnOnce(Option<KnownReply>) -> Decision + Send + 'static {
    let keys = keys.clone();
    let mut record = parsed.clone();
    move |known| {
        record.content_sha256 = record.compute_content_sha256();
        record.url = Some(keys.url.clone());
        match known {
            None => {
                record.id = match &record.doc_number {
                    Some(d) => format!("{}:{d}", keys.portal),
                    None => format!("{}:{}", keys.portal, keys.item_id),
                }
                .into();
                record.version = 1;
                record.urls = vec![keys.url.clone()];
                let event = outbox_event(EventType::ReplyPublished, &record, None, now);
                Decision {
                    reply_id: Some(record.id.to_string()),
                    new_version: Some(record),
                    add_url: None,
                    map_item_id: None,
                    events: vec![event],
                }
            }
            Some(k) if k.content_sha256 == record.content_sha256 => Decision {
                reply_id: Some(k.id.clone()),
                new_version: None,
                add_url: (!k.urls.contains(&keys.url)).then(|| keys.url.clone()),
                map_item_id: (!k.item_ids.contains(&keys.item_id)).then(|| keys.item_id.clone()),
                events: vec![],
            },
            Some(k) => {
                record.id = k.id.as_str().into();
                record.version = k.version + 1;
                record.urls = k.urls.clone();
                if !record.urls.contains(&keys.url) {
                    record.urls.push(keys.url.clone());
                }
                let previous = PreviousVersion {
                    version: k.version,
                    content_sha256: k.content_sha256.clone(),
                };
                let event = outbox_event(EventType::ReplyUpdated, &record, Some(previous), now);
                Decision {
                    reply_id: Some(k.id),
                    new_version: Some(record),
                    add_url: None,
                    map_item_id: None,
                    events: vec![event],
                }
            }
        }
    }
}

/// The record `decide` would write as version `version` of `parsed` (for
/// the archive's tests).
pub fn versioned(parsed: &Reply, version: u32, url: &str) -> Reply {
    let mut record = parsed.clone();
    record.content_sha256 = record.compute_content_sha256();
    record.version = version;
    record.url = Some(url.to_string());
    record.urls = vec![url.to_string()];
    record
}
