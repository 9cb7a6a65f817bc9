//! Attachments: the record lists each linked file with its hash and text,
//! and a page holding only a title and a link is read from the file's text.

use chrono::{TimeZone, Utc};
use govwire_model::canonical::sha256_hex;
use govwire_model::{
    HandlingCategory, Level, PageOutcome, ProposalKind, RawAttachment, RawPage, Reply, ReplyKind,
};

use crate::support::{repo_root, shpt_profile};

const TITLE: &str = "关于区十七届人大五次会议第0231号代表建议的答复";
const PAGE_URL: &str = "https://www.shpt.gov.cn/zhengwu/jyta/2026/190/204620.html";
const FILE_URL: &str = "https://www.shpt.gov.cn/files/pugzj-2026-18.pdf";

fn corpus_file(name: &str) -> Vec<u8> {
    let path = repo_root().join("corpus/attachments").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A page that holds only its title and a link to the PDF that carries the
/// reply, as some units publish.
fn link_only_page(attachment: RawAttachment) -> RawPage {
    let html = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{TITLE}</title></head><body>
<div class="article"><h1>{TITLE}</h1>
<div class="article-content"><div class="TRS_Editor">
<p>附件：<a href="/files/pugzj-2026-18.pdf">{TITLE}.pdf</a></p>
</div></div></div></body></html>"#
    );
    RawPage {
        portal: "shpt".into(),
        section: "district-gov-docs".into(),
        item_id: "204620".into(),
        url: PAGE_URL.into(),
        list_title: Some(TITLE.into()),
        published_on: None,
        fetched_at: Utc.with_ymd_and_hms(2026, 5, 25, 1, 0, 0).unwrap(),
        content_type: Some("text/html; charset=utf-8".into()),
        body: html.into_bytes(),
        attachments: vec![attachment],
    }
}

fn extracted_pdf() -> RawAttachment {
    let text = String::from_utf8(corpus_file("pugzj-2026-18.pdf.txt")).expect("UTF-8 text");
    RawAttachment {
        name: format!("{TITLE}.pdf"),
        url: FILE_URL.into(),
        content_type: Some("application/pdf".into()),
        body: corpus_file("pugzj-2026-18.pdf"),
        text: Some(text),
        error: None,
    }
}

fn reply_of(page: &RawPage) -> Reply {
    let parsed = govwire_parser::parse_page(page, &shpt_profile()).expect("the page parses");
    match parsed.outcome {
        PageOutcome::Reply { reply } => *reply,
        PageOutcome::NotAReply { reason } => panic!("not a reply: {reason}"),
    }
}

#[test]
fn a_reply_whose_text_is_only_in_a_pdf_is_read_from_the_pdf_text() {
    let reply = reply_of(&link_only_page(extracted_pdf()));
    assert_eq!(reply.id, "shpt:普规资〔2026〕18号");
    assert_eq!(reply.title, TITLE);
    assert_eq!(reply.addressee.as_deref(), Some("王建国代表"));
    assert_eq!(reply.reply_kind, Some(ReplyKind::Answer));
    assert_eq!(reply.proposal.kind, Some(ProposalKind::DeputySuggestion));
    assert_eq!(reply.proposal.level, Some(Level::District));
    assert_eq!(reply.proposal.term, Some(17));
    assert_eq!(reply.proposal.session, Some(5));
    assert_eq!(reply.proposal.number.as_deref(), Some("0231"));
    assert_eq!(
        reply.handling_result.as_ref().and_then(|h| h.category),
        Some(HandlingCategory::Adopted)
    );
    assert_eq!(
        reply.signatory.as_deref(),
        Some("上海市普陀区规划和自然资源局")
    );
    assert_eq!(
        reply.signed_on,
        chrono::NaiveDate::from_ymd_opt(2026, 5, 20)
    );
    // A paragraph the PDF wrapped over two lines is one paragraph again.
    let paragraphs: Vec<&str> = reply
        .body
        .sections
        .iter()
        .flat_map(|s| s.paragraphs.iter().map(String::as_str))
        .collect();
    assert!(
        paragraphs.contains(&"桃浦智创城中央绿地二期已于2026年4月建成开放，区域内两所学校、一处社区卫生服务中心已完成规划选址，计划2027年前陆续开工建设。"),
        "{paragraphs:#?}"
    );
    // The record says where the text came from.
    assert!(
        reply.warnings.iter().any(|w| w.field == "body"
            && w.message.contains("attachment")
            && w.message.contains(FILE_URL)),
        "{:#?}",
        reply.warnings
    );
    // And lists the file with its hash and text.
    assert_eq!(reply.attachments.len(), 1, "{:#?}", reply.attachments);
    let listed = &reply.attachments[0];
    assert_eq!(listed.url, FILE_URL);
    assert_eq!(listed.name, format!("{TITLE}.pdf"));
    assert_eq!(
        listed.sha256.as_deref(),
        Some(sha256_hex(corpus_file("pugzj-2026-18.pdf")).as_str())
    );
    assert!(listed
        .text
        .as_deref()
        .is_some_and(|t| t.contains("王建国代表：")));
}

#[test]
fn a_link_only_page_whose_pdf_could_not_be_read_fails_on_its_missing_body_with_a_reason() {
    let failed = RawAttachment {
        text: None,
        error: Some("`pdftotext` is not installed: install poppler-utils (make tools)".into()),
        ..extracted_pdf()
    };
    let err = govwire_parser::parse_page(&link_only_page(failed), &shpt_profile())
        .expect_err("no text anywhere");
    assert!(
        matches!(
            err,
            govwire_parser::ParseError::MissingRequiredField { field: "body", .. }
        ),
        "{err}"
    );
}

#[test]
fn an_attachment_that_failed_beside_a_full_page_is_a_warning_not_a_failure() {
    // The real reply's page, with a linked file that could not be fetched.
    let mut page = crate::support::raw_page(
        crate::support::real_page_html().into_bytes(),
        Some("text/html; charset=utf-8"),
    );
    page.attachments.push(RawAttachment {
        name: "附件1.docx".into(),
        url: "https://www.shpt.gov.cn/files/missing.docx".into(),
        content_type: None,
        body: Vec::new(),
        text: None,
        error: Some("HTTP 404 Not Found".into()),
    });
    let reply = reply_of(&page);
    assert_eq!(reply.attachments.len(), 1);
    assert_eq!(reply.attachments[0].sha256, None);
    assert!(
        reply
            .warnings
            .iter()
            .any(|w| w.field == "attachments" && w.message.contains("HTTP 404")),
        "{:#?}",
        reply.warnings
    );
    // The body is still the page's own.
    assert!(!reply.warnings.iter().any(|w| w.field == "body"));
}
