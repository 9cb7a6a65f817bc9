//! Portal profiles: how govwire reads one portal (its list sections and its
//! detail-page layout). Profiles live in `config/portals/<id>.toml`; layout
//! knowledge belongs here, not in code, wherever a selector or a JSON path can
//! express it.
//!
//! This module only describes and validates the format; reading the file is
//! the caller's business.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{PortalId, SectionId};

/// One portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalProfile {
    /// Short id used in reply ids, routing keys and events (`shpt`).
    pub id: PortalId,
    /// Human name of the portal.
    pub name: String,
    /// Base URL every relative path is resolved against. Overridable with
    /// `GOVWIRE_PORTAL_<ID>_BASE_URL` or `--base-url`, so one profile serves
    /// the real site and the fixture portal.
    pub base_url: String,
    /// `host:port` pairs this portal may reach although they resolve to a
    /// loopback or private address (the fixture portal on 127.0.0.1). Each
    /// entry allows that host and port alone.
    #[serde(default)]
    pub allow_private: Vec<String>,
    /// How hard govwire may press the portal.
    #[serde(default)]
    pub politeness: Politeness,
    /// The list sources govwire polls.
    pub sections: Vec<SectionProfile>,
    /// How detail pages are laid out.
    #[serde(default)]
    pub detail: DetailProfile,
}

/// The most requests to one host govwire keeps in flight at once.
pub const MAX_CONCURRENCY: u32 = 64;

/// Request pacing and limits for one portal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Politeness {
    /// Minimum delay between two requests to the portal's host, in
    /// milliseconds. A robots.txt `Crawl-delay` that asks for more wins.
    pub min_delay_ms: u64,
    /// Requests to the portal's host in flight at once (detail pages of a
    /// list page are fetched this many at a time). 1, the default, is the
    /// safe value for a public portal; a cooperative or mirrored portal
    /// can take more during a backfill. `min_delay_ms` still spaces the
    /// starts of requests.
    pub concurrency: u32,
    /// Seconds between two polls of the same section.
    pub poll_interval_secs: u64,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Total timeout of one request, seconds.
    pub request_timeout_secs: u64,
    /// Texts of the portal's WAF or captcha pages (访问频繁, 安全验证, …). A
    /// small page, or an error page, holding one of them means the portal
    /// is blocking us: the crawler backs the whole host off instead of
    /// taking the page for content.
    pub block_markers: Vec<String>,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            min_delay_ms: 3_000,
            concurrency: 1,
            poll_interval_secs: 900,
            max_body_bytes: 5 * 1024 * 1024,
            connect_timeout_secs: 10,
            request_timeout_secs: 30,
            block_markers: [
                "访问频繁",
                "请求过于频繁",
                "安全验证",
                "请输入验证码",
                "人机验证",
                "访问受限",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl Politeness {
    /// `min_delay_ms` as a duration.
    pub fn min_delay(&self) -> Duration {
        Duration::from_millis(self.min_delay_ms)
    }
}

/// One list source of a portal: one channel of a JSON list API, or one HTML
/// list URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionProfile {
    /// Section id, unique within the portal (`district-gov-docs`).
    pub id: SectionId,
    /// Human name (`区政府文件`).
    pub name: String,
    /// A JSON list API (exactly one of `json_api` and `html_list` is set).
    #[serde(default)]
    pub json_api: Option<JsonApiSection>,
    /// An HTML list page.
    #[serde(default)]
    pub html_list: Option<HtmlListSection>,
    /// Hard limit on list pages walked in one poll.
    #[serde(default = "default_max_pages")]
    pub max_pages: u32,
    /// Extra list pages walked past the first page holding only known items.
    #[serde(default)]
    pub overlap_pages: u32,
}

fn default_max_pages() -> u32 {
    20
}

/// A POST JSON list API such as shpt's `/front/api/data/affair`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonApiSection {
    /// Path (or absolute URL) of the API.
    pub endpoint: String,
    /// Request body template; `{channel}`, `{page}` and `{page_size}` are
    /// replaced textually before the body is sent.
    pub request: String,
    /// Channel id of this section.
    pub channel: String,
    /// Items per page.
    pub page_size: u32,
    /// Where the values sit in the response.
    pub fields: JsonFields,
}

/// Paths into a JSON list response: dot-separated object keys
/// (`data.list`); item fields are relative to one list element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonFields {
    /// The array of items.
    pub list: String,
    /// The item's id.
    pub id: String,
    /// The item's title.
    pub title: String,
    /// The item's URL (relative or absolute).
    pub url: String,
    /// The item's date (`YYYY-MM-DD`).
    pub date: String,
    /// The page number the server says it returned, if it says.
    #[serde(default)]
    pub page_no: Option<String>,
    /// The number of pages the server claims, if it says (not trusted).
    #[serde(default)]
    pub total_page: Option<String>,
}

/// An HTML list page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HtmlListSection {
    /// URL of the first list page.
    pub url: String,
    /// URL of page N >= 2, with `{page}` standing for N (`.../index_{page}.html`).
    #[serde(default)]
    pub page_url: Option<String>,
    /// Selector of one item (a row).
    pub item: String,
    /// Selector, within an item, of the link to the detail page.
    pub link: String,
    /// Selector, within an item, of the title (default: the link's text).
    #[serde(default)]
    pub title: Option<String>,
    /// Selector, within an item, of the date.
    #[serde(default)]
    pub date: Option<String>,
}

/// How detail pages are laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DetailProfile {
    /// Selector of the title.
    pub title: String,
    /// Selector of the metadata block (`.article-info`).
    pub info: String,
    /// Selector, within the metadata block, of one label/value cell.
    pub info_cell: String,
    /// Selectors of the body container, tried in order; when none matches,
    /// the parser finds the main content itself and says so in a warning.
    pub body: Vec<String>,
    /// Elements removed before reading (navigation, share bars).
    pub strip: Vec<String>,
    /// Text lines dropped wherever they appear (accessibility boilerplate).
    pub boilerplate: Vec<String>,
    /// Selector of the links to attachments (PDF, DOC, DOCX) the crawler
    /// fetches with the page.
    pub attachments: String,
}

impl Default for DetailProfile {
    fn default() -> Self {
        Self {
            title: "h1".into(),
            info: ".article-info".into(),
            info_cell: ".col-md-7, .col-md-5".into(),
            body: vec![
                ".TRS_Editor".into(),
                ".article-content".into(),
                "#ivs_content".into(),
                "div.content".into(),
                "article".into(),
            ],
            strip: vec!["script".into(), "style".into(), "nav".into()],
            boilerplate: vec![
                "正文内容区域请使用tab按钮切换浏览".into(),
                "特殊稿件右侧区域内容请使用tab按钮切换浏览".into(),
                "分享:".into(),
                "分享：".into(),
            ],
            attachments: "a[href$='.pdf'], a[href$='.PDF'], a[href$='.doc'], a[href$='.DOC'], a[href$='.docx'], a[href$='.DOCX']".into(),
        }
    }
}

/// A profile that does not make sense.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("portal profile `{portal}`: {message}")]
pub struct ProfileError {
    /// The profile's id.
    pub portal: String,
    /// What is wrong.
    pub message: String,
}

impl PortalProfile {
    /// Checks what serde cannot: ids, URLs, one source per section.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let err = |message: String| ProfileError {
            portal: self.id.to_string(),
            message,
        };
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(err(format!(
                "id `{}` must be lowercase ASCII letters, digits and `-` (it becomes part of routing keys)",
                self.id
            )));
        }
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(err(format!(
                "base_url `{}` must be an http or https URL",
                self.base_url
            )));
        }
        if self.sections.is_empty() {
            return Err(err("has no sections".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.sections {
            if !seen.insert(s.id.as_str()) {
                return Err(err(format!("section id `{}` appears twice", s.id)));
            }
            match (&s.json_api, &s.html_list) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    return Err(err(format!(
                        "section `{}` must set exactly one of `json_api` and `html_list`",
                        s.id
                    )))
                }
            }
            if s.max_pages == 0 {
                return Err(err(format!(
                    "section `{}`: max_pages must be at least 1",
                    s.id
                )));
            }
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.politeness.concurrency) {
            return Err(err(format!(
                "politeness.concurrency must be a whole number from 1 to {MAX_CONCURRENCY}, not {}",
                self.politeness.concurrency
            )));
        }
        if self.politeness.max_body_bytes == 0 {
            return Err(err("politeness.max_body_bytes must be positive".into()));
        }
        Ok(())
    }
}
