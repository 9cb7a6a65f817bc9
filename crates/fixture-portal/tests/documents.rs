//! A document's edits, its checks, its page and its golden record agree:
//! each edit changes the page and the record together, each check reports
//! what would make them wrong.

use govwire_fixture_portal::{Document, DocumentPatch, Layout, Paragraph, Written};
use govwire_model::{HandlingCategory, Reply};

fn doc(item_id: &str) -> Document {
    govwire_fixture_portal::corpus()
        .into_iter()
        .find(|d| d.item_id == item_id)
        .unwrap_or_else(|| panic!("corpus document {item_id}"))
}

fn structured() -> Document {
    doc("192466")
}

fn real() -> Document {
    doc("160455")
}

fn golden(doc: &Document) -> Reply {
    doc.golden().expect("a reply has a golden record")
}

#[test]
fn a_page_break_part_that_ends_a_sentence_is_reported() {
    let mut d = structured();
    let reply = d.reply.as_mut().expect("structured");
    reply.sections[1].paragraphs.push(Paragraph::Split {
        page_break: vec!["前半句。".into(), "后半句。".into()],
    });
    let problems = d.problems();
    assert!(
        problems.iter().any(|p| p.contains("page-break part")),
        "{problems:?}"
    );
}

#[test]
fn a_reply_spec_that_disagrees_with_the_attachment_holding_its_text_is_reported() {
    let mut d = doc("204610");
    assert!(d.problems().is_empty(), "{:?}", d.problems());
    d.set_handling_result("部分采纳");
    let problems = d.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("line 1") && p.contains("办理结果：解决采纳")),
        "{problems:?}"
    );
    let mut d = doc("204610");
    d.attachments[0].file = "missing.pdf".into();
    assert!(d
        .problems()
        .iter()
        .any(|p| p.contains("not a file under corpus/attachments/")));
}

#[test]
fn a_page_whose_reply_is_in_an_attachment_shows_only_its_title_and_links() {
    let d = doc("204610");
    let golden = golden(&d);
    for layout in Layout::ALL {
        let html = d.render_as(layout);
        assert!(
            html.contains("<p><a href=\"/files/pugzj-2026-18.pdf\">答复全文</a></p>"),
            "{layout:?}"
        );
        assert!(!html.contains("王建国代表"), "{layout:?}");
    }
    assert_eq!(golden.attachments.len(), 1);
    assert_eq!(golden.attachments[0].url, "/files/pugzj-2026-18.pdf");
    assert!(golden.attachments[0]
        .text
        .as_deref()
        .is_some_and(|t| t.contains("王建国代表：")));
    assert_eq!(golden.warnings.len(), 1);
    assert_eq!(golden.warnings[0].field, "body");
    assert_eq!(golden.addressee.as_deref(), Some("王建国代表"));
}

#[test]
fn a_page_with_text_of_its_own_links_its_attachments_after_the_text() {
    let d = doc("204655");
    for layout in Layout::ALL {
        let html = d.render_as(layout);
        let link = html
            .find("<p>附件：<a href=\"/files/pumz-2026-33-table.docx\">")
            .unwrap_or_else(|| panic!("no link in {layout:?}"));
        let signatory = html.find("<p>上海市普陀区民政局</p>").expect("signatory");
        assert!(signatory < link, "{layout:?}");
    }
    let golden = golden(&d);
    assert_eq!(golden.attachments.len(), 1);
    assert_eq!(
        golden.attachments[0].sha256.as_deref().map(str::len),
        Some(64)
    );
    assert!(golden.warnings.is_empty());
}

#[test]
fn a_paragraph_without_final_punctuation_is_reported() {
    let mut d = structured();
    let reply = d.reply.as_mut().expect("structured");
    reply.sections[1]
        .paragraphs
        .push(Paragraph::Whole("没有句号".into()));
    assert!(d
        .problems()
        .iter()
        .any(|p| p.contains("without sentence-final")));
}

#[test]
fn a_wrongly_normalized_doc_number_or_title_is_reported() {
    let mut d = structured();
    let reply = d.reply.as_mut().expect("structured");
    reply.doc_number = Some(Written {
        written: "普府[2025]19号".into(),
        normalized: "普府[2025]19号".into(),
    });
    reply.title.normalized = reply.title.written.clone();
    let problems = d.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("should be `普府〔2025〕19号`")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("title.normalized")),
        "{problems:?}"
    );
}

#[test]
fn a_meeting_that_disagrees_with_term_and_session_is_reported() {
    let mut d = structured();
    d.reply.as_mut().expect("structured").proposal.session = Some(5);
    assert!(d
        .problems()
        .iter()
        .any(|p| p.contains("term Some(17) session Some(4)")));
}

#[test]
fn setting_the_handling_result_changes_page_and_golden_together() {
    for mut d in [structured(), real()] {
        d.set_handling_result("部分采纳");
        let g = golden(&d);
        let result = g.handling_result.expect("set");
        assert_eq!(result.raw, "部分采纳");
        assert_eq!(result.category, Some(HandlingCategory::PartiallyAdopted));
        let lines = d.lines_as(d.layout);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("办理结果：")).count(),
            1
        );
        assert!(lines.contains(&"办理结果：部分采纳".to_string()));
        assert!(d.render().contains("<p>办理结果：部分采纳</p>"));
    }
}

#[test]
fn an_unknown_handling_result_gives_a_null_category_and_a_warning() {
    for mut d in [structured(), real()] {
        d.set_handling_result("另行研究");
        let g = golden(&d);
        assert_eq!(g.handling_result.and_then(|h| h.category), None);
        assert_eq!(g.warnings.len(), 1);
        assert_eq!(g.warnings[0].field, "handling_result.category");
    }
}

#[test]
fn clearing_the_handling_result_removes_line_and_value() {
    for mut d in [structured(), real()] {
        d.clear_handling_result();
        assert_eq!(golden(&d).handling_result, None);
        assert!(!d
            .lines_as(d.layout)
            .iter()
            .any(|l| l.starts_with("办理结果")));
    }
}

#[test]
fn pushing_a_cc_rewrites_the_cc_line_and_the_record() {
    let mut d = real();
    d.push_cc("区人大常委会");
    let g = golden(&d);
    assert_eq!(
        g.cc,
        vec![
            "市政府办公厅建议提案处",
            "市人大常委会代表工作委员会",
            "区人大常委会"
        ]
    );
    assert!(d.lines_as(d.layout).contains(
        &"抄送：市政府办公厅建议提案处，市人大常委会代表工作委员会，区人大常委会。".to_string()
    ));

    let mut d = doc("179342");
    assert!(golden(&d).cc.is_empty());
    d.push_cc("市卫生健康委");
    assert_eq!(golden(&d).cc, vec!["市卫生健康委"]);
    assert!(d
        .lines_as(d.layout)
        .contains(&"抄送：市卫生健康委。".to_string()));
}

#[test]
fn a_cc_line_added_to_a_text_reply_goes_before_the_printing_lines() {
    let mut d = real();
    d.set_cc(Vec::new());
    assert!(golden(&d).cc.is_empty());
    assert!(!d.lines_as(d.layout).iter().any(|l| l.starts_with("抄送")));
    d.push_cc("区政府办公室");
    let lines = d.lines_as(d.layout);
    let n = lines.len();
    assert_eq!(lines[n - 3], "抄送：区政府办公室。");
    assert_eq!(lines[n - 2], "上海市普陀区人民政府办公室");
}

#[test]
fn an_added_paragraph_goes_before_the_closing_courtesy() {
    for mut d in [structured(), real()] {
        d.add_paragraph("新增一段说明。");
        let g = golden(&d);
        let last = g.body.sections.last().expect("sections");
        let n = last.paragraphs.len();
        assert_eq!(last.paragraphs[n - 2], "新增一段说明。");
        assert!(last.paragraphs[n - 1].starts_with("感谢"));
        let lines = d.lines_as(d.layout);
        let at = lines
            .iter()
            .position(|l| l == "新增一段说明。")
            .expect("line added");
        assert!(lines[at + 1].starts_with("感谢"));
    }
}

#[test]
fn a_new_title_is_shown_as_written_and_recorded_normalized() {
    for mut d in [structured(), real()] {
        d.set_title("关于某事的 答复");
        assert_eq!(d.title(), "关于某事的 答复");
        assert_eq!(golden(&d).title, "关于某事的答复");
        assert!(d.render().contains("<h1>关于某事的 答复</h1>"));
    }
}

#[test]
fn a_patch_applies_each_of_its_fields() {
    let mut d = structured();
    let patch: DocumentPatch = serde_json::from_str(
        r#"{"handling_result":"解决采纳","cc":["甲单位"],"push_cc":"乙单位","add_paragraph":"补充说明。","published_on":"2025-08-01"}"#,
    )
    .expect("a valid patch");
    patch.apply(&mut d);
    let g = golden(&d);
    assert_eq!(
        g.handling_result.map(|h| h.raw).as_deref(),
        Some("解决采纳")
    );
    assert_eq!(g.cc, vec!["甲单位", "乙单位"]);
    assert_eq!(d.published_on.to_string(), "2025-08-01");
    let removal: DocumentPatch =
        serde_json::from_str(r#"{"handling_result":null}"#).expect("a valid patch");
    assert!(!removal.is_empty());
    removal.apply(&mut d);
    assert_eq!(golden(&d).handling_result, None);
    assert!(serde_json::from_str::<DocumentPatch>(r#"{"color":"red"}"#).is_err());
}

#[test]
fn the_identity_rule_uses_the_doc_number_or_else_the_item_id() {
    assert_eq!(golden(&structured()).id, "shpt:普府〔2025〕19号");
    assert_eq!(golden(&doc("156820")).id, "shpt:156820");
}

#[test]
fn metadata_fields_enter_the_golden_record_only_in_the_current_layout() {
    let d = structured();
    let current = d.golden_as(Layout::Current).expect("reply");
    assert_eq!(current.index_number.as_deref(), Some("SY310107202506019"));
    assert_eq!(current.disclosure.as_deref(), Some("主动公开"));
    let body_only = d.golden_as(Layout::BodyOnly).expect("reply");
    assert_eq!(body_only.index_number, None);
    assert_eq!(body_only.topic, None);
    assert_eq!(body_only.publisher, None);
    assert_eq!(body_only.disclosure, None);
}
