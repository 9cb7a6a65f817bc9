//! The HTML report: one self-contained page (no script, no external font,
//! style sheet or image) of the aggregates, with charts drawn here as
//! inline SVG, labels in Chinese, readable on a phone. Every text that came
//! from a portal (issuers, meetings, words, portal ids) is escaped by
//! [`escape`] before it is written into the page.

mod svg;

use std::fmt::Write;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use govwire_model::labels;
use govwire_store::{Analytics, Count};

use svg::{Columns, Row, Series};

/// Issuers the ranking shows.
const TOP_ISSUERS: usize = 15;
/// Meetings the table shows.
const TOP_MEETINGS: usize = 15;
/// Title words the table shows.
const TOP_WORDS: usize = 30;

/// The colour of a series or a bar that has no colour of its own.
const BLUE: &str = "#2563eb";
/// Updates.
const AMBER: &str = "#d97706";
/// Withdrawals.
const RED: &str = "#dc2626";
/// Restorations.
const GREEN: &str = "#16a34a";

/// What a chart without data shows instead.
const NO_DATA: &str = "<p class=\"empty\">暂无数据</p>";

pub use govwire_model::html::escape;

/// The page's style: system CJK fonts (nothing is fetched), a column at
/// most 880 px wide, charts as wide as the column.
const STYLE: &str = "\
:root{color-scheme:light}\
body{margin:0;background:#f3f4f6;color:#1f2937;line-height:1.6;\
font-family:\"WenQuanYi Zen Hei\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\
\"Microsoft YaHei\",sans-serif}\
main{max-width:880px;margin:0 auto;padding:12px 16px 32px}\
h1{font-size:1.5rem;margin:.6rem 0 .2rem}\
h2{font-size:1.15rem;margin:0 0 .6rem}\
.made{color:#6b7280;font-size:.9rem;margin:0 0 1rem}\
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:10px;margin:0;padding:0}\
.totals div{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}\
.totals dt{color:#6b7280;font-size:.85rem}\
.totals dd{margin:0;font-size:1.6rem;font-weight:bold;font-variant-numeric:tabular-nums}\
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;margin:14px 0}\
svg.chart{display:block;width:100%;height:auto;margin:0 auto}\
svg text{font-size:14px;fill:#374151}\
svg text.value{font-size:12px;fill:#111827}\
svg text.unit,svg text.axis-title{fill:#6b7280}\
.note{color:#4b5563;font-size:.9rem;margin:.4rem 0 0}\
.empty{color:#6b7280;background:#f9fafb;border:1px dashed #d1d5db;border-radius:6px;\
text-align:center;padding:20px;margin:0}\
table{border-collapse:collapse;width:100%;font-size:.95rem}\
th,td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}\
th{color:#4b5563;font-weight:normal}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
h3{font-size:1rem;margin:.8rem 0 .3rem}\
footer{color:#6b7280;font-size:.85rem;margin-top:1rem}\
@media (max-width:480px){main{padding:8px 8px 24px}section{padding:10px 8px}}";

/// The report of `analytics`, made at `made_at`: one HTML page.
pub fn render(analytics: &Analytics, made_at: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
    let mut page = String::with_capacity(32 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>govwire 建议提案答复统计</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>govwire 建议提案答复统计</h1>\n\
         <p class=\"made\">生成于 <time datetime=\"{iso}\">{local}（北京时间）</time></p>\n",
        iso = made_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        local = made_at.with_timezone(&cst).format("%Y-%m-%d %H:%M"),
    );
    totals(&mut page, analytics);
    section(&mut page, "每月发布的答复", &per_month(analytics));
    section(&mut page, "办理结果", &results(analytics));
    section(&mut page, "答复单位（前 15 位）", &issuers(analytics));
    section(&mut page, "从成文到发布的天数", &delays(analytics));
    section(&mut page, "每月更新与撤回", &activity(analytics));
    section(&mut page, "答复与所答建议提案的构成", &make_up(analytics));
    section(&mut page, "标题高频词", &words(analytics));
    page.push_str(
        "<footer>数据来自 govwire 的统计订阅者：每件答复按其最新版本计入（已撤回的答复也计入）；\
         月份按北京时间。</footer>\n</main>\n</body>\n</html>\n",
    );
    page
}

/// Writes a `<section>` with its heading and body.
fn section(page: &mut String, heading: &str, body: &str) {
    let _ = write!(
        page,
        "<section>\n<h2>{}</h2>\n{body}\n</section>\n",
        escape(heading)
    );
}

/// The totals, as a row of figures.
fn totals(page: &mut String, a: &Analytics) {
    let t = &a.totals;
    let _ = write!(page, "<dl class=\"totals\" id=\"totals\">");
    for (id, label, value) in [
        ("total-replies", "答复总数", t.replies),
        ("total-active", "公开中", t.active),
        ("total-withdrawn", "已撤回", t.withdrawn),
        ("total-events", "收到事件", t.events),
        ("total-portals", "门户", a.portals.len() as u64),
    ] {
        let _ = write!(
            page,
            "<div><dt>{label}</dt><dd id=\"{id}\">{value}</dd></div>"
        );
    }
    page.push_str("</dl>\n");
}

/// `count` of `total` as a percentage with one decimal.
fn percent(count: u64, total: u64) -> String {
    if total == 0 {
        return "0%".into();
    }
    format!("{:.1}%", count as f64 * 100.0 / total as f64)
}

/// Every month from the first to the last of `months` (`YYYY-MM`, sorted),
/// gaps included, so the axis is true to time.
fn month_range(months: &[&str]) -> Vec<String> {
    let parse = |m: &str| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok();
    let (Some(first), Some(last)) = (
        months.first().and_then(|m| parse(m)),
        months.last().and_then(|m| parse(m)),
    ) else {
        // Months that are not dates: shown as they are.
        return months.iter().map(|m| m.to_string()).collect();
    };
    let mut out = Vec::new();
    let mut month = first;
    while month <= last && out.len() < 1200 {
        out.push(month.format("%Y-%m").to_string());
        month = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(last + chrono::Days::new(1));
    }
    out
}

/// The labels of a month axis: every month while there are at most a
/// year's worth, else the year under each January (every second, fifth…
/// January when years are too narrow for their labels), and the first
/// month when it is far enough from the first January.
fn month_labels(months: &[String]) -> Vec<Option<String>> {
    if months.len() <= 12 {
        return months.iter().cloned().map(Some).collect();
    }
    // Room a label needs, in months of the axis.
    let month_w = svg::COLUMNS_WIDTH * 0.9 / months.len() as f64;
    let room = (64.0 / month_w).ceil() as usize;
    let years_apart = [1, 2, 5, 10, 20, 50]
        .into_iter()
        .find(|y| y * 12 >= room)
        .unwrap_or(100);
    let first_january = months.iter().position(|m| m.ends_with("-01"));
    months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let year = m.get(..4).unwrap_or(m);
            let january = m.ends_with("-01");
            let year_shown = year.parse::<usize>().is_ok_and(|y| y % years_apart == 0);
            if january && year_shown {
                Some(format!("{year}年"))
            } else if i == 0 && first_january.is_none_or(|j| j >= room) {
                Some(m.clone())
            } else {
                None
            }
        })
        .collect()
}

/// The prefix every name in `names` shares, up to its last `区`, `市` or
/// `县` (`上海市普陀区`), when there are several names and each keeps
/// something after it: what a ranking of organs of one place can leave
/// out.
fn shared_place(names: &[&str]) -> Option<String> {
    let (first, rest) = names.split_first()?;
    if rest.is_empty() {
        return None;
    }
    let mut common: Vec<char> = first.chars().collect();
    for name in rest {
        let n = common
            .iter()
            .zip(name.chars())
            .take_while(|(a, b)| **a == *b)
            .count();
        common.truncate(n);
    }
    let end = common
        .iter()
        .rposition(|c| matches!(c, '区' | '市' | '县'))?
        + 1;
    let prefix: String = common[..end].iter().collect();
    names
        .iter()
        .all(|n| n.len() > prefix.len())
        .then_some(prefix)
}

fn per_month(a: &Analytics) -> String {
    if a.published_months.is_empty() {
        let mut out = NO_DATA.to_string();
        if a.published_unknown > 0 {
            let _ = write!(
                out,
                "<p class=\"note\">发布日期未知的答复：{} 件。</p>",
                a.published_unknown
            );
        }
        return out;
    }
    let months: Vec<&str> = a
        .published_months
        .iter()
        .map(|m| m.month.as_str())
        .collect();
    let categories = month_range(&months);
    let values = categories
        .iter()
        .map(|c| {
            a.published_months
                .iter()
                .find(|m| &m.month == c)
                .map_or(0, |m| m.count)
        })
        .collect();
    let mut out = svg::columns(&Columns {
        id: "chart-months",
        title: "每月发布的答复数",
        desc: "按发布日期（published_on）所在月份统计的答复件数。",
        categories: &categories,
        series: &[Series {
            name: "答复".into(),
            color: BLUE,
            values,
        }],
        y_unit: "件",
        x_title: "发布月份",
        labels: Some(&month_labels(&categories)),
    });
    let _ = write!(
        out,
        "\n<p class=\"note\">横轴从 {} 到 {}。共 {} 件有发布日期；发布日期未知的 {} 件未计入图中。</p>",
        escape(categories.first().map_or("", String::as_str)),
        escape(categories.last().map_or("", String::as_str)),
        a.totals.replies - a.published_unknown,
        a.published_unknown
    );
    out
}

/// A handling-result category's label; none (no result, or words outside
/// the vocabulary): 未注明或未识别.
fn result_label(key: Option<&str>) -> String {
    match key {
        Some(key) => labels::result_label(key).to_string(),
        None => "未注明或未识别".into(),
    }
}

/// A reply kind's label; none: 未识别.
fn reply_kind_label(key: Option<&str>) -> String {
    key.map_or_else(|| "未识别".into(), |k| labels::reply_kind_label(k).into())
}

/// A proposal kind's label; none: 未识别.
fn proposal_kind_label(key: Option<&str>) -> String {
    key.map_or_else(
        || "未识别".into(),
        |k| labels::proposal_kind_label(k).into(),
    )
}

/// A meeting level's label; none: 未识别.
fn level_label(key: Option<&str>) -> String {
    key.map_or_else(|| "未识别".into(), |k| labels::level_label(k).into())
}

/// The colour of a handling-result category.
fn result_color(key: Option<&str>) -> &'static str {
    match key {
        Some("adopted") => "#15803d",
        Some("partially_adopted") => "#65a30d",
        Some("planned") => "#2563eb",
        Some("for_reference") => "#d97706",
        Some("cannot_solve") => "#dc2626",
        _ => "#9ca3af",
    }
}

/// Rows of a horizontal bar chart from counts, each with its share of
/// `total`.
fn count_rows(
    counts: &[Count],
    total: u64,
    label: impl Fn(Option<&str>) -> String,
    color: impl Fn(Option<&str>) -> &'static str,
) -> Vec<Row> {
    counts
        .iter()
        .map(|c| Row {
            label: label(c.key.as_deref()),
            value: c.count,
            note: format!("{} 件 · {}", c.count, percent(c.count, total)),
            color: color(c.key.as_deref()),
        })
        .collect()
}

fn results(a: &Analytics) -> String {
    if a.result_categories.is_empty() {
        return NO_DATA.into();
    }
    let rows = count_rows(
        &a.result_categories,
        a.totals.replies,
        result_label,
        result_color,
    );
    svg::rows(
        "chart-results",
        "办理结果构成",
        "各办理结果类别的答复件数及其占答复总数的百分比。",
        &rows,
    )
}

fn issuers(a: &Analytics) -> String {
    if a.issuers.is_empty() {
        return NO_DATA.into();
    }
    let named: Vec<Count> = a
        .issuers
        .iter()
        .filter(|c| c.key.is_some())
        .take(TOP_ISSUERS)
        .cloned()
        .collect();
    let unnamed = a
        .issuers
        .iter()
        .find(|c| c.key.is_none())
        .map_or(0, |c| c.count);
    let names: Vec<&str> = named.iter().filter_map(|c| c.key.as_deref()).collect();
    let place = shared_place(&names);
    let mut out = if named.is_empty() {
        NO_DATA.to_string()
    } else {
        let rows = count_rows(
            &named,
            a.totals.replies,
            |k| {
                let name = k.unwrap_or_default();
                place
                    .as_deref()
                    .and_then(|p| name.strip_prefix(p))
                    .unwrap_or(name)
                    .to_string()
            },
            |_| BLUE,
        );
        svg::rows(
            "chart-issuers",
            "答复单位排名",
            "答复件数最多的答复单位（发文机关），按件数排列。",
            &rows,
        )
    };
    let named_total = a.issuers.iter().filter(|c| c.key.is_some()).count();
    let _ = write!(
        out,
        "\n<p class=\"note\">共 {named_total} 个答复单位{}{}</p>",
        if named_total > TOP_ISSUERS {
            format!("，图中为前 {TOP_ISSUERS} 个")
        } else {
            String::new()
        },
        if unnamed > 0 {
            format!("；另有 {unnamed} 件未能识别答复单位。")
        } else {
            "。".into()
        },
    );
    if let Some(place) = place {
        let _ = write!(
            out,
            "<p class=\"note\">图中单位名称省略了共同的前缀“{}”。</p>",
            escape(&place)
        );
    }
    out
}

fn delays(a: &Analytics) -> String {
    let d = &a.delay;
    if d.with_dates == 0 {
        return format!(
            "{NO_DATA}\n<p class=\"note\">成文日期与发布日期都已知的答复：0 件（缺少其一的 {} 件）。</p>",
            d.without_dates
        );
    }
    let categories: Vec<String> = d
        .buckets
        .iter()
        .map(|b| match b.max_days {
            Some(max) => format!("{}–{}", b.min_days, max),
            None => format!("{} 以上", b.min_days),
        })
        .collect();
    let mut out = svg::columns(&Columns {
        id: "chart-delay",
        title: "从成文到发布的天数分布",
        desc: "成文日期（signed_on）到发布日期（published_on）相隔的天数，按区间统计的答复件数。",
        categories: &categories,
        series: &[Series {
            name: "答复".into(),
            color: BLUE,
            values: d.buckets.iter().map(|b| b.count).collect(),
        }],
        y_unit: "件",
        x_title: "成文至发布（天）",
        labels: None,
    });
    let days = |v: Option<i64>| v.map_or("—".to_string(), |v| format!("{v} 天"));
    let _ = write!(
        out,
        "\n<p class=\"note\" id=\"delay-summary\">中位数 <strong>{}</strong>，\
         90% 的答复在 <strong>{}</strong> 内发布（p90）。两个日期都已知的 {} 件{}；缺少其一的 {} 件未计入。</p>",
        days(d.median_days),
        days(d.p90_days),
        d.with_dates,
        if d.negative > 0 {
            format!("（其中 {} 件发布日期早于成文日期，不在图中）", d.negative)
        } else {
            String::new()
        },
        d.without_dates,
    );
    out
}

fn activity(a: &Analytics) -> String {
    let months: Vec<&str> = a.event_months.iter().map(|m| m.month.as_str()).collect();
    let any = a
        .event_months
        .iter()
        .any(|m| m.updated + m.withdrawn + m.restored > 0);
    if !any {
        return format!("{NO_DATA}\n<p class=\"note\">尚未收到答复更新、撤回或恢复的事件。</p>");
    }
    let categories = month_range(&months);
    let pick = |f: fn(&govwire_store::MonthActivity) -> u64| -> Vec<u64> {
        categories
            .iter()
            .map(|c| a.event_months.iter().find(|m| &m.month == c).map_or(0, f))
            .collect()
    };
    let mut series = vec![
        Series {
            name: "更新".into(),
            color: AMBER,
            values: pick(|m| m.updated),
        },
        Series {
            name: "撤回".into(),
            color: RED,
            values: pick(|m| m.withdrawn),
        },
    ];
    let restored = pick(|m| m.restored);
    if restored.iter().any(|&v| v > 0) {
        series.push(Series {
            name: "恢复".into(),
            color: GREEN,
            values: restored,
        });
    }
    svg::columns(&Columns {
        id: "chart-activity",
        title: "每月的答复更新与撤回",
        desc: "govwire 每月发现的答复内容更新、撤回（门户不再提供）与恢复的事件数，按事件时间（北京时间）统计。",
        categories: &categories,
        series: &series,
        y_unit: "件",
        x_title: "事件月份",
        labels: Some(&month_labels(&categories)),
    })
}

fn make_up(a: &Analytics) -> String {
    if a.totals.replies == 0 {
        return NO_DATA.into();
    }
    let total = a.totals.replies;
    let mut out = String::new();
    for (id, heading, counts, label) in [
        (
            "chart-reply-kinds",
            "答复类型",
            &a.reply_kinds,
            reply_kind_label as fn(Option<&str>) -> String,
        ),
        (
            "chart-proposal-kinds",
            "建议或提案",
            &a.proposal_kinds,
            proposal_kind_label,
        ),
        (
            "chart-levels",
            "市级或区级",
            &a.proposal_levels,
            level_label,
        ),
    ] {
        let rows = count_rows(counts, total, label, |k| {
            if k.is_some() {
                BLUE
            } else {
                "#9ca3af"
            }
        });
        let _ = writeln!(
            out,
            "<h3>{heading}</h3>{}",
            svg::rows(id, heading, &format!("按{heading}统计的答复件数。"), &rows)
        );
    }
    out.push_str(&count_table(
        "按门户",
        "门户",
        &a.portals,
        total,
        usize::MAX,
        "未注明",
    ));
    out.push_str(&count_table(
        "按会议",
        "会议",
        &a.meetings,
        total,
        TOP_MEETINGS,
        "未注明会议",
    ));
    out
}

/// A table of counts with their shares, at most `limit` rows.
fn count_table(
    heading: &str,
    what: &str,
    counts: &[Count],
    total: u64,
    limit: usize,
    none: &str,
) -> String {
    let mut out = format!(
        "<h3>{}</h3><table><thead><tr><th>{}</th><th class=\"num\">件数</th>\
         <th class=\"num\">占比</th></tr></thead><tbody>",
        escape(heading),
        escape(what)
    );
    for c in counts.iter().take(limit) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(c.key.as_deref().unwrap_or(none)),
            c.count,
            percent(c.count, total)
        );
    }
    out.push_str("</tbody></table>");
    if counts.len() > limit {
        let _ = write!(
            out,
            "<p class=\"note\">另有 {} 项未列出。</p>",
            counts.len() - limit
        );
    }
    out
}

fn words(a: &Analytics) -> String {
    if a.title_words.is_empty() {
        return NO_DATA.into();
    }
    let mut out = String::from(
        "<table id=\"words\"><thead><tr><th class=\"num\">#</th><th>词</th>\
         <th class=\"num\">出现次数</th><th class=\"num\">涉及答复</th></tr></thead><tbody>",
    );
    for (i, w) in a.title_words.iter().take(TOP_WORDS).enumerate() {
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{} 件</td></tr>",
            i + 1,
            escape(&w.word),
            w.count,
            w.replies
        );
    }
    out.push_str(
        "</tbody></table>\n<p class=\"note\">词取自答复标题及所答建议、提案的题目，\
         已去掉“关于”“答复”“代表”“会议”等套语、数字和单字。</p>",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_ampersands() {
        assert_eq!(
            escape("<script>alert('x')</script> A&B \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; A&amp;B &quot;q&quot;"
        );
        assert_eq!(escape("区教育局"), "区教育局");
    }

    fn count(key: &str, count: u64) -> Count {
        Count {
            key: Some(key.into()),
            count,
        }
    }

    #[test]
    fn scraped_strings_are_escaped_wherever_the_report_writes_them() {
        let hostile = "<script>alert(1)</script> & 区教育局";
        let analytics = Analytics {
            totals: govwire_store::AnalyticsTotals {
                replies: 2,
                active: 2,
                withdrawn: 0,
                events: 2,
            },
            portals: vec![count("a&b", 2)],
            published_months: vec![govwire_store::MonthCount {
                month: "2025-07".into(),
                count: 2,
            }],
            published_unknown: 0,
            result_categories: vec![count("<i>new</i>", 2)],
            reply_kinds: vec![count("answer", 2)],
            proposal_kinds: vec![count("member_proposal", 2)],
            proposal_levels: vec![count("district", 2)],
            meetings: vec![count(hostile, 2)],
            issuers: vec![count(hostile, 2)],
            delay: govwire_store::DelayDistribution {
                with_dates: 0,
                without_dates: 2,
                negative: 0,
                median_days: None,
                p90_days: None,
                buckets: vec![],
            },
            event_months: vec![],
            title_words: vec![govwire_store::WordCount {
                word: "<b>电梯</b>".into(),
                count: 2,
                replies: 2,
            }],
        };
        let html = render(&analytics, Utc::now());
        for raw in ["<script", "<i>", "<b>", "a&b"] {
            assert!(!html.contains(raw), "{raw} written unescaped");
        }
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; 区教育局"));
        assert!(html.contains("a&amp;b"));
        assert!(html.contains("&lt;i&gt;new&lt;/i&gt;"));
        assert!(html.contains("&lt;b&gt;电梯&lt;/b&gt;"));
    }

    #[test]
    fn the_month_axis_has_every_month_between_the_first_and_the_last() {
        assert_eq!(
            month_range(&["2022-11", "2023-02"]),
            ["2022-11", "2022-12", "2023-01", "2023-02"]
        );
        assert_eq!(month_range(&[]), Vec::<String>::new());
    }

    #[test]
    fn organs_of_one_place_are_ranked_without_the_place() {
        assert_eq!(
            shared_place(&[
                "上海市普陀区教育局",
                "上海市普陀区教育学院",
                "上海市普陀区人民政府"
            ]),
            Some("上海市普陀区".into())
        );
        assert_eq!(shared_place(&["上海市普陀区教育局"]), None);
        assert_eq!(shared_place(&["上海市普陀区", "上海市普陀区教育局"]), None);
        assert_eq!(shared_place(&["区教育局", "市教育局"]), None);
    }

    #[test]
    fn a_long_month_axis_is_labelled_by_year() {
        let months = month_range(&["2019-03", "2021-02"]);
        let labels: Vec<String> = month_labels(&months).into_iter().flatten().collect();
        assert_eq!(labels, ["2019-03", "2020年", "2021年"]);
        let months = month_range(&["2019-07", "2026-07"]);
        let labels: Vec<String> = month_labels(&months).into_iter().flatten().collect();
        assert_eq!(labels[0], "2020年", "the first month is too close to label");
        let decades = month_range(&["1990-01", "2026-07"]);
        let labels: Vec<String> = month_labels(&decades).into_iter().flatten().collect();
        assert_eq!(labels, ["1990年", "2000年", "2010年", "2020年"]);
        let short = month_range(&["2025-11", "2026-01"]);
        assert_eq!(month_labels(&short).iter().flatten().count(), 3);
    }
}
