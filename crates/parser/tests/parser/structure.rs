//! The document's structure on pages shaped as real portals shape them: the
//! head's 版头 marks, letter-format banners, separators, unreadable doc
//! numbers and date/source lines; titles over two lines; long headings;
//! tables in the body; joint signatories; page furniture. Each page is the
//! real reply (普府〔2022〕55号) with one thing changed, so the record must be
//! the real record with at most that thing changed.

use govwire_model::{Reply, Warning};
use govwire_parser::parse_page;
use serde_json::{json, Value};

use crate::support::*;

/// The real reply's title line as the text writes it.
const TITLE_LINE: &str = "对市十五届人大六次会议 第0184号代表建议的答复";

/// The real reply's lines after `edit`.
fn real_with(edit: impl FnOnce(&mut Vec<String>)) -> Vec<String> {
    let mut lines = real_lines();
    edit(&mut lines);
    lines
}

/// Where `line` stands in `lines`; panics when it is not there.
fn position(lines: &[String], line: &str) -> usize {
    lines
        .iter()
        .position(|l| l == line)
        .unwrap_or_else(|| panic!("the real reply has no line `{line}`"))
}

/// Puts `new` in place of the line `old`.
fn replace(lines: &mut Vec<String>, old: &str, new: &[&str]) {
    let at = position(lines, old);
    lines.splice(at..=at, new.iter().map(|s| s.to_string()));
}

/// Puts `new` before the line `anchor`.
fn insert_before(lines: &mut Vec<String>, anchor: &str, new: &[&str]) {
    let at = position(lines, anchor);
    lines.splice(at..at, new.iter().map(|s| s.to_string()));
}

/// Puts `new` after the line `anchor`.
fn insert_after(lines: &mut Vec<String>, anchor: &str, new: &[&str]) {
    let at = position(lines, anchor) + 1;
    lines.splice(at..at, new.iter().map(|s| s.to_string()));
}

/// The page of `lines` in the body-only layout under `h1`, as HTML.
fn page_html(lines: &[String], h1: Option<&str>) -> String {
    render(
        &Layout {
            h1,
            ..Layout::default()
        },
        lines,
    )
}

/// The record of a page's HTML; panics unless the page is a reply.
fn parse_html(html: String) -> Reply {
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the page parses");
    reply_of(&parsed).clone()
}

/// The record of `lines` served under the real title.
fn parse_lines(lines: &[String]) -> Reply {
    parse_html(page_html(lines, Some(TITLE_LINE)))
}

fn warnings_json(warnings: &[Warning]) -> Value {
    serde_json::to_value(warnings).expect("warnings serialize")
}

#[test]
fn a_letter_format_banner_is_kept_as_written_and_the_doc_number_stands_alone() {
    let reply = parse_lines(&real_with(|l| {
        replace(l, "上海市普陀区人民政府文件", &["上海市普陀区人民政府"]);
    }));
    let mut expected = real_expected();
    expected["issuer_banner"] = json!("上海市普陀区人民政府");
    assert_json_eq(&expected, &content_json(&reply), "district letter");

    let reply = parse_lines(&real_with(|l| {
        replace(
            l,
            "上海市普陀区人民政府文件",
            &["上海市普陀区绿化和市容管理局"],
        );
        replace(l, "普府〔2022〕55号", &["普绿容〔2022〕55号"]);
    }));
    let mut expected = real_expected();
    expected["id"] = json!("shpt:普绿容〔2022〕55号");
    expected["doc_number"] = json!("普绿容〔2022〕55号");
    expected["issuer_banner"] = json!("上海市普陀区绿化和市容管理局");
    expected["issuer"] = json!("上海市普陀区绿化和市容管理局");
    assert_json_eq(&expected, &content_json(&reply), "bureau letter");
}

#[test]
fn copy_numbers_urgency_and_secrecy_marks_above_the_banner_are_not_the_doc_number() {
    for marks in [
        &["特急"][..],
        &["000123"],
        &["份号：000123"],
        &["000123", "加急"],
        &["000035　特急"],
        &["机密★1年", "特急"],
    ] {
        let reply = parse_lines(&real_with(|l| {
            insert_before(l, "上海市普陀区人民政府文件", marks);
        }));
        assert_json_eq(
            &real_expected(),
            &content_json(&reply),
            &format!("marks {marks:?}"),
        );
    }
}

#[test]
fn a_separator_or_star_line_in_the_head_is_skipped() {
    for separator in ["━━━━━━━━━━━━━━━━", "★", "———————————"]
    {
        let reply = parse_lines(&real_with(|l| {
            insert_after(l, "普府〔2022〕55号", &[separator]);
        }));
        assert_json_eq(&real_expected(), &content_json(&reply), separator);
    }
}

#[test]
fn a_label_without_its_colon_takes_its_value_from_the_next_line() {
    let reply = parse_lines(&real_with(|l| {
        replace(l, "办理结果：解决采纳", &["办理结果", "部分采纳"]);
    }));
    let mut expected = real_expected();
    expected["handling_result"] = json!({"raw": "部分采纳", "category": "partially_adopted"});
    assert_json_eq(&expected, &content_json(&reply), "bare 办理结果");
}

#[test]
fn an_unreadable_doc_number_is_warned_about_and_the_rest_of_the_head_is_read() {
    let reply = parse_lines(&real_with(|l| {
        replace(l, "普府〔2022〕55号", &["普府2022年55号"]);
    }));
    let mut expected = real_expected();
    expected["id"] = json!("shpt:197298");
    expected["doc_number"] = Value::Null;
    expected["warnings"] = warnings_json(&[Warning::new(
        "doc_number",
        "The line `普府2022年55号` looks like a doc number but does not read as one (机关代字〔YYYY〕N号); it was not taken as the document's doc number.",
    )]);
    assert_json_eq(&expected, &content_json(&reply), "unreadable doc number");
}

#[test]
fn a_doc_number_written_with_the_traditional_hao_is_read() {
    let reply = parse_lines(&real_with(|l| {
        replace(l, "普府〔2022〕55号", &["普府〔2022〕55號"]);
    }));
    assert_json_eq(&real_expected(), &content_json(&reply), "號");
}

#[test]
fn an_unknown_line_above_the_addressee_is_left_out_with_a_warning() {
    let reply = parse_lines(&real_with(|l| {
        insert_after(l, TITLE_LINE, &["普陀区人民政府门户网站"]);
    }));
    let mut expected = real_expected();
    expected["warnings"] = warnings_json(&[Warning::new(
        "body",
        "The line `普陀区人民政府门户网站` before the addressee is no element of a document's head that govwire knows; it was left out of the record.",
    )]);
    assert_json_eq(&expected, &content_json(&reply), "unknown head line");
}

#[test]
fn a_title_over_two_lines_is_read_whole_and_beats_a_truncated_heading() {
    let full = "关于对市十五届人大六次会议第0184号代表建议的答复";
    let lines = real_with(|l| {
        replace(
            l,
            TITLE_LINE,
            &["关于对市十五届人大六次会议第0184号代表建议", "的答复"],
        );
    });
    let mut expected = real_expected();
    expected["title"] = json!(full);
    for h1 in [
        Some("关于对市十五届人大六次会议第0184号代表..."),
        Some("关于对市十五届人大六次会议第0184号代表"),
        Some(full),
        None,
    ] {
        let reply = parse_html(page_html(&lines, h1));
        let mut expected = expected.clone();
        if h1.is_none() {
            // Without a title element, the title line is the title, and
            // the record says the profile's selector found none.
            expected["warnings"] = warnings_json(&[Warning::new(
                "title",
                "No title selector of the profile matched; the title was taken from the document's title line.",
            )]);
        }
        assert_json_eq(&expected, &content_json(&reply), &format!("h1 {h1:?}"));
    }
}

#[test]
fn a_long_numbered_heading_without_a_full_stop_stays_a_heading() {
    let heading =
        "一、关于加快推进中以（上海）创新园建设与张江高新区普陀园联动发展方面的工作推进情况";
    let reply = parse_lines(&real_with(|l| {
        replace(l, "一、工作推进情况", &[heading]);
    }));
    let mut expected = real_expected();
    expected["body"]["sections"][1]["heading"] = json!(heading);
    assert_json_eq(&expected, &content_json(&reply), "long heading");
}

#[test]
fn joint_signatories_keep_the_lead_organ_with_a_warning_and_none_leaks_into_the_body() {
    let reply = parse_lines(&real_with(|l| {
        replace(
            l,
            "上海市普陀区人民政府",
            &["上海市普陀区发展和改革委员会", "上海市普陀区科学技术委员会"],
        );
    }));
    let mut expected = real_expected();
    expected["signatory"] = json!("上海市普陀区发展和改革委员会");
    expected["warnings"] = warnings_json(&[Warning::new(
        "signatory",
        "The document is signed jointly by `上海市普陀区发展和改革委员会`, `上海市普陀区科学技术委员会`; the record holds one signatory, the first (lead) organ.",
    )]);
    assert_json_eq(&expected, &content_json(&reply), "joint signature");
}

#[test]
fn date_and_source_lines_in_the_head_give_the_publication_date_and_nothing_else() {
    for variant in [
        &["2025年07月16日 来源: 上海普陀"][..],
        &["2025年07月16日 10:30 来源: 上海普陀"],
        &["2025-07-16 10:30:00 来源：上海普陀"],
        &["来源：上海普陀 2025年07月16日"],
        &["信息来源：上海普陀　发布时间：2025年07月16日"],
        &["2025年07月16日", "来源: 上海普陀"],
        &["【字体：大 中 小】 2025年07月16日 来源: 上海普陀"],
    ] {
        let reply = parse_lines(&real_with(|l| {
            insert_after(l, TITLE_LINE, variant);
        }));
        assert_json_eq(
            &real_expected(),
            &content_json(&reply),
            &format!("{variant:?}"),
        );
        assert_eq!(
            reply.published_on,
            chrono::NaiveDate::from_ymd_opt(2025, 7, 16),
            "{variant:?}"
        );
    }
}

#[test]
fn page_furniture_never_reaches_the_notes_or_the_body() {
    let furniture = [
        "【打印本页】 【关闭窗口】",
        "[打印本页] [关闭窗口]",
        "【打印】【关闭】",
        "打印本页 关闭窗口",
        "责任编辑：李明",
        "浏览次数：123",
        "上一篇：关于区政协十五届五次会议第150184号提案的答复",
        "下一篇：无",
        "【字体：大 中 小】",
    ];
    let reply = parse_lines(&real_with(|l| {
        l.extend(furniture.iter().map(|s| s.to_string()));
    }));
    assert_json_eq(&real_expected(), &content_json(&reply), "after the tail");
    let reply = parse_lines(&real_with(|l| {
        insert_after(
            l,
            "感谢您对普陀区推进中以（上海）创新园工作的大力支持。",
            &furniture,
        );
    }));
    assert_json_eq(
        &real_expected(),
        &content_json(&reply),
        "before the signature",
    );
}

/// The real reply's page with `table` (HTML) after the paragraph `after`.
fn page_with_table(after: &str, table: &str) -> String {
    const MARKER: &str = "TABLE-GOES-HERE";
    let lines = real_with(|l| insert_after(l, after, &[MARKER]));
    page_html(&lines, Some(TITLE_LINE)).replace(&format!("<p>{MARKER}</p>"), table)
}

#[test]
fn a_table_in_the_body_keeps_one_paragraph_per_row_with_tab_separated_cells() {
    let after = "3. 推动载体资源整合。今年年初，临港集团与园区已协商共建中以（上海）创新园加速孵化器二期，选址园区内18号楼作为孵化载体，已启用并有首批5家企业入驻。";
    let table = "<p>表1 重点项目扶持情况</p>\
        <table><tbody>\
        <tr><th>序号</th><th>项目名称</th><th>扶持金额（万元）</th></tr>\
        <tr><td><p><span>1</span></p></td><td><p>孵化器二期</p></td><td><p>500</p></td></tr>\
        <tr><td>2</td><td>联合研发\n计划</td><td>300</td></tr>\
        <tr><td>合计</td><td></td><td>800</td></tr>\
        </tbody></table>";
    let reply = parse_html(page_with_table(after, table));
    let mut expected = real_expected();
    let paragraphs = expected["body"]["sections"][1]["paragraphs"]
        .as_array_mut()
        .expect("the first section's paragraphs");
    let at = paragraphs
        .iter()
        .position(|p| p == after)
        .expect("the paragraph before the table")
        + 1;
    for (k, row) in [
        "表1 重点项目扶持情况",
        "序号\t项目名称\t扶持金额（万元）",
        "1\t孵化器二期\t500",
        "2\t联合研发计划\t300",
        "合计\t\t800",
    ]
    .into_iter()
    .enumerate()
    {
        paragraphs.insert(at + k, json!(row));
    }
    assert_json_eq(&expected, &content_json(&reply), "table rows");
}

#[test]
fn a_layout_table_around_the_text_keeps_the_text_s_lines() {
    let lines = real_lines();
    let html = page_html(&lines, Some(TITLE_LINE));
    let start = html.find("<p>").expect("a first paragraph");
    let end = html.rfind("</p>").expect("a last paragraph") + "</p>".len();
    let wrapped = format!(
        "{}<table><tr><td>{}</td><td></td></tr></table>{}",
        &html[..start],
        &html[start..end],
        &html[end..]
    );
    let reply = parse_html(wrapped);
    assert_json_eq(&real_expected(), &content_json(&reply), "layout table");
}
