//! Edits of a document, as a scripted timeline makes them (in a test, or
//! over the admin API as a [`DocumentPatch`]): each changes the page's lines
//! and its golden record together, for a structured reply and for a page
//! kept as text alike.

use chrono::NaiveDate;
use govwire_model::{HandlingCategory, HandlingResult, Reply};
use serde::{Deserialize, Serialize};

use crate::spec::{cc_line, Document, Paragraph, SectionSpec, Written};
use crate::text;

impl Document {
    /// Sets 办理结果 (line and golden record). A value outside the contract's
    /// vocabulary gives a golden record with category `null` and a warning.
    pub fn set_handling_result(&mut self, raw: impl Into<String>) {
        let raw = raw.into();
        if let Some(reply) = &mut self.reply {
            reply.handling_result = Some(raw);
            return;
        }
        if let Some(text) = &mut self.text {
            let line = format!("办理结果：{raw}");
            match text.lines.iter().position(|l| l.starts_with("办理结果：")) {
                Some(i) => text.lines[i] = line,
                None => text.lines.insert(0, line),
            }
            if let Some(golden) = &mut text.golden {
                set_golden_handling_result(golden, Some(&raw));
            }
        }
    }

    /// Removes 办理结果 (line and golden record).
    pub fn clear_handling_result(&mut self) {
        if let Some(reply) = &mut self.reply {
            reply.handling_result = None;
            return;
        }
        if let Some(text) = &mut self.text {
            text.lines.retain(|l| !l.starts_with("办理结果："));
            if let Some(golden) = &mut text.golden {
                set_golden_handling_result(golden, None);
            }
        }
    }

    /// 抄送, one organ per entry.
    pub fn cc(&self) -> Vec<String> {
        match (&self.reply, &self.text) {
            (Some(reply), _) => reply.cc.clone(),
            (None, Some(text)) => text
                .lines
                .iter()
                .find(|l| l.starts_with("抄送："))
                .map(|l| split_cc_line(l))
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }

    /// Replaces 抄送 (line and golden record); an empty list removes the line.
    pub fn set_cc(&mut self, orgs: Vec<String>) {
        if let Some(reply) = &mut self.reply {
            reply.cc = orgs;
            return;
        }
        let Some(text) = &mut self.text else { return };
        let existing = text.lines.iter().position(|l| l.starts_with("抄送："));
        match (existing, orgs.is_empty()) {
            (Some(i), true) => {
                text.lines.remove(i);
            }
            (Some(i), false) => text.lines[i] = cc_line(&orgs),
            (None, true) => {}
            (None, false) => {
                let printed_by = text.golden.as_ref().and_then(|g| g.printed_by.clone());
                let at = printed_by
                    .and_then(|p| text.lines.iter().rposition(|l| *l == p))
                    .unwrap_or(text.lines.len());
                text.lines.insert(at, cc_line(&orgs));
            }
        }
        if let Some(golden) = &mut text.golden {
            golden.cc = orgs;
        }
    }

    /// Adds one organ to 抄送 (line and golden record).
    pub fn push_cc(&mut self, org: impl Into<String>) {
        let mut orgs = self.cc();
        orgs.push(org.into());
        self.set_cc(orgs);
    }

    /// Replaces the title as written; the golden title is its normalized form.
    pub fn set_title(&mut self, written: impl Into<String>) {
        let written = written.into();
        if let Some(reply) = &mut self.reply {
            reply.title = Written {
                normalized: text::normalize_title(&written),
                written,
            };
            return;
        }
        let Some(spec) = &mut self.text else { return };
        if let Some(i) = spec.lines.iter().position(|l| *l == spec.title) {
            spec.lines[i] = written.clone();
        }
        if let Some(golden) = &mut spec.golden {
            golden.title = text::normalize_title(&written);
        }
        spec.title = written;
    }

    /// Adds a paragraph at the end of the body's last section, before the
    /// closing courtesy (`感谢…`) when there is one.
    pub fn add_paragraph(&mut self, paragraph: impl Into<String>) {
        let paragraph = paragraph.into();
        if let Some(reply) = &mut self.reply {
            match reply.sections.last_mut() {
                Some(section) => {
                    let at = courtesy_index(&section.paragraphs);
                    section.paragraphs.insert(at, Paragraph::Whole(paragraph));
                }
                None => reply.sections.push(SectionSpec {
                    heading: None,
                    paragraphs: vec![Paragraph::Whole(paragraph)],
                }),
            }
            return;
        }
        let Some(spec) = &mut self.text else { return };
        let mut at = spec.lines.len();
        if let Some(golden) = &mut spec.golden {
            if let Some(section) = golden.body.sections.last_mut() {
                let courtesy = section
                    .paragraphs
                    .iter()
                    .rposition(|p| p.starts_with("感谢"));
                match courtesy {
                    Some(c) => {
                        if let Some(line) =
                            spec.lines.iter().rposition(|l| *l == section.paragraphs[c])
                        {
                            at = line;
                        }
                        section.paragraphs.insert(c, paragraph.clone());
                    }
                    None => {
                        if let Some(line) = golden
                            .signatory
                            .as_ref()
                            .and_then(|s| spec.lines.iter().rposition(|l| l == s))
                        {
                            at = line;
                        }
                        section.paragraphs.push(paragraph.clone());
                    }
                }
            }
        }
        spec.lines.insert(at, paragraph);
    }

    /// Moves the page's publication date (the list's `display_date`).
    pub fn set_published_on(&mut self, date: NaiveDate) {
        self.published_on = date;
    }
}

/// A small edit, as the admin API's `PATCH /_admin/documents/{id}` takes it
/// (`{"handling_result": "部分采纳"}`). Fields left out are not touched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    /// New 办理结果 as written; `null` removes it.
    #[serde(
        default,
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub handling_result: Option<Option<String>>,
    /// New title as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New 抄送 list (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    /// One organ added to 抄送.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_cc: Option<String>,
    /// A paragraph added at the end of the body, before the closing courtesy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_paragraph: Option<String>,
    /// New 发布日期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
}

/// Present-but-null becomes `Some(None)`, so a patch can remove a value.
fn some_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl DocumentPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &DocumentPatch::default()
    }

    /// Applies the patch to `doc`.
    pub fn apply(&self, doc: &mut Document) {
        match &self.handling_result {
            Some(Some(raw)) => doc.set_handling_result(raw.clone()),
            Some(None) => doc.clear_handling_result(),
            None => {}
        }
        if let Some(title) = &self.title {
            doc.set_title(title.clone());
        }
        if let Some(cc) = &self.cc {
            doc.set_cc(cc.clone());
        }
        if let Some(org) = &self.push_cc {
            doc.push_cc(org.clone());
        }
        if let Some(paragraph) = &self.add_paragraph {
            doc.add_paragraph(paragraph.clone());
        }
        if let Some(date) = self.published_on {
            doc.set_published_on(date);
        }
    }
}

fn courtesy_index(paragraphs: &[Paragraph]) -> usize {
    match paragraphs.last() {
        Some(last) if last.joined().starts_with("感谢") => paragraphs.len() - 1,
        _ => paragraphs.len(),
    }
}

fn set_golden_handling_result(golden: &mut Reply, raw: Option<&str>) {
    golden
        .warnings
        .retain(|w| w.field != "handling_result.category");
    golden.handling_result = raw.map(|raw| {
        let category = HandlingCategory::from_raw(raw);
        if category.is_none() {
            golden.warnings.push(govwire_model::Warning::new(
                "handling_result.category",
                format!("办理结果 `{raw}` is not in the vocabulary."),
            ));
        }
        HandlingResult {
            raw: raw.to_string(),
            category,
        }
    });
}

/// The organs of a `抄送：A，B。` line.
fn split_cc_line(line: &str) -> Vec<String> {
    line.trim_start_matches("抄送：")
        .trim_end_matches('。')
        .split(['，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}
