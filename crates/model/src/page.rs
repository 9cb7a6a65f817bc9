//! Messages between pipeline stages: the crawler hands the parser a
//! [`RawPage`], the parser hands the notifier a [`ParsedPage`].

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{PortalId, SectionId};
use crate::reply::Reply;

/// A detail page as fetched, handed from the crawler to the parser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RawPage {
    /// Portal short id (`shpt`).
    pub portal: PortalId,
    /// The section of the portal the page was listed in (`replies`).
    pub section: SectionId,
    /// The portal's own id of the item (the list API's `id`, or the number in
    /// the detail URL).
    pub item_id: String,
    /// Absolute URL the page was fetched from (after redirects).
    pub url: String,
    /// Title as the list showed it.
    pub list_title: Option<String>,
    /// Publication date as the list showed it.
    pub published_on: Option<NaiveDate>,
    /// When the page was fetched.
    pub fetched_at: DateTime<Utc>,
    /// The `Content-Type` header, as sent.
    pub content_type: Option<String>,
    /// The page's bytes, base64 (standard alphabet) in JSON: they may be in
    /// any encoding until the parser decodes them.
    #[serde(with = "base64_bytes")]
    #[schemars(with = "String")]
    pub body: Vec<u8>,
    /// Files the page links as attachments (PDF, DOC, DOCX), fetched by the
    /// crawler under the same politeness and size limits.
    #[serde(default)]
    pub attachments: Vec<RawAttachment>,
}

/// A file a detail page links, as fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RawAttachment {
    /// The link text (or the file name when the link has no text).
    pub name: String,
    /// Absolute URL of the file.
    pub url: String,
    /// The `Content-Type` header, as sent.
    #[serde(default)]
    pub content_type: Option<String>,
    /// The file's bytes (base64 in JSON); empty when it could not be fetched.
    #[serde(default, with = "base64_bytes")]
    #[schemars(with = "String")]
    pub body: Vec<u8>,
    /// Text extracted from the file. The parser stage fills it before
    /// parsing (extraction runs processes, which the parser itself never
    /// does).
    #[serde(default)]
    pub text: Option<String>,
    /// Why the file could not be fetched or its text not extracted.
    #[serde(default)]
    pub error: Option<String>,
}

impl RawPage {
    /// Identifies the fetch for logs and de-duplication: the URL and a hash of
    /// the bytes.
    pub fn body_sha256(&self) -> String {
        crate::canonical::sha256_hex(&self.body)
    }
}

/// What the parser made of a page, handed to the notifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParsedPage {
    /// Portal short id.
    pub portal: PortalId,
    /// Section the page was listed in.
    pub section: SectionId,
    /// The portal's own id of the item.
    pub item_id: String,
    /// URL the page was fetched from.
    pub url: String,
    /// SHA-256 of the page's bytes, so a re-fetch of identical bytes is
    /// recognisable.
    pub page_sha256: String,
    /// The outcome.
    pub outcome: PageOutcome,
    /// Set when `govwire reparse` read a kept page again: the parser and
    /// profile that did (`govwire-parser/0.1.0, profile shpt 1a2b3c4d`). An
    /// update it leads to names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reparsed_by: Option<String>,
}

/// The parser's verdict on one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PageOutcome {
    /// The page is a reply; the record is not yet versioned (`version` 0).
    Reply {
        /// The record.
        reply: Box<Reply>,
    },
    /// The page is something else (a notice, a news item); skipped.
    NotAReply {
        /// Why the parser decided so.
        reason: String,
    },
}

mod base64_bytes {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_page_bytes_survive_json_whatever_their_encoding() {
        let page = RawPage {
            portal: "shpt".into(),
            section: "replies".into(),
            item_id: "1".into(),
            url: "http://x/1.html".into(),
            list_title: None,
            published_on: None,
            fetched_at: Utc::now(),
            content_type: Some("text/html; charset=gbk".into()),
            body: vec![0xC6, 0xD5, 0xCD, 0xD3, 0x00, 0xFF],
            attachments: vec![RawAttachment {
                name: "附件.pdf".into(),
                url: "http://x/1.pdf".into(),
                content_type: Some("application/pdf".into()),
                body: b"%PDF-1.4".to_vec(),
                text: None,
                error: None,
            }],
        };
        let json = serde_json::to_string(&page).unwrap();
        let back: RawPage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, page);
    }
}
