//! The corpus: reply specs in `corpus/replies/*.toml`, embedded at build time
//! (see `build.rs`) or read from a directory.

use std::collections::BTreeMap;
use std::path::Path;

use govwire_model::Reply;
use serde::{Deserialize, Serialize};

use crate::error::FixtureError;
use crate::spec::{compare_ids, Document};

include!(concat!(env!("OUT_DIR"), "/corpus_files.rs"));

/// Directory of the specs inside the embedded corpus.
const SPEC_DIR: &str = "replies";

/// A set of documents, in item-id order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Corpus {
    /// The documents, ordered by numeric item id.
    pub documents: Vec<Document>,
}

impl Corpus {
    /// The corpus embedded in the binary.
    pub fn embedded() -> Result<Corpus, FixtureError> {
        let files: BTreeMap<&str, &str> = CORPUS_FILES.iter().copied().collect();
        let specs = files
            .iter()
            .filter(|(name, _)| {
                name.strip_prefix(SPEC_DIR)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|rest| !rest.contains('/') && rest.ends_with(".toml"))
            })
            .map(|(name, content)| (name.to_string(), content.to_string()));
        load(specs, |spec, reference| {
            let key = join_relative(spec, reference);
            files.get(key.as_str()).map(|s| s.to_string())
        })
    }

    /// The specs (`*.toml`) in `dir`; references resolve relative to `dir`.
    pub fn from_dir(dir: &Path) -> Result<Corpus, FixtureError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| FixtureError::Io { path, source }
        };
        let mut specs = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                let content = std::fs::read_to_string(&path).map_err(io(&path))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                specs.push((name, content));
            }
        }
        specs.sort();
        load(specs.into_iter(), |_, reference| {
            std::fs::read_to_string(dir.join(reference)).ok()
        })
    }

    /// The documents.
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// The documents, by value.
    pub fn into_documents(self) -> Vec<Document> {
        self.documents
    }
}

/// The embedded corpus, in item-id order.
///
/// # Panics
///
/// Only if the embedded corpus is invalid, which this crate's tests rule out
/// for every build that passes them; use [`Corpus::embedded`] to handle the
/// error instead.
pub fn corpus() -> Vec<Document> {
    match Corpus::embedded() {
        Ok(corpus) => corpus.into_documents(),
        Err(error) => panic!("the embedded corpus is invalid: {error}"),
    }
}

/// `n` distinct synthetic replies made from the corpus's structured reply
/// specs, for load tests and benchmarks (`govwire fixture-portal --scale
/// N`): each a copy of one served reply of the current layout, in UTF-8,
/// without attachments, under its own item id (from 300000), doc number
/// (`普府〔<year>〕<n>号`), URL and publication date (one a day back from
/// 2026-06-30), so each becomes a reply of its own with its own golden
/// record.
pub fn scaled(n: usize) -> Vec<Document> {
    let bases: Vec<Document> = corpus()
        .into_iter()
        .filter(|d| d.is_reply() && d.is_served() && d.reply.is_some())
        .filter(|d| d.attachments.is_empty() && d.encoding.is_utf8())
        .filter(|d| d.layout == crate::spec::Layout::Current)
        .collect();
    assert!(
        !bases.is_empty(),
        "the corpus holds structured replies of the current layout"
    );
    let last = chrono::NaiveDate::from_ymd_opt(2026, 6, 30).expect("a valid day");
    (0..n)
        .map(|i| {
            let mut doc = bases[i % bases.len()].clone();
            let item = 300_000 + i;
            doc.item_id = item.to_string();
            doc.url_node = format!("{}", 90_000 + i / 1000);
            doc.published_on = last - chrono::Duration::days((i % 3000) as i64);
            doc.url_year = chrono::Datelike::year(&doc.published_on);
            if let Some(reply) = doc.reply.as_mut() {
                let number = format!("普府〔{}〕{}号", doc.url_year, 10_000 + i);
                reply.doc_number = Some(crate::spec::Written {
                    written: number.clone(),
                    normalized: number,
                });
            }
            doc
        })
        .collect()
}

/// `reference` resolved against the directory of `spec` (both `/`-separated,
/// relative to the corpus root), with `..` applied.
fn join_relative(spec: &str, reference: &str) -> String {
    let mut parts: Vec<&str> = spec.split('/').collect();
    parts.pop();
    for part in reference.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

fn load(
    specs: impl Iterator<Item = (String, String)>,
    resolve: impl Fn(&str, &str) -> Option<String>,
) -> Result<Corpus, FixtureError> {
    let mut documents: Vec<(String, Document)> = Vec::new();
    for (file, content) in specs {
        let mut doc: Document = toml::from_str(&content).map_err(|source| FixtureError::Spec {
            file: file.clone(),
            source: Box::new(source),
        })?;
        if let Some(text) = &mut doc.text {
            if let Some(reference) = &text.file {
                let content =
                    resolve(&file, reference).ok_or_else(|| FixtureError::MissingReference {
                        file: file.clone(),
                        reference: reference.clone(),
                    })?;
                text.lines = text_lines(&content);
            }
            if let Some(reference) = &text.expected {
                let content =
                    resolve(&file, reference).ok_or_else(|| FixtureError::MissingReference {
                        file: file.clone(),
                        reference: reference.clone(),
                    })?;
                let golden: Reply =
                    serde_json::from_str(&content).map_err(|source| FixtureError::Golden {
                        file: file.clone(),
                        reference: reference.clone(),
                        source,
                    })?;
                text.golden = Some(Box::new(golden));
            }
        }
        let problems = doc.problems();
        if !problems.is_empty() {
            return Err(FixtureError::Invalid {
                file,
                item_id: doc.item_id.clone(),
                problems,
            });
        }
        if let Some((first, _)) = documents.iter().find(|(_, d)| d.item_id == doc.item_id) {
            return Err(FixtureError::DuplicateItem {
                item_id: doc.item_id.clone(),
                first: first.clone(),
                second: file,
            });
        }
        documents.push((file, doc));
    }
    let mut documents: Vec<Document> = documents.into_iter().map(|(_, d)| d).collect();
    documents.sort_by(|a, b| compare_ids(&a.item_id, &b.item_id));
    Ok(Corpus { documents })
}

/// The non-empty lines of an extracted text, as a text spec's `file` becomes
/// its body lines.
pub use crate::spec::text_lines;

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn scaled_replies_are_distinct_and_sound() {
        let docs = scaled(250);
        assert_eq!(docs.len(), 250);
        let mut ids = std::collections::BTreeSet::new();
        let mut numbers = std::collections::BTreeSet::new();
        for doc in &docs {
            assert!(
                doc.problems().is_empty(),
                "{}: {:?}",
                doc.item_id,
                doc.problems()
            );
            let golden = doc.golden().expect("a reply");
            assert!(ids.insert(golden.id.to_string()), "{}", golden.id);
            assert!(numbers.insert(golden.doc_number.clone().expect("a doc number")));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use govwire_model::{HandlingCategory, Level, ProposalKind, ReplyKind};

    use super::*;
    use crate::spec::{CharsetLabel, Expect, Layout, Link, PageEncoding, Paragraph};

    fn docs() -> Vec<Document> {
        match Corpus::embedded() {
            Ok(corpus) => corpus.into_documents(),
            Err(error) => panic!("the embedded corpus must load: {error}"),
        }
    }

    #[test]
    fn references_resolve_against_the_spec_directory() {
        assert_eq!(
            join_relative("replies/160455.toml", "../putuo-pufu-2022-55.txt"),
            "putuo-pufu-2022-55.txt"
        );
        assert_eq!(join_relative("replies/a.toml", "b.txt"), "replies/b.txt");
    }

    #[test]
    fn the_embedded_corpus_is_in_item_id_order_and_the_real_reply_comes_first() {
        let docs = docs();
        let ids: Vec<u64> = docs
            .iter()
            .map(|d| d.item_id.parse().expect("numeric item ids"))
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
        let first_reply = docs
            .iter()
            .filter(|d| d.is_reply())
            .find(|d| d.reply.is_none())
            .expect("the real reply, kept as text");
        assert_eq!(first_reply.item_id, "160455");
    }

    #[test]
    fn the_real_reply_keeps_its_extracted_text_and_its_contract_record() {
        let docs = docs();
        let real = docs
            .iter()
            .find(|d| d.item_id == "160455")
            .expect("the real reply");
        let text = real.text.as_ref().expect("kept as text");
        assert_eq!(
            text.lines,
            text_lines(include_str!("../../../corpus/putuo-pufu-2022-55.txt"))
        );
        let expected: Reply = serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .expect("the contract example parses");
        assert_eq!(real.golden(), Some(expected));
        assert_eq!(real.layout, Layout::BodyOnly);
    }

    #[test]
    fn every_golden_record_serializes_to_json_and_back_unchanged() {
        for doc in docs() {
            for layout in Layout::ALL {
                let Some(golden) = doc.golden_as(layout) else {
                    assert!(
                        !doc.is_reply(),
                        "{} is a reply without a record",
                        doc.item_id
                    );
                    continue;
                };
                let json = serde_json::to_string_pretty(&golden).expect("serializes");
                let back: Reply = serde_json::from_str(&json).expect("deserializes");
                assert_eq!(back, golden, "{}", doc.item_id);
                // The only guesses a corpus page calls for are about its
                // bytes (an undeclared or lying charset) and, for a page
                // without text of its own, where its text was read.
                let mut expected = crate::golden::encoding_warnings(&doc);
                expected.extend(crate::golden::attachment_warnings(&doc));
                assert_eq!(golden.warnings, expected, "{}", doc.item_id);
                let content = serde_json::to_string(&golden.content_value()).expect("serializes");
                assert!(
                    !content.contains("\"\""),
                    "{}: an empty string instead of null",
                    doc.item_id
                );
            }
        }
    }

    #[test]
    fn the_corpus_holds_pages_of_every_unprofiled_variant_with_the_warnings_they_call_for() {
        use crate::spec::{Colons, MetadataMarkup, TitleMarkup};

        let docs = docs();
        let unprofiled: Vec<&Document> = docs
            .iter()
            .filter(|d| d.layout == Layout::Unprofiled && d.is_reply())
            .collect();
        assert!(
            unprofiled.len() >= 12,
            "{} unprofiled replies",
            unprofiled.len()
        );
        let variants: Vec<&crate::spec::Variant> = unprofiled
            .iter()
            .filter_map(|d| d.variant.as_ref())
            .collect();
        assert_eq!(variants.len(), unprofiled.len());
        for markup in [
            MetadataMarkup::ThTd,
            MetadataMarkup::TdCells,
            MetadataMarkup::Dl,
            MetadataMarkup::Spans,
            MetadataMarkup::Lines,
            MetadataMarkup::DateLine,
            MetadataMarkup::None,
        ] {
            assert!(variants.iter().any(|v| v.metadata == markup), "{markup:?}");
        }
        for title in [
            TitleMarkup::DivTitle,
            TitleMarkup::Centred,
            TitleMarkup::FirstLine,
        ] {
            assert!(variants.iter().any(|v| v.title == title), "{title:?}");
        }
        assert!(variants.iter().any(|v| v.colons == Colons::HalfWidthSpaced));
        assert!(variants.iter().filter(|v| v.broken_values).count() >= 2);
        assert!(variants.iter().any(|v| v.decoy_info));
        assert!(variants.iter().any(|v| v.signed_on_shown.is_some()));
        let says = |field: &str, words: &str| {
            variants.iter().any(|v| {
                v.warnings
                    .iter()
                    .any(|w| w.field == field && w.message.contains(words))
            })
        };
        assert!(says("metadata", "does not understand"));
        assert!(says("metadata", "which holds no label govwire reads"));
        assert!(says("doc_number", "written like a doc number"));
        assert!(says("signed_on", "is no date govwire can read"));
        assert!(says("title", "title line"));

        // In its own layout, an unprofiled page's record carries the
        // warnings of its variant after those its reply implies; in the
        // profiled layouts, none of them.
        for doc in unprofiled {
            let variant = doc.variant.as_ref().expect("a variant");
            let own = doc.golden().expect("a reply");
            assert!(own.warnings.ends_with(&variant.warnings), "{}", doc.item_id);
            for layout in Layout::ALL {
                let golden = doc.golden_as(layout).expect("a reply");
                assert!(
                    variant
                        .warnings
                        .iter()
                        .all(|w| !golden.warnings.contains(w)),
                    "{} in {layout:?}",
                    doc.item_id
                );
            }
        }
    }

    #[test]
    fn every_document_survives_a_json_round_trip_as_the_admin_api_takes_it() {
        for doc in docs() {
            let json = serde_json::to_string(&doc).expect("serializes");
            let back: Document = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, doc);
        }
    }

    #[test]
    fn the_corpus_keeps_its_required_variety() {
        let docs = docs();
        let replies: Vec<&Document> = docs.iter().filter(|d| d.is_reply()).collect();
        let goldens: Vec<Reply> = replies.iter().filter_map(|d| d.golden()).collect();
        let specs: Vec<_> = replies.iter().filter_map(|d| d.reply.as_ref()).collect();
        let count = |f: &dyn Fn(&Reply) -> bool| goldens.iter().filter(|g| f(g)).count();

        assert!(
            replies.len() >= 41,
            "the real reply and at least 40 more: {}",
            replies.len()
        );
        assert!(docs.len() >= 45, "the corpus has {} documents", docs.len());
        assert_eq!(goldens.len(), replies.len());
        let non_replies: Vec<&Document> = docs
            .iter()
            .filter(|d| d.expect == Expect::NotAReply && d.is_served())
            .collect();
        assert!(
            non_replies.len() >= 6,
            "a notice, news items, a normative document, a report, a results table"
        );

        // Every layout, encoding and charset labelling, with replies in each.
        for layout in Layout::ALL {
            let n = replies.iter().filter(|d| d.layout == layout).count();
            assert!(n >= 6, "{n} replies in the {layout:?} layout");
        }
        for (encoding, least) in [(PageEncoding::Gbk, 8), (PageEncoding::Gb18030, 5)] {
            let n = replies.iter().filter(|d| d.encoding == encoding).count();
            assert!(n >= least, "{n} replies in {encoding:?}");
            for label in [
                CharsetLabel::Both,
                CharsetLabel::Http,
                CharsetLabel::Meta,
                CharsetLabel::None,
                CharsetLabel::LyingUtf8,
            ] {
                assert!(
                    docs.iter()
                        .any(|d| d.encoding == encoding && d.charset_label == label),
                    "no {encoding:?} page labelled {label:?}"
                );
            }
        }
        assert!(
            docs.iter().any(|d| d.encoding == PageEncoding::Gb18030
                && crate::render::first_unmappable_in_gbk(&d.render()).is_some()),
            "no GB18030 page with a character outside GBK"
        );
        assert!(docs
            .iter()
            .any(|d| d.encoding == PageEncoding::Utf8 && d.charset_label == CharsetLabel::None));
        assert!(
            count(&|g| g
                .warnings
                .iter()
                .any(|w| w.message.contains("declares charset UTF-8")))
                >= 2
        );
        assert!(
            count(&|g| g
                .warnings
                .iter()
                .any(|w| w.message.contains("declares no charset")))
                >= 3
        );

        // Attachments: a reply whose text is only in a linked file, and a
        // reply with text of its own that also links a file; both listed
        // with hash and text, both served in a JSON-list channel.
        let linking: Vec<&&Document> = replies
            .iter()
            .filter(|d| !d.attachments.is_empty())
            .collect();
        assert!(
            linking
                .iter()
                .any(|d| d.reply_attachment().is_some() && ["3", "6"].contains(&d.channel.as_str())),
            "no reply whose text is only in an attachment"
        );
        assert!(
            linking
                .iter()
                .any(|d| d.reply_attachment().is_none() && ["3", "6"].contains(&d.channel.as_str())),
            "no reply with text of its own that also links an attachment"
        );
        for doc in &linking {
            let golden = doc.golden().expect("a reply");
            assert_eq!(golden.attachments.len(), doc.attachments.len());
            assert!(golden
                .attachments
                .iter()
                .all(|a| a.sha256.is_some() && a.text.is_some()));
        }
        let kinds: BTreeSet<&str> = linking
            .iter()
            .flat_map(|d| &d.attachments)
            .filter_map(|a| a.file.rsplit_once('.').map(|(_, ext)| ext))
            .collect();
        assert!(kinds.contains("pdf") && kinds.contains("docx"), "{kinds:?}");

        assert!(count(&|g| g.reply_kind == Some(ReplyKind::Answer)) >= 8);
        assert!(count(&|g| g.reply_kind == Some(ReplyKind::CoHandlingOpinion)) >= 2);
        assert!(count(&|g| g.reply_kind == Some(ReplyKind::FollowUp)) >= 2);
        assert!(count(&|g| g.proposal.kind == Some(ProposalKind::DeputySuggestion)) >= 5);
        assert!(count(&|g| g.proposal.kind == Some(ProposalKind::MemberProposal)) >= 5);
        assert!(count(&|g| g.proposal.level == Some(Level::Municipal)) >= 3);
        assert!(count(&|g| g.proposal.level == Some(Level::District)) >= 8);
        assert!(
            replies
                .iter()
                .filter(|d| d.layout == Layout::Current)
                .count()
                >= 5
        );
        assert!(
            replies
                .iter()
                .filter(|d| d.layout == Layout::BodyOnly)
                .count()
                >= 5
        );

        for category in [
            HandlingCategory::Adopted,
            HandlingCategory::PartiallyAdopted,
            HandlingCategory::Planned,
            HandlingCategory::ForReference,
            HandlingCategory::CannotSolve,
        ] {
            assert!(
                count(&|g| g.handling_result.as_ref().and_then(|h| h.category) == Some(category))
                    >= 1,
                "no reply with {category:?}"
            );
        }
        let raws: BTreeSet<&str> = goldens
            .iter()
            .filter_map(|g| g.handling_result.as_ref().map(|h| h.raw.as_str()))
            .collect();
        for raw in [
            "解决采纳",
            "解决或采纳",
            "部分采纳",
            "计划解决",
            "列入计划拟解决",
            "留作参考",
            "因条件限制无法解决",
        ] {
            assert!(raws.contains(raw), "no reply with 办理结果 {raw}");
        }
        assert!(count(&|g| g.handling_result.is_none()) >= 1);

        let meetings: BTreeSet<&str> = goldens
            .iter()
            .filter_map(|g| g.proposal.meeting.as_deref())
            .collect();
        for meeting in [
            "区十五届政协五次会议",
            "区政协十五届五次会议",
            "普陀区政协第十四届二次会议",
            "区十六届人大六次会议",
            "市十五届人大六次会议",
        ] {
            assert!(meetings.contains(meeting), "no reply to {meeting}");
        }
        assert!(count(&|g| g.proposal.number.as_ref().is_some_and(|n| n.len() == 4)) >= 3);
        assert!(count(&|g| g.proposal.number.as_ref().is_some_and(|n| n.len() == 6)) >= 3);
        assert!(count(&|g| g.proposal.co_proposers.is_some()) >= 2);

        let written_numbers: Vec<&str> = specs
            .iter()
            .filter_map(|s| s.doc_number.as_ref().map(|n| n.written.as_str()))
            .collect();
        for bracket in ["[", "（", "〔 ", "【", "［", "﹝", "２"] {
            assert!(
                written_numbers.iter().any(|n| n.contains(bracket)),
                "no doc number written with `{bracket}`"
            );
        }
        assert!(count(&|g| g.doc_number.is_none()) >= 3);
        assert!(goldens.iter().all(|g| g
            .doc_number
            .as_ref()
            .is_none_or(|n| n.contains('〔') && !n.contains(' '))));
        assert!(count(&|g| g.doc_number.as_deref() == Some("普绿容〔2019〕44号")) == 1);
        assert!(replies.iter().any(|d| d.channel == "6"
            && d.golden()
                .and_then(|g| g.doc_number)
                .is_some_and(|n| n.starts_with("普卫健委"))));

        let signed: Vec<&str> = specs.iter().map(|s| s.signed.written.as_str()).collect();
        assert!(signed.contains(&"2026年07月03日"));
        assert!(signed.contains(&"2019年 10月14日"));
        for written in [
            "二〇二〇年六月二十八日",
            "２０２１年６月１８日",
            "2019年 8月 2日",
        ] {
            assert!(signed.contains(&written), "no reply signed `{written}`");
        }

        // GB/T 9704 elements that are rare on replies are still covered.
        assert!(
            specs
                .iter()
                .filter(|s| s.signer.is_some() && s.signer_beside_number)
                .count()
                >= 2
        );
        assert!(
            specs
                .iter()
                .filter(|s| s.signer.is_some() && !s.signer_beside_number)
                .count()
                >= 2
        );
        assert!(count(&|g| g.attachment_notes.len() == 1) >= 3);
        assert!(count(&|g| g.attachment_notes.len() > 1) >= 2);
        assert!(count(&|g| g.proposal.proposers.len() > 1) >= 1);
        assert!(
            count(&|g| g
                .proposal
                .meeting
                .as_deref()
                .is_some_and(|m| m.contains("人民代表大会")))
                >= 1
        );
        assert!(specs.iter().any(|s| s.title.written != s.title.normalized));
        assert!(specs.iter().any(|s| s
            .contact
            .as_ref()
            .is_some_and(|c| c.name_label == "联系人姓名:")));

        assert!(count(&|g| g.contact.as_ref().is_some_and(|c| c.postcode.is_some())) >= 2);
        assert!(count(&|g| g.contact.as_ref().is_some_and(|c| c.postcode.is_none())) >= 2);
        assert!(count(&|g| !g.cc.is_empty()) >= 3);
        assert!(count(&|g| g.cc.is_empty()) >= 3);
        assert!(count(&|g| g.printed_by.is_some()) >= 3);
        assert!(count(&|g| g.printed_by.is_none()) >= 3);
        assert!(count(&|g| !g.notes.is_empty()) >= 1);
        assert!(count(&|g| g.issuer_banner.is_some()) >= 3);
        assert!(count(&|g| g.issuer_banner.is_none()) >= 3);

        for ending in ["代表", "委员", "街道"] {
            assert!(count(&|g| g.addressee.as_ref().is_some_and(|a| a.ends_with(ending))) >= 1);
        }
        assert!(count(&|g| g.addressee.as_deref() == Some("区建管委")) >= 1);

        let splits = specs
            .iter()
            .filter(|s| {
                s.sections
                    .iter()
                    .flat_map(|sec| &sec.paragraphs)
                    .any(|p| matches!(p, Paragraph::Split { .. }))
            })
            .count();
        assert!(splits >= 5, "page-break splits in {splits} specs");

        assert!(docs.iter().filter(|d| d.channel == "3").count() >= 4);
        assert!(docs.iter().filter(|d| d.channel == "6").count() >= 4);
        assert!(
            replies
                .iter()
                .filter(|d| d.channel == "qzxtabljg-jytabljg")
                .count()
                >= 3
        );
        assert_eq!(docs.iter().filter(|d| d.link == Link::Absolute).count(), 1);
        assert!(docs.iter().any(|d| matches!(&d.link, Link::External(url) if url.starts_with("https://www.shanghai.gov.cn/"))));
    }
}
