//! The Atom feed (RFC 4287) of new and changed replies: one entry per
//! archived version, so an update is an entry of its own that says what
//! changed. Readers follow a topic with the list's filters and search
//! (`/feed.atom?portal=shpt&q=电梯&result=adopted`).

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use govwire_model::html::escape;
use govwire_model::{FieldChange, Reply};
use govwire_store::{FeedEntry, Store};

use crate::params::{parse_filter, to_query, BadParameter};

impl From<FeedEntry> for FeedItem {
    fn from(e: FeedEntry) -> Self {
        FeedItem {
            reply: e.reply,
            event_id: e.event_id,
            event_type: e.event_type,
            received_at: e.received_at,
            changes: e.changes,
        }
    }
}

/// `GET /feed.atom`: the newest versions of the replies the list's
/// parameters select (`limit` entries, default 50); `after` is refused,
/// since a feed has no pages. Links are absolute, made from the request's
/// `Host`.
pub(crate) async fn handler(
    State(store): State<Store>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let (filter, after, limit) = match parse_filter(&query) {
        Ok(parsed) => parsed,
        Err(bad) => return (StatusCode::BAD_REQUEST, Json(bad)).into_response(),
    };
    if after.is_some() {
        let bad = BadParameter::new("after", "the feed has no pages; leave `after` out".into());
        return (StatusCode::BAD_REQUEST, Json(bad)).into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let base_url = format!("http://{host}");
    let entries = match store.archive_feed(&filter, limit).await {
        Ok(entries) => entries,
        Err(e) => {
            tracing::warn!(error = %e, "Archive feed query failed.");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the archive database could not answer",
            )
                .into_response();
        }
    };
    let canonical = to_query(&filter, None, limit);
    let title = match &filter.q {
        Some(q) => format!("govwire 建议提案答复 · {q}"),
        None => "govwire 建议提案答复".to_string(),
    };
    let xml = render(&Feed {
        self_url: if canonical.is_empty() {
            format!("{base_url}/feed.atom")
        } else {
            format!("{base_url}/feed.atom?{canonical}")
        },
        base_url,
        title,
        items: entries.into_iter().map(FeedItem::from).collect(),
        now: Utc::now(),
    });
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// One entry: a version of a reply, as its event delivered it.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// The version's record.
    pub reply: Reply,
    /// The id of the event that delivered it (the entry's id).
    pub event_id: String,
    /// `govwire.reply.published`, `govwire.reply.updated`, …
    pub event_type: String,
    /// When the archive received it (the entry's `updated`).
    pub received_at: DateTime<Utc>,
    /// What changed from the version before, for an update.
    pub changes: Option<Vec<FieldChange>>,
}

/// The feed as a whole.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The feed's own URL (`self`), with its query.
    pub self_url: String,
    /// The archive's base URL (`http://127.0.0.1:8088`), for entry links.
    pub base_url: String,
    /// The title; names the filter when there is one.
    pub title: String,
    /// The entries, newest first.
    pub items: Vec<FeedItem>,
    /// When the feed was made; its `updated` when it has no entry.
    pub now: DateTime<Utc>,
}

/// Escapes text for XML content and attribute values.
fn xml(text: &str) -> String {
    // XML 1.0 forbids most control characters even as references.
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .collect();
    escape(&clean)
}

/// `urn:govwire:event:<id>`: an entry id that never changes (RFC 4287
/// 4.2.6), built from the deterministic event id.
fn entry_id(event_id: &str) -> String {
    let safe: String = event_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._:".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("urn:govwire:event:{safe}")
}

/// What the event did, in Chinese, for the entry's title.
fn action(event_type: &str) -> &'static str {
    match event_type.trim_start_matches("govwire.") {
        "reply.published" => "发布",
        "reply.updated" => "更新",
        "reply.withdrawn" => "撤回",
        "reply.restored" => "恢复",
        _ => "变更",
    }
}

/// A path segment percent-encoded (reply ids hold `〔`, `〕`, `号`).
fn path_segment(text: &str) -> String {
    let mut out = String::new();
    for byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(byte) {
            out.push(*byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The entry's summary: the reply's key facts, and for an update what
/// changed from what to what.
fn summary(item: &FeedItem) -> String {
    let reply = &item.reply;
    let mut lines = Vec::new();
    if let Some(changes) = &item.changes {
        let fields: Vec<String> = changes
            .iter()
            .map(|c| {
                let show = |v: &serde_json::Value| match v {
                    serde_json::Value::String(s) => s.chars().take(60).collect(),
                    serde_json::Value::Null => "（无）".to_string(),
                    other => other.to_string().chars().take(60).collect(),
                };
                format!("{}：{} → {}", c.field, show(&c.before), show(&c.after))
            })
            .collect();
        lines.push(format!("变更：{}", fields.join("；")));
    }
    for (label, value) in [
        ("文号", reply.doc_number.clone()),
        ("主送", reply.addressee.clone()),
        ("发文机关", reply.issuer.clone()),
        (
            "办理结果",
            reply.handling_result.as_ref().map(|h| h.raw.clone()),
        ),
        ("发布日期", reply.published_on.map(|d| d.to_string())),
    ] {
        if let Some(value) = value {
            lines.push(format!("{label}：{value}"));
        }
    }
    lines.join("\n")
}

/// The feed as an Atom document.
pub fn render(feed: &Feed) -> String {
    let updated = feed
        .items
        .iter()
        .map(|i| i.received_at)
        .max()
        .unwrap_or(feed.now);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh-CN\">\n");
    out.push_str(&format!("  <id>{}</id>\n", xml(&feed.self_url)));
    out.push_str(&format!("  <title>{}</title>\n", xml(&feed.title)));
    out.push_str(&format!(
        "  <updated>{}</updated>\n",
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    out.push_str("  <author><name>govwire</name></author>\n");
    out.push_str("  <generator>govwire</generator>\n");
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        xml(&feed.self_url)
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>\n",
        xml(feed.base_url.trim_end_matches('/'))
    ));
    for item in &feed.items {
        let reply = &item.reply;
        let time = item
            .received_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}</id>\n", entry_id(&item.event_id)));
        out.push_str(&format!(
            "    <title>【{}】{}</title>\n",
            action(&item.event_type),
            xml(&reply.title)
        ));
        out.push_str(&format!("    <updated>{time}</updated>\n"));
        if let Some(date) = reply.published_on {
            out.push_str(&format!(
                "    <published>{date}T00:00:00+08:00</published>\n"
            ));
        }
        let page = format!(
            "{}/reply/{}?version={}",
            feed.base_url.trim_end_matches('/'),
            path_segment(&reply.id),
            reply.version
        );
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&page)
        ));
        if let Some(url) = reply
            .url
            .as_deref()
            .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        {
            out.push_str(&format!(
                "    <link rel=\"via\" type=\"text/html\" href=\"{}\"/>\n",
                xml(url)
            ));
        }
        if let Some(category) = reply.handling_result.as_ref().and_then(|h| h.category) {
            let term = serde_json::to_value(category)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!(
                "    <category scheme=\"urn:govwire:handling-result\" term=\"{}\"/>\n",
                xml(&term)
            ));
        }
        out.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            xml(&summary(item))
        ));
        let body: Vec<String> = reply
            .body
            .sections
            .iter()
            .flat_map(|s| s.heading.iter().chain(s.paragraphs.iter()))
            .cloned()
            .collect();
        out.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            xml(&body.join("\n"))
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}
