//! What a delivery says: a one-line summary a person reads, and the JSON
//! body a webhook receives (the CloudEvent, the rule's name and the
//! summary).

use serde_json::{json, Value};

use crate::Event;

/// One line for a person: what happened, to which reply or section, and
/// the reply's title, doc number and handling result where it has them.
/// `【reply.updated】shpt:普府〔2022〕55号 对…的答复 (普府〔2022〕55号; 解决采纳) changed: handling_result.category`
pub fn summary(event: &Event) -> String {
    match event {
        Event::Reply(e) => {
            let reply = &e.data.reply;
            let mut line = format!(
                "【{}】{} {}",
                e.event_type.trim_start_matches("govwire."),
                reply.id,
                reply.title
            );
            let details: Vec<&str> = [
                reply.doc_number.as_deref(),
                reply.handling_result.as_ref().map(|h| h.raw.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !details.is_empty() {
                line.push_str(&format!(" ({})", details.join("; ")));
            }
            if let Some(changes) = &e.data.changes {
                let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
                line.push_str(&format!(" changed: {}", fields.join(", ")));
            }
            if let Some(reason) = &e.data.reason {
                line.push_str(&format!(" reason: {reason}"));
            }
            line
        }
        Event::Portal(e) => format!(
            "【{}】{}/{}: {}",
            e.event_type.trim_start_matches("govwire."),
            e.data.portal,
            e.data.section,
            e.data.reason
        ),
    }
}

/// The JSON body of a webhook delivery: `{"rule": …, "summary": …,
/// "event": <the CloudEvent>}`.
pub fn webhook_body(rule: &str, event: &Event) -> Vec<u8> {
    let event_json: Value = match event {
        Event::Reply(e) => serde_json::to_value(e.as_ref()),
        Event::Portal(e) => serde_json::to_value(e.as_ref()),
    }
    .unwrap_or(Value::Null);
    let body = json!({
        "rule": rule,
        "summary": summary(event),
        "event": event_json,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The log sink: one structured INFO line per delivery, for operators who
/// route logs elsewhere.
pub fn log_delivery(rule: &str, event: &Event) {
    let event_id = match event {
        Event::Reply(e) => e.id.as_str(),
        Event::Portal(e) => e.id.as_str(),
    };
    tracing::info!(
        rule,
        event_id,
        portal = event.portal(),
        summary = %summary(event),
        "Alert."
    );
}
