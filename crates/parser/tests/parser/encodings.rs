//! The real reply in the encodings and labellings older portal pages use:
//! the record must not change, and every guess must be reported.

use encoding_rs::GBK;
use govwire_model::Warning;
use govwire_parser::parse_page;
use serde_json::Value;

use crate::support::*;

/// The real reply's page with its `<meta charset>` replaced by `meta` (a
/// whole tag, or empty), encoded as GBK.
fn gbk_page(meta: &str) -> Vec<u8> {
    let html = real_page_html().replace("<meta charset=\"utf-8\">", meta);
    let (bytes, _, unmappable) = GBK.encode(&html);
    assert!(!unmappable, "the real reply is representable in GBK");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "GBK bytes are not UTF-8"
    );
    bytes.into_owned()
}

/// Parses `body` and splits the record into its content without warnings
/// and its warnings.
fn parse(body: Vec<u8>, content_type: &str) -> (Value, Vec<Warning>) {
    let page = raw_page(body, Some(content_type));
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    let mut content = content_json(reply);
    content["warnings"] = Value::Array(Vec::new());
    (content, reply.warnings.clone())
}

#[test]
fn gbk_labelled_in_the_http_header_reads_as_the_golden_record() {
    // The header wins over a contradicting <meta>, as in browsers.
    let (content, warnings) = parse(
        gbk_page("<meta charset=\"utf-8\">"),
        "text/html; charset=GBK",
    );
    assert_json_eq(&real_expected(), &content, "GBK, HTTP label");
    assert_eq!(warnings, vec![]);
}

#[test]
fn gbk_labelled_only_in_a_meta_tag_reads_as_the_golden_record() {
    for meta in [
        "<meta charset=\"gbk\">",
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">",
    ] {
        let (content, warnings) = parse(gbk_page(meta), "text/html");
        assert_json_eq(&real_expected(), &content, meta);
        assert_eq!(warnings, vec![], "{meta}");
    }
}

#[test]
fn unlabelled_gbk_is_detected_and_the_guess_reported() {
    let (content, warnings) = parse(gbk_page(""), "text/html");
    assert_json_eq(&real_expected(), &content, "GBK, unlabelled");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "page");
    assert!(
        warnings[0].message.contains("GBK"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn gbk_mislabelled_as_utf8_is_detected_and_the_mismatch_reported() {
    let (content, warnings) = parse(
        gbk_page("<meta charset=\"utf-8\">"),
        "text/html; charset=utf-8",
    );
    assert_json_eq(&real_expected(), &content, "GBK labelled UTF-8");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].field, "page");
    assert!(
        warnings[0].message.contains("UTF-8") && warnings[0].message.contains("GBK"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn utf8_with_a_byte_order_mark_wins_over_any_label() {
    let mut body = vec![0xEF, 0xBB, 0xBF];
    body.extend(real_page_html().into_bytes());
    let (content, warnings) = parse(body, "text/html; charset=gbk");
    assert_json_eq(&real_expected(), &content, "UTF-8 with BOM");
    assert_eq!(warnings, vec![]);
}

#[test]
fn utf8_labelled_gbk_is_read_as_utf8_with_a_warning() {
    let (content, warnings) = parse(real_page_html().into_bytes(), "text/html; charset=gbk");
    assert_json_eq(&real_expected(), &content, "UTF-8 labelled GBK");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].message.contains("UTF-8"),
        "{}",
        warnings[0].message
    );
}
