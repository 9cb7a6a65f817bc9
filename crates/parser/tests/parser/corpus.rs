//! Every page of the fixture portal's corpus parses into exactly its golden
//! record, in its own layout and in the other one; pages that are not
//! replies take the not-a-reply path. Pages that link attachments are fed
//! with the files, as the parser stage hands them over.

use govwire_fixture_portal::attachments::{attachment, attachment_path, content_type_of};
use govwire_fixture_portal::{corpus, Document, Layout};
use govwire_model::{PageOutcome, ParsedPage, RawAttachment, RawPage, Reply};
use govwire_parser::parse_page;
use serde_json::Value;

use crate::support::*;

/// Where the pages of these tests are fetched from.
const ORIGIN: &str = "http://127.0.0.1:8080";

/// The page as the fixture serves it in `layout`: the document's encoding
/// and the `Content-Type` its charset label calls for, with each linked
/// file as the crawler fetches it and its text as the parser stage fills it
/// (the committed `<file>.txt`, which `govwire-extract`'s own tests show the
/// extraction yields from the file).
fn page_for(doc: &Document, layout: Layout) -> RawPage {
    let served = doc.served_as(layout);
    let mut page = raw_page(served.body, Some(&served.content_type));
    page.item_id = doc.item_id().to_string();
    page.url = format!("{ORIGIN}{}", doc.path());
    page.list_title = Some(doc.title().to_string());
    page.published_on = Some(doc.published_on);
    page.attachments = doc
        .attachments
        .iter()
        .map(|spec| {
            let file = attachment(&spec.file)
                .unwrap_or_else(|| panic!("{}: no attachment file {}", doc.item_id(), spec.file));
            RawAttachment {
                name: spec.name.clone(),
                url: format!("{ORIGIN}{}", attachment_path(&spec.file)),
                content_type: Some(content_type_of(&spec.file).to_string()),
                body: file.bytes.to_vec(),
                text: Some(file.text.to_string()),
                error: None,
            }
        })
        .collect();
    page
}

/// The record's content with URLs on the page's own host made site-relative,
/// as golden records write them (`/files/<file>`).
fn site_relative_content(reply: &Reply) -> Value {
    let json = content_json(reply).to_string();
    let relative = json.replace(&format!("{ORIGIN}/"), "/");
    serde_json::from_str(&relative).expect("still JSON")
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
            let differences = diff(&content_json(&golden), &site_relative_content(&reply));
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
        for layout in layouts_of(doc) {
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
    assert!(
        documents
            .iter()
            .any(|d| d.is_served() && d.reply_attachment().is_some()),
        "the corpus holds a reply whose text is only in an attachment"
    );
}

/// Every layout a document is checked in: the profiled ones, and its own
/// when no profile describes it.
fn layouts_of(doc: &Document) -> Vec<Layout> {
    let mut layouts = Layout::ALL.to_vec();
    if !layouts.contains(&doc.layout) {
        layouts.push(doc.layout);
    }
    layouts
}

#[test]
fn pages_of_layouts_no_profile_describes_parse_into_their_golden_records_with_their_warnings() {
    let unprofiled: Vec<Document> = corpus()
        .into_iter()
        .filter(|d| d.layout == Layout::Unprofiled)
        .collect();
    assert!(
        unprofiled.len() >= 12,
        "{} unprofiled pages",
        unprofiled.len()
    );
    let mut failures = Vec::new();
    for doc in &unprofiled {
        failures.extend(check(doc, Layout::Unprofiled));
        let golden = doc.golden().expect("a reply");
        assert!(
            !golden.warnings.is_empty(),
            "{}: a page read by fallbacks says so",
            doc.item_id()
        );
    }
    assert!(
        failures.is_empty(),
        "{} unprofiled pages disagree with their golden record:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_page_parsed_alone_takes_its_publication_date_from_metadata_found_without_a_selector() {
    let mut checked = 0;
    for doc in corpus()
        .into_iter()
        .filter(|d| d.layout == Layout::Unprofiled)
    {
        let mut page = page_for(&doc, doc.layout);
        // As `govwire parse FILE` reads it: no list date to fall back on.
        page.published_on = None;
        page.list_title = None;
        let parsed = parse_page(&page, &shpt_profile()).expect("parses");
        let reply = reply_of(&parsed);
        let shows_date = doc
            .variant
            .as_ref()
            .is_some_and(|v| v.metadata != govwire_fixture_portal::MetadataMarkup::None);
        if shows_date {
            assert_eq!(
                reply.published_on,
                Some(doc.published_on),
                "{}",
                doc.item_id()
            );
            checked += 1;
        } else {
            assert_eq!(reply.published_on, None, "{}", doc.item_id());
        }
        let golden = doc.golden().expect("a reply");
        assert_eq!(reply.index_number, golden.index_number, "{}", doc.item_id());
        assert_eq!(reply.doc_number, golden.doc_number, "{}", doc.item_id());
    }
    assert!(checked >= 10, "{checked} pages show a publication date");
}

#[test]
fn every_record_carries_the_hash_of_the_canonical_json_of_its_content() {
    let mut checked = 0;
    for doc in corpus().into_iter().filter(|d| d.is_served()) {
        for layout in Layout::ALL {
            let Ok(parsed) = parse_page(&page_for(&doc, layout), &shpt_profile()) else {
                continue;
            };
            if let PageOutcome::Reply { reply } = &parsed.outcome {
                let canonical =
                    govwire_model::canonical::to_canonical_string(&reply.content_value());
                assert_eq!(
                    reply.content_sha256,
                    govwire_model::canonical::sha256_hex(canonical),
                    "{} in the {layout:?} layout",
                    doc.item_id()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "only {checked} records were checked");
}

#[test]
fn a_page_of_only_a_title_and_a_link_yields_no_reply_without_its_attachment() {
    let doc = corpus()
        .into_iter()
        .find(|d| d.is_served() && d.reply_attachment().is_some())
        .expect("the corpus holds a reply whose text is only in an attachment");
    let mut page = page_for(&doc, doc.layout);
    let with = parse_page(&page, &shpt_profile()).expect("parses");
    assert_eq!(reply_of(&with).body.sections.len(), 3);
    page.attachments.clear();
    let without = parse_page(&page, &shpt_profile());
    assert!(
        !matches!(
            &without,
            Ok(ParsedPage {
                outcome: PageOutcome::Reply { .. },
                ..
            })
        ),
        "a reply without its text: {without:?}"
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
    // A page whose reply is only in an attachment shows none of the edited
    // text: an edit would change the spec, not the file.
    for original in corpus()
        .iter()
        .filter(|d| d.is_served() && d.is_reply() && d.reply_attachment().is_none())
    {
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
