//! Helpers shared by the parser's tests: the shpt profile, the real reply's
//! text and golden record, an HTML builder that lays a text out the way the
//! fixture portal does (`crates/fixture-portal/LAYOUTS.md`), and a readable
//! JSON diff.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use govwire_model::reply::PROVENANCE_FIELDS;
use govwire_model::{PageOutcome, ParsedPage, PortalProfile, RawPage, Reply};
use serde_json::Value;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shpt profile as the repository ships it.
pub fn shpt_profile() -> PortalProfile {
    let path = repo_root().join("config/portals/shpt.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

/// The real reply's text, one entry per non-empty line.
pub fn real_lines() -> Vec<String> {
    let path = repo_root().join("corpus/putuo-pufu-2022-55.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// The real reply's title line, as the text writes it (stray space kept).
pub fn real_title(lines: &[String]) -> String {
    lines
        .iter()
        .find(|l| l.ends_with("的答复"))
        .expect("the real reply has a title line")
        .clone()
}

/// The golden record of the real reply (no provenance keys).
pub fn real_expected() -> Value {
    let path = repo_root().join("corpus/putuo-pufu-2022-55.expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// How the builder lays the page out.
pub struct Layout<'a> {
    /// Text of the `<h1>`; `None` leaves the heading out.
    pub h1: Option<&'a str>,
    /// `<meta charset>` value; `None` leaves the declaration out.
    pub meta_charset: Option<&'a str>,
    /// Cells of an `.article-info` block (`current` layout); `None` for the
    /// `body_only` layout. A value starting with `\n` is put on the line
    /// after its label.
    pub info: Option<Vec<(&'a str, &'a str)>>,
    /// Classes of the body container's outer and inner `div`; the fixture
    /// uses `article-content` and `TRS_Editor`.
    pub container: (&'a str, &'a str),
}

impl Default for Layout<'_> {
    fn default() -> Self {
        Layout {
            h1: None,
            meta_charset: Some("utf-8"),
            info: None,
            container: ("article-content", "TRS_Editor"),
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A detail page as the fixture portal serves it: boilerplate around, one
/// `<p>` per text line inside the body container.
pub fn render(layout: &Layout<'_>, lines: &[String]) -> String {
    let title = layout.h1.unwrap_or("");
    let meta = layout
        .meta_charset
        .map(|c| format!("<meta charset=\"{c}\">"))
        .unwrap_or_default();
    let h1 = layout
        .h1
        .map(|h| format!("    <h1>{}</h1>\n", escape(h)))
        .unwrap_or_default();
    let info = layout
        .info
        .as_ref()
        .map(|cells| {
            let mut out = String::from("    <div class=\"article-info\">\n      <div class=\"row\">\n");
            for (k, (label, value)) in cells.iter().enumerate() {
                let class = if k % 2 == 0 { "col-md-7" } else { "col-md-5" };
                let value = if let Some(rest) = value.strip_prefix('\n') {
                    format!("\n          {}\n        ", escape(rest))
                } else {
                    escape(value)
                };
                out.push_str(&format!(
                    "        <div class=\"{class}\"><span>{label}：</span><span>{value}</span></div>\n"
                ));
            }
            out.push_str("      </div>\n    </div>\n");
            out
        })
        .unwrap_or_default();
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("        <p>{}</p>\n", escape(l)))
        .collect();
    let (outer, inner) = layout.container;
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>{meta}<title>{title}_上海市普陀区人民政府</title></head>
<body>
<div class="skip-link">正文内容区域请使用tab按钮切换浏览</div>
<header class="site-header"><nav><a href="/">首页</a><a href="/zhengwu/">政务公开</a><a href="/hudong/">互动交流</a><a href="/fuwu/">办事服务</a></nav></header>
<div class="container main">
  <div class="article">
{h1}{info}    <div class="share">分享:</div>
    <div class="{outer}">
      <div class="{inner}">
{paragraphs}      </div>
    </div>
  </div>
  <div class="aside">特殊稿件右侧区域内容请使用tab按钮切换浏览</div>
</div>
<footer class="site-footer">主办：上海市普陀区人民政府办公室 地址：上海市普陀区大渡河路1668号</footer>
</body></html>
"#
    )
}

/// The real reply in the `body_only` layout, as the fixture serves it.
pub fn real_page_html() -> String {
    let lines = real_lines();
    let title = real_title(&lines);
    render(
        &Layout {
            h1: Some(&title),
            ..Layout::default()
        },
        &lines,
    )
}

/// A fetched page around `body`.
pub fn raw_page(body: Vec<u8>, content_type: Option<&str>) -> RawPage {
    RawPage {
        portal: "shpt".into(),
        section: "district-gov-docs".into(),
        item_id: "197298".into(),
        url: "https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2022/197/197298.html".into(),
        list_title: Some("对市十五届人大六次会议第0184号代表建议的答复".into()),
        published_on: chrono::NaiveDate::from_ymd_opt(2022, 8, 12),
        fetched_at: Utc
            .with_ymd_and_hms(2026, 7, 7, 2, 30, 0)
            .single()
            .expect("a valid instant"),
        content_type: content_type.map(str::to_string),
        body,
        attachments: vec![],
    }
}

/// The reply of a parsed page; panics with the outcome otherwise.
pub fn reply_of(parsed: &ParsedPage) -> &Reply {
    match &parsed.outcome {
        PageOutcome::Reply { reply } => reply,
        PageOutcome::NotAReply { reason } => panic!("expected a reply, got NotAReply: {reason}"),
    }
}

/// The record as JSON without provenance keys, the form golden files hold.
pub fn content_json(reply: &Reply) -> Value {
    let mut value = serde_json::to_value(reply).expect("a reply serializes");
    if let Value::Object(map) = &mut value {
        for key in PROVENANCE_FIELDS {
            map.remove(*key);
        }
    }
    value
}

/// Every path where `actual` differs from `expected`, one line each.
pub fn diff(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", expected, actual, &mut out);
    out
}

fn diff_at(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let mut keys: Vec<&String> = e.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_at(
                    &child,
                    e.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for k in 0..e.len().max(a.len()) {
                diff_at(
                    &format!("{path}[{k}]"),
                    e.get(k).unwrap_or(&Value::Null),
                    a.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (e, a) if e != a => out.push(format!("{path}:\n    expected {e}\n    actual   {a}")),
        _ => {}
    }
}

/// Asserts `actual` equals `expected`, printing every differing path.
pub fn assert_json_eq(expected: &Value, actual: &Value, what: &str) {
    let differences = diff(expected, actual);
    assert!(
        differences.is_empty(),
        "{what}: {} difference(s):\n{}",
        differences.len(),
        differences.join("\n")
    );
}
