//! govwire's public events: CloudEvents 1.0 in structured JSON mode, published
//! to the topic exchange `govwire.events`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::canonical::sha256_hex;
use crate::ids::{EventId, PortalId, SectionId};
use crate::reply::{FieldChange, Reply};

/// AMQP `content_type` of every event body.
pub const CLOUDEVENTS_CONTENT_TYPE: &str = "application/cloudevents+json";
/// `datacontenttype` of every event.
pub const DATA_CONTENT_TYPE: &str = "application/json";
/// AMQP `app_id` of every message govwire publishes.
pub const APP_ID: &str = "govwire";
/// `dataschema` of reply events (`schemas/reply-event.v1.schema.json`).
pub const REPLY_EVENT_SCHEMA: &str = "urn:govwire:schema:reply-event:1";
/// `dataschema` of portal events (`schemas/portal-event.v1.schema.json`).
pub const PORTAL_EVENT_SCHEMA: &str = "urn:govwire:schema:portal-event:1";

/// A CloudEvents 1.0 event in structured JSON mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CloudEvent<T> {
    /// Always `1.0`.
    pub specversion: String,
    /// Deterministic: derived from the decision (type, subject and content
    /// hash), so a republished event keeps its id.
    pub id: EventId,
    /// `/portals/<portal>`.
    pub source: String,
    /// `govwire.reply.published`, `govwire.reply.updated`, …
    #[serde(rename = "type")]
    pub event_type: String,
    /// The reply id (or the section, for portal events).
    pub subject: String,
    /// When govwire saw the change (RFC 3339, UTC).
    pub time: DateTime<Utc>,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// URI of the JSON Schema of `data`.
    pub dataschema: String,
    /// The payload.
    pub data: T,
}

/// The event types govwire publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum EventType {
    /// A reply seen for the first time.
    #[serde(rename = "govwire.reply.published")]
    ReplyPublished,
    /// A known reply whose normalized record changed.
    #[serde(rename = "govwire.reply.updated")]
    ReplyUpdated,
    /// A known reply that the portal no longer serves.
    #[serde(rename = "govwire.reply.withdrawn")]
    ReplyWithdrawn,
    /// A withdrawn reply served again.
    #[serde(rename = "govwire.reply.restored")]
    ReplyRestored,
    /// A portal section that stopped behaving (empty, unparsable, erroring).
    #[serde(rename = "govwire.portal.degraded")]
    PortalDegraded,
    /// A degraded section that healed.
    #[serde(rename = "govwire.portal.recovered")]
    PortalRecovered,
}

impl EventType {
    /// Every type, for listings and validation.
    pub const ALL: [EventType; 6] = [
        Self::ReplyPublished,
        Self::ReplyUpdated,
        Self::ReplyWithdrawn,
        Self::ReplyRestored,
        Self::PortalDegraded,
        Self::PortalRecovered,
    ];

    /// The CloudEvents `type` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReplyPublished => "govwire.reply.published",
            Self::ReplyUpdated => "govwire.reply.updated",
            Self::ReplyWithdrawn => "govwire.reply.withdrawn",
            Self::ReplyRestored => "govwire.reply.restored",
            Self::PortalDegraded => "govwire.portal.degraded",
            Self::PortalRecovered => "govwire.portal.recovered",
        }
    }

    /// Parses a CloudEvents `type` string.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// `<entity>.<action>`: the tail of the type and of the routing key.
    pub fn entity_action(self) -> &'static str {
        self.as_str().trim_start_matches("govwire.")
    }

    /// The AMQP routing key for this type on `portal`:
    /// `<portal>.<entity>.<action>`.
    pub fn routing_key(self, portal: &str) -> String {
        format!("{portal}.{}", self.entity_action())
    }
}

/// `data` of a reply event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReplyEventData {
    /// The record as of this event (for `withdrawn`, the last known record).
    pub reply: Reply,
    /// For `updated`: the version this one replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousVersion>,
    /// For `updated`: what changed, one entry per changed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<FieldChange>>,
    /// For `withdrawn`: why govwire considers the reply withdrawn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For an `updated` that `govwire reparse` led to: the parser and
    /// profile that read the kept page differently. Absent when the portal
    /// changed the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reparsed_by: Option<String>,
}

/// The version an `updated` event replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PreviousVersion {
    /// Its version number.
    pub version: u32,
    /// Its content hash.
    pub content_sha256: String,
}

/// `data` of a portal event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PortalEventData {
    /// Portal short id.
    pub portal: PortalId,
    /// The section concerned.
    pub section: SectionId,
    /// What is wrong (or, for `recovered`, what healed).
    pub reason: String,
}

/// A reply event.
pub type ReplyEvent = CloudEvent<ReplyEventData>;
/// A portal event.
pub type PortalEvent = CloudEvent<PortalEventData>;

/// Reads a reply event as a subscriber receives it, holding it to what the
/// contract promises: a reply event type (`published`, `updated`,
/// `withdrawn`, `restored`) and a subject that is the reply's id. The error
/// says what is wrong, for the dead-letter reason.
pub fn read_reply_event(body: &[u8]) -> Result<ReplyEvent, String> {
    let event: ReplyEvent =
        serde_json::from_slice(body).map_err(|e| format!("not a reply CloudEvent: {e}"))?;
    match event.kind() {
        Some(
            EventType::ReplyPublished
            | EventType::ReplyUpdated
            | EventType::ReplyRestored
            | EventType::ReplyWithdrawn,
        ) => {}
        _ => {
            return Err(format!(
                "event type `{}` is not a reply event",
                event.event_type
            ))
        }
    }
    if event.data.reply.id != event.subject {
        return Err(format!(
            "event subject `{}` does not match the reply id `{}`",
            event.subject, event.data.reply.id
        ));
    }
    Ok(event)
}

/// The deterministic event id: hex SHA-256 of the type, the subject and a
/// discriminator (the content hash; for `withdrawn`/`restored` also how many
/// times the reply was withdrawn before), separated by newlines.
pub fn event_id(event_type: EventType, subject: &str, discriminator: &str) -> EventId {
    EventId::from(sha256_hex(format!(
        "{}\n{subject}\n{discriminator}",
        event_type.as_str()
    )))
}

impl ReplyEvent {
    /// A `published` or `updated` event for `reply` (already versioned), seen
    /// at `time`.
    pub fn for_reply(
        event_type: EventType,
        reply: Reply,
        previous: Option<PreviousVersion>,
        changes: Option<Vec<FieldChange>>,
        time: DateTime<Utc>,
    ) -> Self {
        let id = event_id(event_type, &reply.id, &reply.content_sha256);
        CloudEvent {
            specversion: "1.0".into(),
            id,
            source: format!("/portals/{}", reply.portal),
            event_type: event_type.as_str().into(),
            subject: reply.id.to_string(),
            time,
            datacontenttype: DATA_CONTENT_TYPE.into(),
            dataschema: REPLY_EVENT_SCHEMA.into(),
            data: ReplyEventData {
                reply,
                previous,
                changes,
                reason: None,
                reparsed_by: None,
            },
        }
    }

    /// A `withdrawn` event: `reply` is the last known record, `reason` says
    /// why govwire considers it withdrawn, and `withdrawals_before` is how
    /// many times the reply was withdrawn before this time (it goes into the
    /// id, so a second withdrawal of the same content is a second event).
    pub fn withdrawn(
        reply: Reply,
        reason: impl Into<String>,
        withdrawals_before: u32,
        time: DateTime<Utc>,
    ) -> Self {
        let mut event =
            Self::availability(EventType::ReplyWithdrawn, reply, withdrawals_before, time);
        event.data.reason = Some(reason.into());
        event
    }

    /// A `restored` event: a withdrawn `reply` served again;
    /// `withdrawals_before` is how many times it was withdrawn before (the
    /// withdrawal this restoration ends included).
    pub fn restored(reply: Reply, withdrawals_before: u32, time: DateTime<Utc>) -> Self {
        Self::availability(EventType::ReplyRestored, reply, withdrawals_before, time)
    }

    fn availability(
        event_type: EventType,
        reply: Reply,
        withdrawals_before: u32,
        time: DateTime<Utc>,
    ) -> Self {
        let id = event_id(
            event_type,
            &reply.id,
            &format!("{}\n{withdrawals_before}", reply.content_sha256),
        );
        CloudEvent {
            specversion: "1.0".into(),
            id,
            source: format!("/portals/{}", reply.portal),
            event_type: event_type.as_str().into(),
            subject: reply.id.to_string(),
            time,
            datacontenttype: DATA_CONTENT_TYPE.into(),
            dataschema: REPLY_EVENT_SCHEMA.into(),
            data: ReplyEventData {
                reply,
                previous: None,
                changes: None,
                reason: None,
                reparsed_by: None,
            },
        }
    }
}

impl PortalEvent {
    /// A `degraded` event for `section` of `portal`; `degradations_before`
    /// is how many times the section was declared degraded before.
    pub fn degraded(
        portal: &str,
        section: &str,
        reason: impl Into<String>,
        degradations_before: u32,
        time: DateTime<Utc>,
    ) -> Self {
        Self::health(
            EventType::PortalDegraded,
            portal,
            section,
            reason.into(),
            degradations_before,
            time,
        )
    }

    /// A `recovered` event for `section` of `portal`; `degradations_before`
    /// is how many times it was declared degraded (the degradation that
    /// ends included), and `reason` says what healed.
    pub fn recovered(
        portal: &str,
        section: &str,
        reason: impl Into<String>,
        degradations_before: u32,
        time: DateTime<Utc>,
    ) -> Self {
        Self::health(
            EventType::PortalRecovered,
            portal,
            section,
            reason.into(),
            degradations_before,
            time,
        )
    }

    fn health(
        event_type: EventType,
        portal: &str,
        section: &str,
        reason: String,
        degradations_before: u32,
        time: DateTime<Utc>,
    ) -> Self {
        // The subject is the section alone; the portal goes into the
        // discriminator so that two portals' sections of the same name never
        // share an id.
        let id = event_id(
            event_type,
            section,
            &format!("{portal}\n{degradations_before}"),
        );
        CloudEvent {
            specversion: "1.0".into(),
            id,
            source: format!("/portals/{portal}"),
            event_type: event_type.as_str().into(),
            subject: section.to_string(),
            time,
            datacontenttype: DATA_CONTENT_TYPE.into(),
            dataschema: PORTAL_EVENT_SCHEMA.into(),
            data: PortalEventData {
                portal: portal.into(),
                section: section.into(),
                reason,
            },
        }
    }
}

impl<T> CloudEvent<T> {
    /// The parsed `type`, if govwire knows it.
    pub fn kind(&self) -> Option<EventType> {
        EventType::parse(&self.event_type)
    }

    /// The portal short id, from `source`.
    pub fn portal(&self) -> &str {
        self.source.trim_start_matches("/portals/")
    }

    /// The AMQP routing key of this event.
    pub fn routing_key(&self) -> String {
        format!(
            "{}.{}",
            self.portal(),
            self.event_type.trim_start_matches("govwire.")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_keys_are_portal_entity_action() {
        assert_eq!(
            EventType::ReplyPublished.routing_key("shpt"),
            "shpt.reply.published"
        );
        assert_eq!(
            EventType::PortalDegraded.routing_key("pudong"),
            "pudong.portal.degraded"
        );
    }

    #[test]
    fn the_same_decision_always_gives_the_same_event_id() {
        let a = event_id(EventType::ReplyUpdated, "shpt:普府〔2022〕55号", "abc");
        let b = event_id(EventType::ReplyUpdated, "shpt:普府〔2022〕55号", "abc");
        let c = event_id(EventType::ReplyPublished, "shpt:普府〔2022〕55号", "abc");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn a_second_withdrawal_of_the_same_content_is_a_second_event() {
        let reply: Reply = serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .expect("the corpus record deserializes");
        let t = Utc::now();
        let first = ReplyEvent::withdrawn(reply.clone(), "gone", 0, t);
        let again = ReplyEvent::withdrawn(reply.clone(), "gone", 0, t);
        let second = ReplyEvent::withdrawn(reply.clone(), "gone", 1, t);
        let restored = ReplyEvent::restored(reply, 1, t);
        assert_eq!(first.id, again.id);
        assert_ne!(first.id, second.id);
        assert_ne!(second.id, restored.id);
        assert_eq!(first.data.reason.as_deref(), Some("gone"));
        assert_eq!(first.routing_key(), "shpt.reply.withdrawn");
    }

    #[test]
    fn portal_events_of_two_portals_never_share_an_id() {
        let t = Utc::now();
        let a = PortalEvent::degraded("shpt", "3", "empty", 0, t);
        let b = PortalEvent::degraded("pudong", "3", "empty", 0, t);
        assert_ne!(a.id, b.id);
        assert_eq!(a.subject, "3");
        assert_eq!(a.routing_key(), "shpt.portal.degraded");
        assert_eq!(a.dataschema, PORTAL_EVENT_SCHEMA);
        let r = PortalEvent::recovered("shpt", "3", "lists again", 1, t);
        assert_ne!(r.id, PortalEvent::degraded("shpt", "3", "empty", 1, t).id);
    }

    #[test]
    fn type_strings_parse_back() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
    }
}
