//! The decision, free of I/O so it can be tested exhaustively.

use chrono::{DateTime, Utc};
use govwire_model::event::{EventType, PreviousVersion, ReplyEvent};
use govwire_model::CloudEvent;
use govwire_model::{ParsedPage, Reply};
use govwire_store::{Decision, KnownReply, OutboxEvent, ReplyKeys};

/// The keys the store matches a candidate against a known reply with.
pub fn reply_keys(page: &ParsedPage, reply: &Reply) -> ReplyKeys {
    ReplyKeys {
        portal: page.portal.to_string(),
        item_id: page.item_id.clone(),
        url: page.url.clone(),
        page_sha256: Some(page.page_sha256.clone()),
        doc_number: reply.doc_number.clone(),
        title: Some(reply.title.clone()).filter(|t| !t.is_empty()),
        addressee: reply.addressee.clone(),
        signatory: reply.signatory.clone(),
        signed_on: reply.signed_on,
    }
}

/// Decides what a freshly parsed `candidate` (version 0) means, given the
/// reply the store matched it to, if any.
///
/// - no known reply: version 1, `published`;
/// - same content: no new version and no event; the URL and item id join
///   the known reply if they are new (the same reply republished elsewhere);
/// - different content: the next version, `updated` with the previous
///   version and the changed fields (and, when `govwire reparse` read a
///   kept page again, the parser and profile that did).
pub fn decide(
    page: &ParsedPage,
    mut candidate: Reply,
    known: Option<KnownReply>,
    now: DateTime<Utc>,
) -> Decision {
    candidate.content_sha256 = candidate.compute_content_sha256();
    match known {
        None => {
            candidate.version = 1;
            candidate.urls = vec![page.url.clone()];
            candidate.url = Some(page.url.clone());
            let event = ReplyEvent::for_reply(
                EventType::ReplyPublished,
                candidate.clone(),
                None,
                None,
                now,
            );
            Decision {
                reply_id: Some(candidate.id.to_string()),
                new_version: Some(candidate),
                add_url: Some(page.url.clone()),
                map_item_id: Some(page.item_id.clone()),
                events: vec![outbox(&event, now)],
            }
        }
        Some(known) => {
            let add_url = (!known.urls.contains(&page.url)).then(|| page.url.clone());
            let map_item_id =
                (!known.item_ids.contains(&page.item_id)).then(|| page.item_id.clone());
            if known.content_sha256 == candidate.content_sha256 {
                return Decision {
                    reply_id: Some(known.id),
                    new_version: None,
                    add_url,
                    map_item_id,
                    events: vec![],
                };
            }
            let changes = candidate.changes_since(&known.record);
            candidate.id = known.id.as_str().into();
            candidate.version = known.version + 1;
            let mut urls = known.urls.clone();
            if !urls.contains(&page.url) {
                urls.push(page.url.clone());
            }
            candidate.urls = urls;
            candidate.url = Some(page.url.clone());
            let previous = PreviousVersion {
                version: known.version,
                content_sha256: known.content_sha256.clone(),
            };
            let mut event = ReplyEvent::for_reply(
                EventType::ReplyUpdated,
                candidate.clone(),
                Some(previous),
                Some(changes),
                now,
            );
            event.data.reparsed_by = page.reparsed_by.clone();
            Decision {
                reply_id: Some(known.id),
                new_version: Some(candidate),
                add_url,
                map_item_id,
                events: vec![outbox(&event, now)],
            }
        }
    }
}

/// The outbox row of an event: its id, type, routing key and body exactly
/// as they will be published.
pub(crate) fn outbox<T: serde::Serialize>(
    event: &CloudEvent<T>,
    now: DateTime<Utc>,
) -> OutboxEvent {
    OutboxEvent {
        event_id: event.id.to_string(),
        event_type: event.event_type.clone(),
        routing_key: event.routing_key(),
        body: serde_json::to_vec(event).expect("an event always serializes"),
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use govwire_model::{HandlingCategory, HandlingResult, PageOutcome};

    fn real() -> Reply {
        serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .unwrap()
    }

    fn page(url: &str, item: &str, reply: &Reply) -> ParsedPage {
        ParsedPage {
            portal: "shpt".into(),
            section: "s".into(),
            item_id: item.into(),
            url: url.into(),
            page_sha256: "x".into(),
            outcome: PageOutcome::Reply {
                reply: Box::new(reply.clone()),
            },
            reparsed_by: None,
        }
    }

    fn known_from(decision: &Decision, item: &str) -> KnownReply {
        let record = decision.new_version.clone().unwrap();
        KnownReply {
            id: record.id.to_string(),
            version: record.version,
            content_sha256: record.content_sha256.clone(),
            urls: record.urls.clone(),
            item_ids: vec![item.into()],
            record,
        }
    }

    #[test]
    fn first_sight_is_version_one_and_one_published_event() {
        let r = real();
        let d = decide(
            &page("http://p/1.html", "1", &r),
            r.clone(),
            None,
            Utc::now(),
        );
        let v = d.new_version.unwrap();
        assert_eq!(v.version, 1);
        assert_eq!(v.urls, vec!["http://p/1.html"]);
        assert_eq!(d.events.len(), 1);
        assert_eq!(d.events[0].event_type, "govwire.reply.published");
        assert_eq!(d.events[0].routing_key, "shpt.reply.published");
    }

    #[test]
    fn an_update_from_a_reparse_names_the_parser_that_read_it() {
        let r = real();
        let p = page("http://p/1.html", "1", &r);
        let first = decide(&p, r.clone(), None, Utc::now());
        let mut changed = r.clone();
        changed.topic = Some("城乡建设".into());
        let mut again = p.clone();
        again.reparsed_by = Some("govwire-parser/9, profile shpt 0123abcd".into());
        let d = decide(
            &again,
            changed.clone(),
            Some(known_from(&first, "1")),
            Utc::now(),
        );
        let event: ReplyEvent = serde_json::from_slice(&d.events[0].body).unwrap();
        assert_eq!(event.event_type, "govwire.reply.updated");
        assert_eq!(
            event.data.reparsed_by.as_deref(),
            Some("govwire-parser/9, profile shpt 0123abcd")
        );
        // A change the portal made names no parser.
        let d = decide(&p, changed, Some(known_from(&first, "1")), Utc::now());
        let event: ReplyEvent = serde_json::from_slice(&d.events[0].body).unwrap();
        assert_eq!(event.data.reparsed_by, None);
    }

    #[test]
    fn the_same_content_again_gives_nothing() {
        let r = real();
        let p = page("http://p/1.html", "1", &r);
        let first = decide(&p, r.clone(), None, Utc::now());
        let again = decide(&p, r, Some(known_from(&first, "1")), Utc::now());
        assert!(again.new_version.is_none());
        assert!(again.events.is_empty());
        assert!(again.add_url.is_none() && again.map_item_id.is_none());
    }

    #[test]
    fn the_same_reply_at_a_second_url_joins_its_urls_without_an_event() {
        let r = real();
        let first = decide(
            &page("http://p/1.html", "1", &r),
            r.clone(),
            None,
            Utc::now(),
        );
        let d = decide(
            &page("http://p/2.html", "2", &r),
            r,
            Some(known_from(&first, "1")),
            Utc::now(),
        );
        assert!(d.events.is_empty());
        assert_eq!(d.add_url.as_deref(), Some("http://p/2.html"));
        assert_eq!(d.map_item_id.as_deref(), Some("2"));
    }

    #[test]
    fn a_changed_record_is_the_next_version_naming_the_changed_fields() {
        let r = real();
        let p = page("http://p/1.html", "1", &r);
        let first = decide(&p, r.clone(), None, Utc::now());
        let mut edited = r.clone();
        edited.handling_result = Some(HandlingResult {
            raw: "部分采纳".into(),
            category: Some(HandlingCategory::PartiallyAdopted),
        });
        let d = decide(&p, edited, Some(known_from(&first, "1")), Utc::now());
        let v = d.new_version.unwrap();
        assert_eq!(v.version, 2);
        assert_eq!(d.events.len(), 1);
        let event: serde_json::Value = serde_json::from_slice(&d.events[0].body).unwrap();
        assert_eq!(event["type"], "govwire.reply.updated");
        assert_eq!(event["data"]["previous"]["version"], 1);
        let fields: Vec<&str> = event["data"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            vec!["handling_result.category", "handling_result.raw"]
        );
    }

    #[test]
    fn the_same_decision_made_twice_gives_the_same_event_id() {
        let r = real();
        let p = page("http://p/1.html", "1", &r);
        let a = decide(&p, r.clone(), None, Utc::now());
        let b = decide(&p, r, None, Utc::now() + chrono::Duration::seconds(5));
        assert_eq!(a.events[0].event_id, b.events[0].event_id);
    }
}
