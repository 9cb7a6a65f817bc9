//! Properties that hold for every input, checked on generated ones: the
//! parser never panics (arbitrary bytes, arbitrary HTML-ish text), and
//! normalizing a record twice changes nothing.

use chrono::NaiveDate;
use govwire_fixture_portal::{corpus, Layout};
use govwire_model::{
    Attachment, Body, Contact, HandlingCategory, HandlingResult, PageOutcome, Proposal, Reply,
    Section, Warning,
};
use govwire_parser::{normalize_record, parse_page};
use proptest::prelude::*;

use crate::support::*;

/// Content types a portal may send, truthful or not.
const CONTENT_TYPES: &[&str] = &[
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=gbk",
    "text/html; charset=gb18030",
    "text/html; charset=iso-8859-1",
    "text/html; charset=no-such-charset",
    "application/octet-stream",
];

/// Pieces pages are made of: markup of every layout, the labels, numbers,
/// dates and formulas the parser looks for, and hostile bits (unclosed tags,
/// NULs, replacement characters, lone surrogates' replacements).
const FRAGMENTS: &[&str] = &[
    "<html>",
    "<head>",
    "<meta charset=\"gbk\">",
    "<meta charset=\"utf-8\">",
    "<body>",
    "<h1>",
    "</h1>",
    "<div id=\"ivs_title\">",
    "<div id=\"ivs_content\">",
    "<div class=\"TRS_Editor\">",
    "<div class=\"article-info\">",
    "<div class=\"col-md-7\">",
    "<span>",
    "</span>",
    "<table class=\"xxgk-table\">",
    "<tr>",
    "<td>",
    "</td>",
    "<p>",
    "</p>",
    "<br>",
    "</div>",
    "<script>",
    "</script>",
    "<!--",
    "-->",
    "<a href=\"x.pdf\">",
    "</a>",
    "&nbsp;",
    "&#20320;",
    "对市十五届人大六次会议第0184号代表建议的答复",
    "关于区政协十五届五次会议第142072号提案的会办意见",
    "的再次答复",
    "（跟踪办理情况）",
    "许鸿蕨代表：",
    "真如镇街道：",
    "办理结果：",
    "部分采纳",
    "公开属性：",
    "索引号：",
    "成文日期：",
    "2019-10-14 14:25:49",
    "发文字号：",
    "普绿容",
    "〔2019〕",
    "44号",
    "普府[2022]55号",
    "签发人：",
    "上海市普陀区人民政府文件",
    "您提出的“",
    "”的代表建议收悉",
    "《",
    "》提案收悉",
    "与其他4名委员联名",
    "一、",
    "（一）",
    "1. ",
    "一是",
    "。",
    "，",
    "：",
    "上海市普陀区人民政府",
    "2022年8月8日",
    "二〇二二年八月八日",
    "２０２２年８月８日",
    "联系人：",
    "联系电话：52564588-1318",
    "抄送：",
    "印发",
    "附件：",
    "（此件公开发布）",
    "感谢您对",
    "\u{FFFD}",
    "\0",
    " ",
    "\n",
    "\u{3000}",
    "<",
    ">",
    "\"",
    "'",
    "=",
];

fn html_ish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
            1 => "[\\PC]{0,12}",
        ],
        0..160,
    )
    .prop_map(|parts| parts.concat())
}

/// Strings as messy as pages write them: CJK text, full-width digits and
/// brackets, ideographic and ordinary spaces, colons, stray punctuation.
fn messy() -> impl Strategy<Value = String> {
    "[ \u{3000}\u{00A0}普府陀区人民政代表委员会议届次十五六〔〕\\[\\]（）()２０1９号：:。，、“”a-z0-9]{0,24}"
}

fn opt_messy() -> impl Strategy<Value = Option<String>> {
    prop::option::of(messy())
}

fn date() -> impl Strategy<Value = Option<NaiveDate>> {
    prop::option::of((2000i32..2030, 1u32..13, 1u32..29))
        .prop_map(|d| d.and_then(|(y, m, day)| NaiveDate::from_ymd_opt(y, m, day)))
}

prop_compose! {
    fn proposal()(
        meeting in opt_messy(),
        number in opt_messy(),
        subject in opt_messy(),
        proposers in prop::collection::vec(messy(), 0..4),
        term in prop::option::of(0u32..30),
        co_proposers in prop::option::of(0u32..10),
    ) -> Proposal {
        Proposal {
            kind: None,
            level: None,
            meeting,
            term,
            session: term,
            number,
            subject,
            proposers,
            co_proposers,
        }
    }
}

prop_compose! {
    fn contact()(name in opt_messy(), phone in opt_messy(), address in opt_messy(), postcode in opt_messy()) -> Contact {
        Contact { name, phone, address, postcode }
    }
}

prop_compose! {
    fn section()(heading in opt_messy(), paragraphs in prop::collection::vec(messy(), 0..4)) -> Section {
        Section { heading, paragraphs }
    }
}

prop_compose! {
    fn reply()(
        (title, doc_number, issuer_banner, issuer, signer, addressee) in
            (messy(), opt_messy(), opt_messy(), opt_messy(), opt_messy(), opt_messy()),
        (disclosure, index_number, topic, publisher, signatory, printed_by) in
            (opt_messy(), opt_messy(), opt_messy(), opt_messy(), opt_messy(), opt_messy()),
        (handling, proposal, contact, signed_on, printed_on) in
            (opt_messy(), proposal(), prop::option::of(contact()), date(), date()),
        (notes, cc, attachment_notes, sections, attachment_name) in (
            prop::collection::vec(messy(), 0..3),
            prop::collection::vec(messy(), 0..4),
            prop::collection::vec(messy(), 0..3),
            prop::collection::vec(section(), 0..4),
            messy(),
        ),
    ) -> Reply {
        Reply {
            id: "shpt:1".into(),
            portal: "shpt".into(),
            title,
            doc_number,
            issuer_banner,
            issuer,
            signer,
            addressee,
            reply_kind: None,
            proposal,
            handling_result: handling.map(|raw| HandlingResult {
                category: Some(HandlingCategory::Adopted),
                raw,
            }),
            disclosure,
            index_number,
            topic,
            publisher,
            signatory,
            signed_on,
            contact,
            notes,
            cc,
            printed_by,
            printed_on,
            attachment_notes,
            attachments: vec![Attachment {
                name: attachment_name,
                url: "https://www.shpt.gov.cn/a.pdf".into(),
                sha256: None,
                text: None,
            }],
            body: Body { sections },
            warnings: vec![Warning::new("page", "kept as it is")],
            url: None,
            urls: Vec::new(),
            published_on: None,
            fetched_at: None,
            content_sha256: String::new(),
            version: 0,
            parser_version: String::new(),
            page_sha256: None,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn the_parser_never_panics_on_arbitrary_bytes(
        body in prop::collection::vec(any::<u8>(), 0..4096),
        content_type in prop::sample::select(CONTENT_TYPES),
    ) {
        let page = raw_page(body, Some(content_type));
        match parse_page(&page, &shpt_profile()) {
            Ok(parsed) => prop_assert_eq!(parsed.page_sha256, page.body_sha256()),
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_html(
        html in html_ish(),
        content_type in prop::sample::select(CONTENT_TYPES),
    ) {
        let page = raw_page(html.into_bytes(), Some(content_type));
        match parse_page(&page, &shpt_profile()) {
            Ok(parsed) => {
                if let PageOutcome::Reply { reply } = parsed.outcome {
                    // Whatever the page, a published record is normalized,
                    // hashed, and has a title and a body.
                    prop_assert!(!reply.title.is_empty());
                    prop_assert!(!reply.body.sections.is_empty());
                    prop_assert_eq!(&reply.content_sha256, &reply.compute_content_sha256());
                    let again = normalize_record((*reply).clone());
                    prop_assert_eq!(&again, &*reply);
                }
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }

    #[test]
    fn normalizing_a_record_twice_changes_nothing(record in reply()) {
        let once = normalize_record(record);
        let twice = normalize_record(once.clone());
        prop_assert_eq!(twice, once);
    }
}

#[test]
fn normalizing_cleans_what_pages_write_in_many_ways() {
    let mut record: Reply =
        serde_json::from_value(real_expected()).expect("the real record deserializes");
    record.title = "对市十五届人大六次会议 第0184号代表建议的答复".into();
    record.doc_number = Some("普府（ ２０２２ ）055号".into());
    record.addressee = Some(" 许鸿蕨代表： ".into());
    record.proposal.meeting = Some("市 十五届 人大 六次 会议".into());
    record.proposal.number = Some("０１８４".into());
    record.cc = vec![
        " 市政府办公厅建议提案处 ".into(),
        "".into(),
        "市人大常委会代表工作委员会。".into(),
    ];
    record.publisher = Some("   ".into());
    record.handling_result = Some(HandlingResult {
        raw: " 部分采纳 ".into(),
        category: None,
    });
    let normalized = normalize_record(record);
    assert_eq!(
        normalized.title,
        "对市十五届人大六次会议第0184号代表建议的答复"
    );
    assert_eq!(normalized.doc_number.as_deref(), Some("普府〔2022〕55号"));
    assert_eq!(normalized.addressee.as_deref(), Some("许鸿蕨代表"));
    assert_eq!(
        normalized.proposal.meeting.as_deref(),
        Some("市十五届人大六次会议")
    );
    assert_eq!(normalized.proposal.number.as_deref(), Some("0184"));
    assert_eq!(
        normalized.cc,
        vec!["市政府办公厅建议提案处", "市人大常委会代表工作委员会"]
    );
    assert_eq!(normalized.publisher, None);
    let result = normalized.handling_result.expect("kept");
    assert_eq!(result.raw, "部分采纳");
    assert_eq!(result.category, Some(HandlingCategory::PartiallyAdopted));
}

#[test]
fn every_golden_record_of_the_corpus_is_already_normalized() {
    let mut checked = 0;
    for doc in corpus() {
        for layout in Layout::ALL {
            let Some(golden) = doc.golden_as(layout) else {
                continue;
            };
            checked += 1;
            assert_eq!(
                normalize_record(golden.clone()),
                golden,
                "{} ({layout:?})",
                doc.item_id()
            );
        }
    }
    assert!(checked >= 160, "{checked} golden records");
}
