//! An event as the rules see it: a reply event or a portal event, read from
//! the body of a message on `govwire.events`.

use govwire_model::event::{PortalEvent, ReplyEvent};
use govwire_model::EventType;

/// One of govwire's public events.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `reply.published`, `reply.updated`, `reply.withdrawn`,
    /// `reply.restored`.
    Reply(Box<ReplyEvent>),
    /// `portal.degraded`, `portal.recovered`.
    Portal(Box<PortalEvent>),
}

impl Event {
    /// Reads a CloudEvent body, dispatching on its `type`. An unknown type
    /// or a body that is not the type's schema is an error naming it.
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Head {
            #[serde(rename = "type")]
            event_type: String,
        }
        let head: Head =
            serde_json::from_slice(body).map_err(|e| format!("not a CloudEvent: {e}"))?;
        let event_type = EventType::parse(&head.event_type)
            .ok_or_else(|| format!("unknown event type `{}`", head.event_type))?;
        match event_type {
            EventType::PortalDegraded | EventType::PortalRecovered => serde_json::from_slice(body)
                .map(|e| Event::Portal(Box::new(e)))
                .map_err(|e| format!("not a {}: {e}", head.event_type)),
            _ => serde_json::from_slice(body)
                .map(|e| Event::Reply(Box::new(e)))
                .map_err(|e| format!("not a {}: {e}", head.event_type)),
        }
    }

    /// The event's type.
    pub fn event_type(&self) -> Option<EventType> {
        EventType::parse(match self {
            Event::Reply(e) => &e.event_type,
            Event::Portal(e) => &e.event_type,
        })
    }

    /// The portal the event is about.
    pub fn portal(&self) -> &str {
        match self {
            Event::Reply(e) => &e.data.reply.portal,
            Event::Portal(e) => &e.data.portal,
        }
    }

    /// The event's id.
    pub fn id(&self) -> &str {
        match self {
            Event::Reply(e) => e.id.as_str(),
            Event::Portal(e) => e.id.as_str(),
        }
    }

    /// The event's subject: the reply id, or `portal/section`.
    pub fn subject(&self) -> &str {
        match self {
            Event::Reply(e) => &e.subject,
            Event::Portal(e) => &e.subject,
        }
    }

    /// The event's full type (`govwire.reply.published`).
    pub fn type_name(&self) -> &str {
        match self {
            Event::Reply(e) => &e.event_type,
            Event::Portal(e) => &e.event_type,
        }
    }

    /// The CloudEvent as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Event::Reply(e) => serde_json::to_value(e.as_ref()),
            Event::Portal(e) => serde_json::to_value(e.as_ref()),
        }
        .unwrap_or(serde_json::Value::Null)
    }
}
