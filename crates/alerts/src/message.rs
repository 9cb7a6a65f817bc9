//! What a delivery says: a one-line summary a person reads, the JSON body a
//! webhook receives (the CloudEvent, the rule's name and the summary), the
//! email a person reads, and the digest of what a rule held past its rate
//! limit.

use serde_json::{json, Value};

use crate::email::{escape_html, Letter};
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

/// The email for one delivery: the subject names the rule and the reply (or
/// the section); the HTML part escapes every string that came from a
/// portal.
pub fn letter(rule: &str, event: &Event) -> Letter {
    let line = summary(event);
    let (subject, rows, link) = match event {
        Event::Reply(e) => {
            let reply = &e.data.reply;
            let name = reply.doc_number.as_deref().unwrap_or(reply.title.as_str());
            let mut rows = vec![
                (
                    "事件",
                    e.event_type.trim_start_matches("govwire.").to_string(),
                ),
                ("标题", reply.title.clone()),
            ];
            let optional = [
                ("文号", reply.doc_number.clone()),
                ("主送", reply.addressee.clone()),
                ("发文机关", reply.issuer.clone()),
                (
                    "办理结果",
                    reply.handling_result.as_ref().map(|h| h.raw.clone()),
                ),
                ("成文日期", reply.signed_on.map(|d| d.to_string())),
                ("发布日期", reply.published_on.map(|d| d.to_string())),
            ];
            rows.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
            if let Some(changes) = &e.data.changes {
                let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
                rows.push(("变更字段", fields.join(", ")));
            }
            if let Some(reason) = &e.data.reason {
                rows.push(("原因", reason.clone()));
            }
            (
                format!("[govwire] {rule}: {name}"),
                rows,
                reply
                    .url
                    .clone()
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://")),
            )
        }
        Event::Portal(e) => (
            format!(
                "[govwire] {rule}: {} {}/{}",
                e.event_type.trim_start_matches("govwire."),
                e.data.portal,
                e.data.section
            ),
            vec![
                (
                    "事件",
                    e.event_type.trim_start_matches("govwire.").to_string(),
                ),
                ("门户", e.data.portal.to_string()),
                ("栏目", e.data.section.to_string()),
                ("原因", e.data.reason.clone()),
            ],
            None,
        ),
    };
    let mut text = format!("{line}\n\n");
    for (k, v) in &rows {
        text.push_str(&format!("{k}：{v}\n"));
    }
    if let Some(url) = &link {
        text.push_str(&format!("\n{url}\n"));
    }
    text.push_str(&format!("\n规则 rule: {rule}\n"));
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"></head><body>",
    );
    html.push_str(&format!("<p>{}</p><table>", escape_html(&line)));
    for (k, v) in &rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{}</th><td>{}</td></tr>",
            escape_html(k),
            escape_html(v)
        ));
    }
    html.push_str("</table>");
    if let Some(url) = &link {
        html.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape_html(url)));
    }
    html.push_str(&format!(
        "<p style=\"color:#666\">govwire · 规则 {}</p></body></html>",
        escape_html(rule)
    ));
    Letter {
        subject: one_line(&subject),
        text,
        html,
    }
}

/// A digest: the matches a rule held past its rate limit, as one message.
#[derive(Debug, Clone)]
pub struct Digest {
    /// The rule's name.
    pub rule: String,
    /// The held matches' one-line summaries, oldest first.
    pub summaries: Vec<String>,
    /// The held events (their CloudEvent JSON), in the same order.
    pub events: Vec<Value>,
    /// When the first match was held (names the digest's hour).
    pub since: chrono::DateTime<chrono::Utc>,
}

impl Digest {
    /// The digest's webhook body: `{"rule", "summary", "digest": true,
    /// "events": [...], "summaries": [...]}`.
    pub fn webhook_body(&self) -> Vec<u8> {
        let body = json!({
            "rule": self.rule,
            "summary": self.headline(),
            "digest": true,
            "summaries": self.summaries,
            "events": self.events,
        });
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// The line that heads the digest.
    pub fn headline(&self) -> String {
        format!(
            "{} matches of rule {} since {} (over its rate limit)",
            self.summaries.len(),
            self.rule,
            self.since.format("%Y-%m-%d %H:%M UTC")
        )
    }

    /// The idempotency key's event part: the same digest sent again carries
    /// the same key.
    pub fn key(&self) -> String {
        format!("digest-{}", self.since.format("%Y%m%dT%H%M%S"))
    }

    /// The digest as an email.
    pub fn letter(&self) -> Letter {
        let headline = self.headline();
        let mut text = format!("{headline}\n\n");
        let mut html = format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"></head><body><p>{}</p><ol>",
            escape_html(&headline)
        );
        for line in &self.summaries {
            text.push_str(&format!("- {line}\n"));
            html.push_str(&format!("<li>{}</li>", escape_html(line)));
        }
        html.push_str("</ol></body></html>");
        Letter {
            subject: one_line(&format!(
                "[govwire] {}: {} matches (digest)",
                self.rule,
                self.summaries.len()
            )),
            text,
            html,
        }
    }
}

/// A subject on one line, at most 200 characters.
fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use govwire_model::event::ReplyEvent;
    use govwire_model::{EventType, Reply};

    use super::*;

    #[test]
    fn an_email_escapes_what_the_portal_wrote() {
        let mut reply: Reply = serde_json::from_value(json!({
            "id": "shpt:1", "portal": "shpt", "title": "关于<script>alert(1)</script>&的答复",
            "doc_number": null, "issuer_banner": null, "issuer": "某局\"><img src=x>",
            "signer": null, "addressee": null, "reply_kind": null,
            "proposal": {"kind": null, "level": null, "meeting": null, "term": null,
                         "session": null, "number": null, "subject": null,
                         "proposers": [], "co_proposers": null},
            "handling_result": null, "disclosure": null, "index_number": null,
            "topic": null, "publisher": null, "signatory": null, "signed_on": null,
            "contact": null, "notes": [], "cc": [], "printed_by": null, "printed_on": null,
            "attachment_notes": [], "attachments": [], "body": {"sections": []},
            "warnings": [], "url": "javascript:alert(1)", "urls": [], "published_on": null,
            "fetched_at": null, "content_sha256": "", "version": 1, "parser_version": "t"
        }))
        .expect("a record");
        reply.url = Some("javascript:alert(1)".into());
        let event = Event::Reply(Box::new(ReplyEvent::for_reply(
            EventType::ReplyPublished,
            reply,
            None,
            None,
            chrono::Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap(),
        )));
        let letter = letter("lifts", &event);
        assert!(!letter.html.contains("<script"), "{}", letter.html);
        assert!(!letter.html.contains("<img"), "{}", letter.html);
        assert!(letter
            .html
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"));
        assert!(!letter.html.contains("javascript:"), "only http(s) links");
        assert!(letter.text.contains("关于<script>alert(1)</script>&的答复"));
        assert!(
            letter.subject.starts_with("[govwire] lifts: 关于"),
            "{}",
            letter.subject
        );
    }
}
