//! The real reply (普府〔2022〕55号), served as the fixture portal serves it,
//! must become exactly its golden record.

use chrono::NaiveDate;
use govwire_parser::{parse_page, PARSER_VERSION};
use serde_json::Value;

use crate::support::*;

#[test]
fn the_real_reply_in_the_body_only_layout_becomes_its_golden_record() {
    let page = raw_page(
        real_page_html().into_bytes(),
        Some("text/html; charset=utf-8"),
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    assert_json_eq(&real_expected(), &content_json(reply), "body_only layout");
}

#[test]
fn the_real_reply_carries_its_provenance() {
    let page = raw_page(
        real_page_html().into_bytes(),
        Some("text/html; charset=utf-8"),
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    assert_eq!(parsed.portal, "shpt");
    assert_eq!(parsed.item_id, "197298");
    assert_eq!(parsed.page_sha256, page.body_sha256());
    assert_eq!(
        reply.page_sha256.as_deref(),
        Some(page.body_sha256().as_str())
    );
    assert_eq!(reply.url.as_deref(), Some(page.url.as_str()));
    assert_eq!(reply.urls, vec![page.url.clone()]);
    assert_eq!(reply.fetched_at, Some(page.fetched_at));
    // No date line on the page and no metadata block: the list's date.
    assert_eq!(reply.published_on, page.published_on);
    assert_eq!(reply.version, 0);
    assert_eq!(reply.parser_version, PARSER_VERSION);
    assert!(PARSER_VERSION.starts_with("govwire-parser/"));
    assert_eq!(reply.content_sha256, reply.compute_content_sha256());
    assert_eq!(reply.content_sha256.len(), 64);
}

/// The real text in the `current` layout: an `.article-info` block holds the
/// portal's metadata (公开属性 moves there; the document's own 办理结果 line
/// stays in the text), and the body starts at the banner.
fn current_layout_html() -> String {
    let lines: Vec<String> = real_lines()
        .into_iter()
        .filter(|l| !l.starts_with("公开属性"))
        .collect();
    let title = real_title(&lines);
    render(
        &Layout {
            h1: Some(&title),
            info: Some(vec![
                ("索引号", "SY310107202208055"),
                ("主题分类", "综合政务"),
                ("公开属性", "主动公开·全文"),
                ("成文日期", "2022-08-08"),
                ("发文字号", "普府〔2022〕55号"),
                ("发布日期", "2022-08-10"),
                ("公开主体", "\n上海市普陀区人民政府"),
            ]),
            ..Layout::default()
        },
        &lines,
    )
}

#[test]
fn the_real_reply_in_the_current_layout_takes_its_metadata_from_the_block() {
    let page = raw_page(
        current_layout_html().into_bytes(),
        Some("text/html; charset=utf-8"),
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);

    let mut expected = real_expected();
    expected["index_number"] = Value::from("SY310107202208055");
    expected["topic"] = Value::from("综合政务");
    expected["publisher"] = Value::from("上海市普陀区人民政府");
    assert_json_eq(&expected, &content_json(reply), "current layout");
    assert_eq!(reply.published_on, NaiveDate::from_ymd_opt(2022, 8, 10));
}

#[test]
fn a_metadata_block_that_contradicts_the_text_is_reported() {
    let html = current_layout_html().replace(
        "<span>普府〔2022〕55号</span>",
        "<span>普府〔2022〕56号</span>",
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    assert_eq!(reply.doc_number.as_deref(), Some("普府〔2022〕55号"));
    assert_eq!(reply.id, "shpt:普府〔2022〕55号");
    assert_eq!(
        reply
            .warnings
            .iter()
            .map(|w| w.field.as_str())
            .collect::<Vec<_>>(),
        vec!["doc_number"]
    );
}
