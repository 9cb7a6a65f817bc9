//! Every page of the fixture portal's corpus parses into exactly its golden
//! record, in its own layout and in the other one; pages that are not
//! replies take the not-a-reply path.

use govwire_fixture_portal::{corpus, Document, Layout};
use govwire_model::{PageOutcome, RawPage};
use govwire_parser::parse_page;

use crate::support::*;

/// The page as the fixture serves it in `layout`: the document's encoding
/// and the `Content-Type` its charset label calls for.
fn page_for(doc: &Document, layout: Layout) -> RawPage {
    let served = doc.served_as(layout);
    let mut page = raw_page(served.body, Some(&served.content_type));
    page.item_id = doc.item_id().to_string();
    page.url = format!("http://127.0.0.1:8080{}", doc.path());
    page.list_title = Some(doc.title().to_string());
    page.published_on = Some(doc.published_on);
    page
}

/// What went wrong with one document in one layout, or `None`.
fn check(doc: &Document, layout: Layout) -> Option<String> {
    let page = page_for(doc, layout);
    let what = format!("{} ({layout:?})", doc.item_id());
    let parsed = match parse_page(&page, &shpt_profile()) {
        Ok(parsed) => parsed,
        Err(error) => return Some(format!("{what}: parse error: {error}")),
    };
    match (doc.golden_as(layout), parsed.outcome) {
        (None, PageOutcome::NotAReply { .. }) => None,
        (None, PageOutcome::Reply { reply }) => Some(format!(
            "{what}: expected NotAReply, got a reply titled {}",
            reply.title
        )),
        (Some(_), PageOutcome::NotAReply { reason }) => {
            Some(format!("{what}: expected a reply, got NotAReply: {reason}"))
        }
        (Some(golden), PageOutcome::Reply { reply }) => {
            let differences = diff(&content_json(&golden), &content_json(&reply));
            (!differences.is_empty()).then(|| format!("{what}:\n  {}", differences.join("\n  ")))
        }
    }
}

#[test]
fn every_corpus_document_parses_into_its_golden_record_in_every_layout() {
    let documents = corpus();
    let mut failures = Vec::new();
    let mut checked = 0;
    for doc in documents.iter().filter(|d| d.is_served()) {
        for layout in Layout::ALL {
            checked += 1;
            failures.extend(check(doc, layout));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} pages disagree with their golden record:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        documents.len() >= 40,
        "the corpus has {} documents",
        documents.len()
    );
}

#[test]
fn the_corpus_holds_the_real_reply_with_the_contract_record() {
    let documents = corpus();
    let real = documents
        .iter()
        .find(|d| d.golden().is_some_and(|g| g.id == "shpt:普府〔2022〕55号"))
        .expect("the corpus holds the real reply");
    let golden = real.golden().expect("a golden record");
    assert_json_eq(
        &real_expected(),
        &content_json(&golden),
        "corpus golden of the real reply",
    );
}

/// One edit of a corpus document, as a pipeline test would make it.
type Edit = Box<dyn Fn(&mut Document)>;

/// Compares the parse of `doc` (in its own layout) with its golden record.
fn check_own_layout(doc: &Document, change: &str) -> Option<String> {
    check(doc, doc.layout).map(|failure| format!("after {change}: {failure}"))
}

#[test]
fn corpus_documents_edited_the_way_pipeline_tests_edit_them_still_match_their_golden_records() {
    let mut failures = Vec::new();
    for original in corpus().iter().filter(|d| d.is_served() && d.is_reply()) {
        let edits: Vec<(&str, Edit)> = vec![
            (
                "an unknown handling result",
                Box::new(|d| d.set_handling_result("另行研究")),
            ),
            (
                "a known handling result",
                Box::new(|d| d.set_handling_result("部分采纳")),
            ),
            (
                "no handling result",
                Box::new(|d| d.clear_handling_result()),
            ),
            ("one more cc", Box::new(|d| d.push_cc("区政府办公室"))),
            ("no cc", Box::new(|d| d.set_cc(Vec::new()))),
            (
                "an added paragraph",
                Box::new(|d| d.add_paragraph("我们将持续跟踪办理进展，及时向您反馈。")),
            ),
            (
                "a stray space in the title",
                Box::new(|d| {
                    let title: Vec<char> = d.title().chars().collect();
                    let at = (2..title.len())
                        .find(|&i| {
                            govwire_parser::normalize::is_han(title[i - 1])
                                && govwire_parser::normalize::is_han(title[i])
                        })
                        .unwrap_or(0);
                    let written: String = title[..at]
                        .iter()
                        .chain([' '].iter())
                        .chain(title[at..].iter())
                        .collect();
                    d.set_title(written.trim());
                }),
            ),
        ];
        for (change, edit) in edits {
            let mut doc = original.clone();
            edit(&mut doc);
            failures.extend(check_own_layout(&doc, change));
        }
    }
    assert!(
        failures.is_empty(),
        "{} edited pages disagree with their golden record:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
