//! Pages the profile's selectors do not describe: the title and the
//! disclosure metadata found without them, each with a warning naming the
//! fallback; and what a page evidently carries but the record lacks, never
//! left unsaid.

use govwire_model::{Reply, Warning};
use govwire_parser::parse_page;

use crate::support::*;

/// The real reply's lines, with `edit` applied.
fn real_with(edit: impl FnOnce(&mut Vec<String>)) -> Vec<String> {
    let mut lines = real_lines();
    edit(&mut lines);
    lines
}

/// The record of a page's HTML; panics unless the page is a reply.
fn parse_html(html: &str) -> Reply {
    let page = raw_page(html.as_bytes().to_vec(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the page parses");
    reply_of(&parsed).clone()
}

/// The real reply's page with its `<h1>`, in the body-only layout, and
/// `extra` placed at the top of the article.
fn real_page_with(extra: &str, h1: bool) -> String {
    let lines = real_lines();
    let title = real_title(&lines);
    let html = render(
        &Layout {
            h1: h1.then_some(title.as_str()),
            ..Layout::default()
        },
        &lines,
    );
    html.replacen(
        "<div class=\"article\">\n",
        &format!("<div class=\"article\">\n{extra}\n"),
        1,
    )
}

fn warnings_of<'a>(reply: &'a Reply, field: &str) -> Vec<&'a Warning> {
    reply.warnings.iter().filter(|w| w.field == field).collect()
}

#[test]
fn metadata_in_a_table_no_selector_names_is_read_with_a_warning_naming_the_table() {
    let html = real_page_with(
        r#"<table class="gk-meta"><tr><th>索 引 号</th><td>SY310107202208017</td><th>发布日期</th><td>2022-08-15</td></tr>
        <tr><th>发文字号</th><td>普府〔2022〕55号</td><th>公开主体</th><td>上海市普陀区人民政府</td></tr></table>"#,
        true,
    );
    let reply = parse_html(&html);
    assert_eq!(reply.index_number.as_deref(), Some("SY310107202208017"));
    assert_eq!(reply.publisher.as_deref(), Some("上海市普陀区人民政府"));
    // The metadata's date, not the list's (2022-08-12).
    assert_eq!(
        reply.published_on.map(|d| d.to_string()).as_deref(),
        Some("2022-08-15")
    );
    assert_eq!(
        warnings_of(&reply, "metadata"),
        vec![&Warning::new(
            "metadata",
            "No metadata selector of the profile matched; the disclosure metadata (索引号, 发布日期, 发文字号, 公开主体) was read from <table.gk-meta> without the profile's selector."
        )]
    );
    // The rest of the record is the real reply's.
    let mut expected = real_expected();
    let actual = content_json(&reply);
    for field in ["index_number", "publisher", "warnings"] {
        expected[field] = actual[field].clone();
    }
    assert_json_eq(&expected, &actual, "the real reply with a metadata table");
}

#[test]
fn a_page_whose_metadata_the_profile_reads_needs_no_fallback() {
    let lines = real_lines();
    let title = real_title(&lines);
    let html = render(
        &Layout {
            h1: Some(&title),
            info: Some(vec![
                ("索引号", "SY310107202208017"),
                ("发布日期", "2022-08-15"),
            ]),
            ..Layout::default()
        },
        &lines,
    )
    // A second block elsewhere is not read: the profile's block is.
    .replacen(
        "<div class=\"share\">",
        "<dl class=\"other\"><dt>索引号：</dt><dd>SY-ELSEWHERE</dd></dl><div class=\"share\">",
        1,
    );
    let reply = parse_html(&html);
    assert_eq!(reply.index_number.as_deref(), Some("SY310107202208017"));
    assert!(
        warnings_of(&reply, "metadata").is_empty(),
        "{:?}",
        reply.warnings
    );
}

#[test]
fn labels_of_the_profiles_metadata_block_that_govwire_does_not_know_are_listed() {
    let lines = real_lines();
    let title = real_title(&lines);
    let html = render(
        &Layout {
            h1: Some(&title),
            info: Some(vec![
                ("索引号", "SY310107202208017"),
                ("信息类别", "建议提案"),
                ("体裁分类", "其他"),
                ("文件状态", "有效"),
            ]),
            ..Layout::default()
        },
        &lines,
    );
    let reply = parse_html(&html);
    assert_eq!(
        warnings_of(&reply, "metadata"),
        vec![&Warning::new(
            "metadata",
            "The page's metadata has labels govwire does not understand: `信息类别`, `文件状态`; their values are not in the record."
        )]
    );
}

#[test]
fn a_publication_or_signed_date_in_the_metadata_that_is_no_date_is_said_to_be_unread() {
    let lines = real_lines();
    let title = real_title(&lines);
    let html = render(
        &Layout {
            h1: Some(&title),
            info: Some(vec![("发布日期", "待定"), ("成文日期", "见正文")]),
            ..Layout::default()
        },
        &lines,
    );
    let reply = parse_html(&html);
    assert_eq!(
        warnings_of(&reply, "published_on"),
        vec![&Warning::new(
            "published_on",
            "The metadata's 发布日期 `待定` is no date govwire can read; it was not read."
        )]
    );
    assert_eq!(
        warnings_of(&reply, "signed_on"),
        vec![&Warning::new(
            "signed_on",
            "The metadata's 成文日期 `见正文` is no date govwire can read; it was not read."
        )]
    );
    // The list's date and the document's own signed date stand.
    assert_eq!(
        reply.published_on.map(|d| d.to_string()).as_deref(),
        Some("2022-08-12")
    );
    assert_eq!(
        reply.signed_on.map(|d| d.to_string()).as_deref(),
        Some("2022-08-08")
    );
}

#[test]
fn a_doc_number_written_in_the_head_but_not_read_is_said_to_be_missing() {
    let lines = real_with(|l| {
        let at = l
            .iter()
            .position(|x| x == "普府〔2022〕55号")
            .expect("the doc number line");
        l[at] = "（抄件 普府〔2022〕55号 附件一）".to_string();
    });
    let title = real_title(&lines);
    let reply = parse_html(&render(
        &Layout {
            h1: Some(&title),
            ..Layout::default()
        },
        &lines,
    ));
    assert_eq!(reply.doc_number, None);
    assert_eq!(
        warnings_of(&reply, "doc_number"),
        vec![&Warning::new(
            "doc_number",
            "The document's head shows `普府〔2022〕55号`, written like a doc number, but no doc number was read; the record has none."
        )]
    );
}

#[test]
fn a_doc_number_read_leaves_nothing_to_say_about_one() {
    let reply = parse_html(&real_page_html());
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
}

#[test]
fn a_title_in_a_div_named_title_comes_before_the_lists_title_with_a_warning() {
    let lines = real_with(|l| {
        let at = l
            .iter()
            .position(|x| x.ends_with("的答复"))
            .expect("the title line");
        l.remove(at);
    });
    let html = render(&Layout::default(), &lines).replacen(
        "<div class=\"article\">\n",
        "<div class=\"article\">\n<div class=\"title\">对市十五届人大六次会议第0184号代表建议的答复</div>\n",
        1,
    );
    let mut page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    page.list_title = Some("列表标题".into());
    let parsed = parse_page(&page, &shpt_profile()).expect("parses");
    let reply = reply_of(&parsed);
    assert_eq!(reply.title, "对市十五届人大六次会议第0184号代表建议的答复");
    assert_eq!(
        warnings_of(reply, "title"),
        vec![&Warning::new(
            "title",
            "No title selector of the profile matched; the title was taken from <div.title>, an element that looks like a title."
        )]
    );
}

#[test]
fn without_any_title_element_the_documents_title_line_is_used_with_a_warning() {
    let reply = parse_html(&real_page_with("", false));
    assert_eq!(reply.title, real_expected()["title"]);
    assert_eq!(
        warnings_of(&reply, "title"),
        vec![&Warning::new(
            "title",
            "No title selector of the profile matched; the title was taken from the document's title line."
        )]
    );
}

#[test]
fn a_publication_date_outside_the_profiles_metadata_block_is_read_with_a_warning() {
    let lines = real_lines();
    let title = real_title(&lines);
    let html = render(
        &Layout {
            h1: Some(&title),
            info: Some(vec![
                ("索引号", "SY310107202208017"),
                ("成文日期", "2022-08-08"),
            ]),
            ..Layout::default()
        },
        &lines,
    )
    .replacen(
        "<div class=\"share\">",
        "<div class=\"pub-date\">发布日期：2022-08-15</div><div class=\"share\">",
        1,
    );
    let reply = parse_html(&html);
    // The page's own date, not the list's (2022-08-12).
    assert_eq!(
        reply.published_on.map(|d| d.to_string()).as_deref(),
        Some("2022-08-15")
    );
    assert_eq!(reply.index_number.as_deref(), Some("SY310107202208017"));
    let metadata = warnings_of(&reply, "metadata");
    assert_eq!(metadata.len(), 1, "{:?}", reply.warnings);
    assert!(
        metadata[0]
            .message
            .starts_with("The profile's metadata block has no 发布日期; the one in <"),
        "{}",
        metadata[0].message
    );
}
