//! The list page: the search form with every filter (refilled with what
//! was asked), the count, one row per reply (with the matched words marked
//! when a search found them), and the link to the next page.
//!
//! [`ListView`] is what the page shows, whatever query filled it;
//! [`render_list`] writes it.

use std::fmt::Write;

use chrono::NaiveDate;
use govwire_model::html::escape;
use govwire_model::{labels, HandlingResult};
use govwire_store::ArchiveStatus;
use serde::Deserialize;

use super::layout::{date_cn, page, reply_href};

/// One page of the list, as the page shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListView {
    /// The replies on this page, in the order the query returned them.
    pub rows: Vec<ListRow>,
    /// How many replies match the filters over all pages.
    pub total: u64,
    /// The filters asked for, to refill the form.
    pub filters: ListFilters,
    /// The link (path and query) to the next page; `None` on the last.
    pub next_page: Option<String>,
    /// The link to the first page when this is not the first one.
    pub first_page: Option<String>,
}

/// One reply in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    /// The reply's id, for its link.
    pub reply_id: String,
    /// 标题.
    pub title: String,
    /// 发文字号.
    pub doc_number: Option<String>,
    /// 主送机关.
    pub addressee: Option<String>,
    /// 办理结果 as written, with its category.
    pub handling_result: Option<HandlingResult>,
    /// 发布日期.
    pub published_on: Option<NaiveDate>,
    /// Whether the portal still serves it.
    pub status: ArchiveStatus,
    /// Where a search's words were found, when the list answers a search.
    pub snippet: Option<Snippet>,
}

pub use govwire_store::Snippet;

/// The list's filters as the form sends them (query parameters of `GET
/// /`); an empty field is no filter. Vocabulary filters carry the record's
/// serde names (`adopted`, `member_proposal`, `district`); dates are
/// `YYYY-MM-DD` (发布日期, both ends included); `status` is `active` or
/// `withdrawn`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ListFilters {
    /// Portal short id (`shpt`).
    pub portal: Option<String>,
    /// Handling-result category.
    pub result: Option<String>,
    /// Reply kind.
    pub reply_kind: Option<String>,
    /// Proposal kind.
    pub proposal_kind: Option<String>,
    /// Proposal level.
    pub proposal_level: Option<String>,
    /// Meeting, as written (`区十五届政协五次会议`).
    pub meeting: Option<String>,
    /// Addressee, as written.
    pub addressee: Option<String>,
    /// Issuing organ, as written.
    pub issuer: Option<String>,
    /// Published on or after.
    pub from: Option<String>,
    /// Published on or before.
    pub to: Option<String>,
    /// `active` or `withdrawn`.
    pub status: Option<String>,
    /// Words searched in titles and bodies.
    pub q: Option<String>,
}

impl ListFilters {
    /// The filters with empty and blank values removed.
    pub fn normalized(mut self) -> Self {
        for field in self.fields_mut() {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        self
    }

    /// Whether any filter is set.
    pub fn any(&self) -> bool {
        self.pairs().next().is_some()
    }

    /// The set filters as `(parameter, value)` pairs, in the form's order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("q", &self.q),
            ("portal", &self.portal),
            ("result", &self.result),
            ("reply_kind", &self.reply_kind),
            ("proposal_kind", &self.proposal_kind),
            ("proposal_level", &self.proposal_level),
            ("meeting", &self.meeting),
            ("addressee", &self.addressee),
            ("issuer", &self.issuer),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.as_deref().map(|v| (name, v)))
    }

    /// The set filters as a query string (without `?`), each value
    /// percent-encoded: what a link to another page of the same list
    /// carries.
    pub fn query_string(&self) -> String {
        let pairs: Vec<String> = self
            .pairs()
            .map(|(name, value)| format!("{name}={}", super::layout::encode_component(value)))
            .collect();
        pairs.join("&")
    }

    fn fields_mut(&mut self) -> [&mut Option<String>; 12] {
        [
            &mut self.portal,
            &mut self.result,
            &mut self.reply_kind,
            &mut self.proposal_kind,
            &mut self.proposal_level,
            &mut self.meeting,
            &mut self.addressee,
            &mut self.issuer,
            &mut self.from,
            &mut self.to,
            &mut self.status,
            &mut self.q,
        ]
    }
}

/// The list page.
pub fn render_list(view: &ListView) -> String {
    let f = &view.filters;
    let mut main = String::with_capacity(16 * 1024);
    main.push_str("<h1>建议提案办理答复档案</h1>\n");
    form(&mut main, f);

    let _ = writeln!(
        main,
        "<section class=\"box\" id=\"results\"><h2>{} <span class=\"muted small\" id=\"total\">共 {} 件</span></h2>",
        if f.any() { "查询结果" } else { "全部答复" },
        view.total
    );
    if view.rows.is_empty() {
        main.push_str("<p class=\"empty-result\">没有找到符合条件的答复</p>\n");
    } else {
        main.push_str(
            "<table class=\"stack\" id=\"replies\"><thead><tr><th>标题</th><th>发文字号</th>\
             <th>主送</th><th>办理结果</th><th class=\"num\">发布日期</th><th>状态</th></tr></thead><tbody>\n",
        );
        for row in &view.rows {
            list_row(&mut main, row);
        }
        main.push_str("</tbody></table>\n");
    }
    if view.next_page.is_some() || view.first_page.is_some() {
        main.push_str("<nav class=\"pager\">");
        if let Some(first) = &view.first_page {
            let _ = write!(main, "<a href=\"{}\">« 第一页</a>", escape(first));
        }
        if let Some(next) = &view.next_page {
            let _ = write!(
                main,
                "<a href=\"{}\" rel=\"next\">下一页 »</a>",
                escape(next)
            );
        }
        main.push_str("</nav>");
    }
    main.push_str("</section>\n");
    let title = match &f.q {
        Some(q) => format!("搜索“{q}”"),
        None => "建议提案办理答复档案".into(),
    };
    page(&title, &main)
}

/// One row of the table.
fn list_row(out: &mut String, row: &ListRow) {
    let dash = || "<span class=\"muted\">—</span>".to_string();
    let result = match &row.handling_result {
        Some(h) => {
            let category = h
                .category
                .filter(|c| labels::handling_category(*c) != h.raw)
                .map(|c| {
                    format!(
                        "<br><span class=\"badge cat\">{}</span>",
                        labels::handling_category(c)
                    )
                })
                .unwrap_or_default();
            format!("{}{category}", escape(&h.raw))
        }
        None => dash(),
    };
    let status = match row.status {
        ArchiveStatus::Active => "<span class=\"badge active\">公开中</span>",
        ArchiveStatus::Withdrawn => "<span class=\"badge withdrawn\">已撤回</span>",
    };
    let snippet = row
        .snippet
        .as_ref()
        .map(|s| {
            format!(
                "<p class=\"snippet\">…{}<mark>{}</mark>{}…</p>",
                escape(&s.before),
                escape(&s.matched),
                escape(&s.after)
            )
        })
        .unwrap_or_default();
    // A cell without a value is hidden on a phone, where each row is a card.
    let class = |classes: &str, absent: bool| match (classes, absent) {
        ("", false) => String::new(),
        ("", true) => " class=\"none\"".to_string(),
        (c, false) => format!(" class=\"{c}\""),
        (c, true) => format!(" class=\"{c} none\""),
    };
    let _ = writeln!(
        out,
        "<tr><td class=\"title\"><a href=\"{href}\">{title}</a>{snippet}</td>\
         <td data-label=\"发文字号\"{}>{number}</td><td data-label=\"主送\"{}>{addressee}</td>\
         <td data-label=\"办理结果\"{}>{result}</td><td data-label=\"发布日期\"{}>{date}</td>\
         <td data-label=\"状态\">{status}</td></tr>",
        class("docno", row.doc_number.is_none()),
        class("", row.addressee.is_none()),
        class("", row.handling_result.is_none()),
        class("num", row.published_on.is_none()),
        href = escape(&reply_href(&row.reply_id, None)),
        title = escape(&row.title),
        number = row.doc_number.as_deref().map_or_else(dash, escape),
        addressee = row.addressee.as_deref().map_or_else(dash, escape),
        date = row.published_on.map_or_else(dash, date_cn),
    );
}

/// A text input named `name`, refilled with `value`.
fn input(out: &mut String, label: &str, name: &str, kind: &str, value: &Option<String>) {
    let _ = write!(
        out,
        "<label>{label}<input type=\"{kind}\" name=\"{name}\" value=\"{}\"></label>",
        escape(value.as_deref().unwrap_or(""))
    );
}

/// A select named `name` over `options` (value, label), with `value`
/// selected; a value the options do not hold is kept as an extra option,
/// so a form sent again asks the same.
fn select(
    out: &mut String,
    label: &str,
    name: &str,
    options: &[(String, &str)],
    value: &Option<String>,
) {
    let _ = write!(
        out,
        "<label>{label}<select name=\"{name}\"><option value=\"\">全部</option>"
    );
    let chosen = value.as_deref();
    for (key, text) in options {
        let selected = if chosen == Some(key.as_str()) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<option value=\"{}\"{selected}>{}</option>",
            escape(key),
            escape(text)
        );
    }
    if let Some(other) = chosen.filter(|v| !options.iter().any(|(k, _)| k == v)) {
        let _ = write!(
            out,
            "<option value=\"{0}\" selected>{0}</option>",
            escape(other)
        );
    }
    out.push_str("</select></label>");
}

/// The search form, every filter refilled.
fn form(out: &mut String, f: &ListFilters) {
    out.push_str(
        "<section class=\"box\" id=\"search\"><form class=\"filters\" method=\"get\" action=\"/\" role=\"search\">",
    );
    let _ = write!(
        out,
        "<label class=\"q\">搜索标题和正文<input type=\"search\" name=\"q\" value=\"{}\" \
         placeholder=\"例如：加装电梯、中以创新园\"></label>",
        escape(f.q.as_deref().unwrap_or(""))
    );
    let results: Vec<(String, &str)> = labels::HANDLING_CATEGORIES
        .iter()
        .map(|c| (labels::key(c), labels::handling_category(*c)))
        .collect();
    select(out, "办理结果", "result", &results, &f.result);
    let kinds: Vec<(String, &str)> = labels::REPLY_KINDS
        .iter()
        .map(|k| (labels::key(k), labels::reply_kind(*k)))
        .collect();
    select(out, "答复类型", "reply_kind", &kinds, &f.reply_kind);
    let proposals: Vec<(String, &str)> = labels::PROPOSAL_KINDS
        .iter()
        .map(|k| (labels::key(k), labels::proposal_kind(*k)))
        .collect();
    select(
        out,
        "建议或提案",
        "proposal_kind",
        &proposals,
        &f.proposal_kind,
    );
    let levels: Vec<(String, &str)> = labels::LEVELS
        .iter()
        .map(|l| (labels::key(l), labels::level(*l)))
        .collect();
    select(out, "级别", "proposal_level", &levels, &f.proposal_level);
    let statuses = [
        (ArchiveStatus::Active.as_str().to_string(), "公开中"),
        (ArchiveStatus::Withdrawn.as_str().to_string(), "已撤回"),
    ];
    select(out, "状态", "status", &statuses, &f.status);
    input(out, "会议", "meeting", "text", &f.meeting);
    input(out, "主送", "addressee", "text", &f.addressee);
    input(out, "答复单位", "issuer", "text", &f.issuer);
    input(out, "门户", "portal", "text", &f.portal);
    input(out, "发布日期自", "from", "date", &f.from);
    input(out, "发布日期至", "to", "date", &f.to);
    out.push_str("<div class=\"actions\"><button type=\"submit\">查询</button>");
    if f.any() {
        out.push_str("<a href=\"/\">清除条件</a>");
    }
    out.push_str("</div></form></section>\n");
}
