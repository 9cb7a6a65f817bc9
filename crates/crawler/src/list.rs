//! Reading list pages: a JSON list API response or an HTML list page, with
//! the paths and selectors of the portal profile. No I/O here.

use std::sync::LazyLock;

use chrono::NaiveDate;
use govwire_model::profile::{HtmlListSection, JsonFields};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use tracing::debug;
use url::Url;

/// One entry of a list page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListEntry {
    /// The portal's id of the item.
    pub(crate) id: String,
    /// The item's URL as the list gives it (relative or absolute).
    pub(crate) href: String,
    /// The title as listed.
    pub(crate) title: Option<String>,
    /// The date as listed.
    pub(crate) published_on: Option<NaiveDate>,
}

/// A list page read.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ListPage {
    /// Usable entries, in list order.
    pub(crate) entries: Vec<ListEntry>,
    /// Entries without an id or a URL, skipped.
    pub(crate) invalid: u32,
    /// The page number the server says it returned.
    pub(crate) page_no: Option<u64>,
    /// The number of pages the server claims. Never trusted to end a walk;
    /// a backfill shows it as the likely length of its progress bar.
    pub(crate) total_page: Option<u64>,
}

/// Fills the request template of a JSON list section and checks that the
/// result is JSON.
pub(crate) fn render_request(
    template: &str,
    channel: &str,
    page: u32,
    page_size: u32,
) -> Result<String, String> {
    let body = template
        .replace("{channel}", channel)
        .replace("{page_size}", &page_size.to_string())
        .replace("{page}", &page.to_string());
    serde_json::from_str::<Value>(&body)
        .map_err(|e| format!("the request template does not give JSON once filled in: {e}"))?;
    Ok(body)
}

/// Follows a dot path (`data.list`) through objects; a numeric segment also
/// indexes an array.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        current = match current {
            Value::Object(map) => map.get(segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A string or a number as text; anything else is absent.
fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a JSON list API response.
pub(crate) fn parse_json_list(body: &[u8], fields: &JsonFields) -> Result<ListPage, String> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| format!("the response is not JSON: {e}"))?;
    let list = match lookup(&root, &fields.list) {
        Some(Value::Array(items)) => items.as_slice(),
        // An API past its end sometimes answers `"list": null`.
        Some(Value::Null) => &[],
        Some(_) => return Err(format!("`{}` is not an array", fields.list)),
        None => return Err(format!("the response has no `{}`", fields.list)),
    };
    let mut page = ListPage {
        page_no: fields
            .page_no
            .as_deref()
            .and_then(|path| scalar_text(lookup(&root, path)))
            .and_then(|text| text.parse().ok()),
        total_page: fields
            .total_page
            .as_deref()
            .and_then(|path| scalar_text(lookup(&root, path)))
            .and_then(|text| text.parse().ok()),
        ..ListPage::default()
    };
    for item in list {
        let id = scalar_text(lookup(item, &fields.id));
        let href = scalar_text(lookup(item, &fields.url));
        let (Some(id), Some(href)) = (id, href) else {
            page.invalid += 1;
            continue;
        };
        page.entries.push(ListEntry {
            id,
            href,
            title: scalar_text(lookup(item, &fields.title)).map(|t| collapse_whitespace(&t)),
            published_on: scalar_text(lookup(item, &fields.date)).and_then(|d| parse_list_date(&d)),
        });
    }
    Ok(page)
}

/// The compiled selectors of an HTML list section.
#[derive(Debug, Clone)]
pub(crate) struct HtmlSelectors {
    item: Selector,
    link: Selector,
    title: Option<Selector>,
    date: Option<Selector>,
}

impl HtmlSelectors {
    /// Compiles the section's selectors.
    pub(crate) fn compile(section: &HtmlListSection) -> Result<Self, String> {
        let one = |name: &str, css: &str| {
            Selector::parse(css)
                .map_err(|e| format!("html_list.{name} `{css}` is not a valid selector: {e}"))
        };
        Ok(Self {
            item: one("item", &section.item)?,
            link: one("link", &section.link)?,
            title: section
                .title
                .as_deref()
                .map(|css| one("title", css))
                .transpose()?,
            date: section
                .date
                .as_deref()
                .map(|css| one("date", css))
                .transpose()?,
        })
    }
}

/// Reads an HTML list page. Rows without a link (table headers, spacers) are
/// not entries; rows whose link has no numeric file stem are invalid. A page
/// nested too deep to be read is an error, found before its tree is built.
pub(crate) fn parse_html_list(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    sel: &HtmlSelectors,
) -> Result<ListPage, String> {
    let text = decode_page(body, content_type, Some(page_url));
    let document = parse_html(&text)?;
    let mut page = ListPage::default();
    for row in document.select(&sel.item) {
        let Some(link) = row.select(&sel.link).next() else {
            continue;
        };
        let Some(href) = link
            .value()
            .attr("href")
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            page.invalid += 1;
            continue;
        };
        let Some(id) = page_url.join(href).ok().as_ref().and_then(item_id_from_url) else {
            page.invalid += 1;
            continue;
        };
        let title = match &sel.title {
            Some(title_sel) => row.select(title_sel).next().map(element_text),
            None => Some(element_text(link)),
        }
        .or_else(|| link.value().attr("title").map(collapse_whitespace))
        .filter(|t| !t.is_empty());
        let published_on = sel
            .date
            .as_ref()
            .and_then(|date_sel| row.select(date_sel).next())
            .and_then(|cell| parse_list_date(&element_text(cell)));
        page.entries.push(ListEntry {
            id,
            href: href.to_owned(),
            title,
            published_on,
        });
    }
    Ok(page)
}

/// Builds the tree of an HTML page, after [`govwire_parser::check_nesting`]
/// found it shallow enough to build in linear time. Every page the crawler
/// reads goes through here.
pub(crate) fn parse_html(text: &str) -> Result<Html, String> {
    govwire_parser::check_nesting(text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Html::parse_document(text))
}

fn element_text(element: ElementRef<'_>) -> String {
    collapse_whitespace(&element.text().collect::<String>())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The item id in a detail URL: the numeric file stem
/// (`…/2025/197/197298.html` → `197298`).
pub(crate) fn item_id_from_url(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let stem = last.split('.').next()?;
    (!stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit())).then(|| stem.to_owned())
}

/// The first date in a list cell: `2025-07-16`, `2025/7/16`, `2025.07.16`,
/// `2025年7月16日`, possibly inside brackets or followed by a time.
pub(crate) fn parse_list_date(text: &str) -> Option<NaiveDate> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
            .expect("the date pattern is valid")
    });
    let caps = DATE.captures(text)?;
    let year = caps[1].parse().ok()?;
    let month = caps[2].parse().ok()?;
    let day = caps[3].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Decodes an HTML page by the parser's rules ([`govwire_parser::decode_html`]:
/// byte-order mark, `Content-Type` charset, `<meta>`, detection, a label the
/// bytes contradict overridden). `page_url` tips detection. Undecodable
/// bytes become U+FFFD rather than failing the page.
pub(crate) fn decode_page(
    body: &[u8],
    content_type: Option<&str>,
    page_url: Option<&Url>,
) -> String {
    let decoded = govwire_parser::decode_html(body, content_type, page_url.map(Url::as_str));
    for warning in &decoded.warnings {
        debug!(url = page_url.map(Url::as_str), message = %warning.message, "Page decoded with a guess.");
    }
    decoded.text.into_owned()
}

/// [`decode_page`] for a page whose URL is not at hand.
pub(crate) fn decode_html(body: &[u8], content_type: Option<&str>) -> String {
    decode_page(body, content_type, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> JsonFields {
        JsonFields {
            list: "data.list".into(),
            id: "id".into(),
            title: "title".into(),
            url: "url".into(),
            date: "display_date".into(),
            page_no: Some("data.pageNo".into()),
            total_page: Some("data.totalPage".into()),
        }
    }

    #[test]
    fn a_json_list_is_read_with_the_profile_paths() {
        let body = br#"{"data":{"list":[
            {"id":"204477","title":"  a  b ","url":"/zhengwu/x/2026/188/204477.html","display_date":"2026-07-07"},
            {"id":204476,"title":"c","url":"https://other.example/1.html","display_date":"bad"},
            {"title":"no id","url":"/x.html"}
        ],"pageNo":"3","totalPage":12}}"#;
        let page = parse_json_list(body, &fields()).expect("valid list");
        assert_eq!(page.page_no, Some(3));
        assert_eq!(page.invalid, 1);
        assert_eq!(page.entries.len(), 2);
        assert_eq!(page.entries[0].id, "204477");
        assert_eq!(page.entries[0].title.as_deref(), Some("a b"));
        assert_eq!(
            page.entries[0].published_on,
            NaiveDate::from_ymd_opt(2026, 7, 7)
        );
        assert_eq!(page.entries[1].id, "204476");
        assert_eq!(page.entries[1].published_on, None);
    }

    #[test]
    fn a_json_response_without_the_list_is_an_error() {
        assert!(parse_json_list(br#"{"data":{}}"#, &fields()).is_err());
        assert!(parse_json_list(b"<html>", &fields()).is_err());
        let empty =
            parse_json_list(br#"{"data":{"list":null,"pageNo":0}}"#, &fields()).expect("null list");
        assert!(empty.entries.is_empty());
    }

    #[test]
    fn the_request_template_is_filled_textually_and_must_be_json() {
        let body = render_request(
            r#"{"channelList":["{channel}"],"pageSize":{page_size},"pageNo":{page}}"#,
            "3",
            2,
            15,
        )
        .expect("valid template");
        assert_eq!(body, r#"{"channelList":["3"],"pageSize":15,"pageNo":2}"#);
        assert!(render_request(r#"{"pageNo":{page}"#, "3", 1, 15).is_err());
    }

    #[test]
    fn an_html_list_row_gives_id_title_and_date() {
        let html = r#"<html><body><table class="list">
            <tr><th>标题</th><th>日期</th></tr>
            <tr><td class="col-30"><a href="/zhengwu/q/2025/197/197298.html"> 关于 答复 </a></td><td class="col-15">2025-07-16</td></tr>
            <tr><td class="col-30"><a href="/zhengwu/q/index.html">not an item</a></td><td class="col-15">2025-07-16</td></tr>
            </table></body></html>"#;
        let section = HtmlListSection {
            url: "/l.html".into(),
            page_url: None,
            item: "table.list tr".into(),
            link: "td.col-30 a".into(),
            title: None,
            date: Some("td.col-15".into()),
        };
        let sel = HtmlSelectors::compile(&section).expect("valid selectors");
        let base = Url::parse("http://127.0.0.1:1/zhengwu/q/index.html").expect("url");
        let page = parse_html_list(
            html.as_bytes(),
            Some("text/html; charset=utf-8"),
            &base,
            &sel,
        )
        .expect("a readable list");
        assert_eq!(page.invalid, 1);
        assert_eq!(
            page.entries,
            vec![ListEntry {
                id: "197298".into(),
                href: "/zhengwu/q/2025/197/197298.html".into(),
                title: Some("关于 答复".into()),
                published_on: NaiveDate::from_ymd_opt(2025, 7, 16),
            }]
        );
    }

    #[test]
    fn a_list_page_nested_200_000_levels_deep_is_refused_before_its_tree_is_built() {
        let section = HtmlListSection {
            url: "/l.html".into(),
            page_url: None,
            item: "table.list tr".into(),
            link: "td a".into(),
            title: None,
            date: None,
        };
        let sel = HtmlSelectors::compile(&section).expect("valid selectors");
        let base = Url::parse("http://127.0.0.1:1/zhengwu/q/index.html").expect("url");
        let depth = 200_000;
        let html = format!(
            "<html><body>{}<table class=\"list\"><tr><td><a href=\"/zhengwu/q/2025/1/1.html\">a</a></td></tr></table>{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );

        let read = parse_html_list(html.as_bytes(), Some("text/html"), &base, &sel);

        let message = read.expect_err("refused");
        assert!(message.contains("nested"), "{message}");
    }

    #[test]
    fn an_invalid_selector_is_a_clear_error() {
        let section = HtmlListSection {
            url: "/l.html".into(),
            page_url: None,
            item: "tr[".into(),
            link: "a".into(),
            title: None,
            date: None,
        };
        let err = HtmlSelectors::compile(&section).expect_err("invalid selector");
        assert!(err.contains("html_list.item"), "{err}");
    }

    #[test]
    fn list_dates_are_found_in_their_usual_forms() {
        let d = NaiveDate::from_ymd_opt(2019, 10, 14);
        assert_eq!(parse_list_date("2019-10-14 14:25:49"), d);
        assert_eq!(parse_list_date("[2019/10/14]"), d);
        assert_eq!(parse_list_date("2019年 10月14日"), d);
        assert_eq!(parse_list_date("2019-13-14"), None);
    }

    #[test]
    fn a_gbk_list_page_labelled_utf8_gives_its_chinese_titles() {
        let html = r#"<html><head><meta charset="utf-8"><title>建议提案办理结果</title></head><body><table class="list">
            <tr><td class="col-30"><a href="/zhengwu/q/2025/197/197298.html">关于区十七届人大五次会议第0231号代表建议的答复</a></td><td class="col-15">2025-07-16</td></tr>
            <tr><td class="col-30"><a href="/zhengwu/q/2025/197/197299.html">关于区政协十五届五次会议第150184号提案的答复</a></td><td class="col-15">2025-07-15</td></tr>
            </table></body></html>"#;
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(html);
        assert!(!unmappable && std::str::from_utf8(&gbk).is_err());
        let section = HtmlListSection {
            url: "/l.html".into(),
            page_url: None,
            item: "table.list tr".into(),
            link: "td.col-30 a".into(),
            title: None,
            date: Some("td.col-15".into()),
        };
        let sel = HtmlSelectors::compile(&section).expect("valid selectors");
        let base = Url::parse("https://www.shpt.gov.cn/zhengwu/q/index.html").expect("url");

        let page = parse_html_list(&gbk, Some("text/html; charset=utf-8"), &base, &sel)
            .expect("a readable list");

        let titles: Vec<_> = page.entries.iter().map(|e| e.title.as_deref()).collect();
        assert_eq!(
            titles,
            vec![
                Some("关于区十七届人大五次会议第0231号代表建议的答复"),
                Some("关于区政协十五届五次会议第150184号提案的答复"),
            ]
        );
        assert_eq!(page.entries[0].id, "197298");
        assert_eq!(
            page.entries[1].published_on,
            NaiveDate::from_ymd_opt(2025, 7, 15)
        );
    }

    #[test]
    fn gbk_pages_are_decoded_by_their_declared_charset() {
        let (bytes, _, _) = encoding_rs::GBK.encode("普陀");
        assert_eq!(decode_html(&bytes, Some("text/html; charset=GBK")), "普陀");
        let mut page = b"<meta charset=\"gb2312\">".to_vec();
        page.extend_from_slice(&bytes);
        assert!(decode_html(&page, None).ends_with("普陀"));
    }
}
