//! The structure of an official document, read from its text lines in the
//! order GB/T 9704-2012 lays it out: the portal's 办理结果/公开属性 lines, the
//! banner, the doc number, the title, a date/source line, the addressee, the
//! body (sections of paragraphs), the signatory, the signed date, the 附注
//! (contact block and notes), 抄送 and the printing line.
//!
//! Reading never fails: what is not found stays `None` and the caller decides
//! whether the document should have carried it.
//!
//! - `labels`: 办理结果/公开属性 and other `label：value` lines.
//! - `head`: marks, banner, doc number, title, date/source line.
//! - `addressee`: the addressee, and organ names.
//! - `body`: sections, headings, paragraphs.
//! - `signature`: the signed date and the signing organs.
//! - `tail`: 附注, 附件说明, 抄送, the printing line.
//! - this module: [`read_document`], which walks the lines through them.

mod addressee;
mod body;
mod head;
mod label_lines;
mod labels;
mod signature;
mod tail;
#[cfg(test)]
mod tests;

use chrono::NaiveDate;
use govwire_model::{Contact, Section, Warning};

use crate::normalize::{captures_containing, doc_number_like, is_space, remove_spaces};

use self::addressee::{addressee_ahead, addressee_of, is_organ_like, INLINE_ADDRESSEE};
use self::body::sections_of;
use self::head::{
    date_source_line, doc_number_at, is_banner, is_head_mark, is_separator, looks_like_doc_number,
    read_doc_number, same_without_spaces, title_at, DOC_NUMBER_WITH_SIGNER,
};
use self::label_lines::labels_at;
use self::labels::label_pairs;
pub(crate) use self::labels::{is_disclosure_label, label_of, Label};
use self::signature::{joint_signatories, signature_date};
use self::tail::{
    attachment_block_start, is_contact_line, is_tail_marker, parenthesized, printing, read_tail,
};

/// What the text lines of a document say.
#[derive(Debug, Default)]
pub(crate) struct Document {
    /// `label：value` lines (办理结果, 公开属性, …) in the order met.
    pub labels: Vec<(Label, String)>,
    /// 发文机关标志 as written.
    pub banner: Option<String>,
    /// 发文字号, normalized.
    pub doc_number: Option<String>,
    /// The title line(s) of the text, joined, as written.
    pub title_line: Option<String>,
    /// The date of a `2025年07月16日 来源: 上海普陀` line.
    pub published_on: Option<NaiveDate>,
    /// 主送, without its colon.
    pub addressee: Option<String>,
    /// 签发人.
    pub signer: Option<String>,
    /// 正文.
    pub sections: Vec<Section>,
    /// 发文机关署名.
    pub signatory: Option<String>,
    /// 成文日期.
    pub signed_on: Option<NaiveDate>,
    /// The contact block.
    pub contact: Option<Contact>,
    /// Other 附注 lines.
    pub notes: Vec<String>,
    /// 抄送机关.
    pub cc: Vec<String>,
    /// 印发机关.
    pub printed_by: Option<String>,
    /// 印发日期.
    pub printed_on: Option<NaiveDate>,
    /// 附件说明 lines.
    pub attachment_notes: Vec<String>,
    /// What reading the structure had to guess or leave out.
    pub warnings: Vec<Warning>,
    /// Something written like a doc number in the head (before the
    /// addressee) when no doc number was read there.
    pub number_like: Option<String>,
}

impl Document {
    /// The first paragraph of the body, where a reply names the proposal it
    /// answers.
    pub fn opening(&self) -> Option<&str> {
        self.sections
            .iter()
            .flat_map(|s| &s.paragraphs)
            .next()
            .map(String::as_str)
    }
}

/// The number of characters (not bytes) in `s`.
pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Reads a document from its text lines. `heading` is the page's title
/// element, used to recognise the title line(s) in the text.
pub(crate) fn read_document(mut owned: Vec<String>, heading: Option<&str>) -> Document {
    let lines: &[String] = &owned;
    let mut doc = Document::default();
    let n = lines.len();
    let heading_compact = heading.map(remove_spaces).filter(|h| !h.is_empty());

    // ---- head: everything up to the addressee ----
    let mut i = 0;
    while i < n {
        let line = lines[i].as_str();
        if let Some((pairs, taken)) = labels_at(lines, i) {
            doc.labels.extend(pairs);
            i += taken;
            continue;
        }
        // Separators and the 版头's 份号, urgency and secrecy marks carry
        // nothing the record holds.
        if is_separator(line) || (doc.title_line.is_none() && is_head_mark(line)) {
            i += 1;
            continue;
        }
        if doc.banner.is_none() && doc.title_line.is_none() && is_banner(line) {
            doc.banner = Some(line.trim_matches(is_space).to_string());
            i += 1;
            continue;
        }
        if doc.doc_number.is_none() && doc.title_line.is_none() {
            if let Some(caps) = captures_containing(&DOC_NUMBER_WITH_SIGNER, "签发人", line) {
                if let Some(number) = read_doc_number(&caps["number"]) {
                    doc.doc_number = Some(number);
                    doc.signer = Some(caps["signer"].trim_matches(is_space).to_string());
                    i += 1;
                    continue;
                }
            }
            if let Some((k, number)) = doc_number_at(lines, i) {
                doc.doc_number = Some(number);
                i += k;
                continue;
            }
            // A letter-format (信函格式) banner: the organ's name alone,
            // without 文件, above the doc number or the title.
            if doc.banner.is_none() && is_organ_like(line) {
                doc.banner = Some(line.trim_matches(is_space).to_string());
                i += 1;
                continue;
            }
        }
        if doc.title_line.is_none() {
            let matched = heading_compact.as_ref().and_then(|h| {
                (1..=3)
                    .filter(|k| i + k <= n)
                    .find(|k| same_without_spaces(&lines[i..i + k], h))
            });
            if let Some(k) = matched {
                doc.title_line = Some(lines[i..i + k].concat());
                i += k;
                continue;
            }
            if doc.doc_number.is_none() && looks_like_doc_number(line) {
                doc.warnings.push(Warning::new(
                    "doc_number",
                    format!(
                        "The line `{}` looks like a doc number but does not read as one (机关代字〔YYYY〕N号); it was not taken as the document's doc number.",
                        line.trim_matches(is_space)
                    ),
                ));
                i += 1;
                continue;
            }
            if let Some((k, title)) = title_at(lines, i) {
                doc.title_line = Some(title);
                i += k;
                continue;
            }
        }
        if let Some(date) = date_source_line(line) {
            doc.published_on = doc.published_on.or(date);
            i += 1;
            continue;
        }
        if let Some(addressee) = addressee_of(line) {
            doc.addressee = Some(addressee);
            i += 1;
            break;
        }
        // A line of the head govwire does not know, with the addressee
        // still to come: left out, and said so, rather than taken as the
        // start of the body with the rest of the head.
        if addressee_ahead(lines, i) {
            doc.warnings.push(Warning::new(
                "body",
                format!(
                    "The line `{}` before the addressee is no element of a document's head that govwire knows; it was left out of the record.",
                    line.trim_matches(is_space)
                ),
            ));
            i += 1;
            continue;
        }
        break;
    }

    // Label lines (办理结果) often follow the addressee.
    while let Some((pairs, taken)) = labels_at(lines, i) {
        doc.labels.extend(pairs);
        i += taken;
    }
    let body_start = i;
    if doc.doc_number.is_none() {
        doc.number_like = lines[..body_start.min(n)]
            .iter()
            .find_map(|l| doc_number_like(l))
            .map(str::to_string);
    }

    // ---- tail: signature, date, 附注, 抄送, printing ----
    // The signed date: the last date line after the body that follows an
    // organ's name (or carries one), else the last date line at all.
    let date_lines: Vec<(usize, Option<String>, NaiveDate)> = (body_start..n)
        .filter_map(|k| signature_date(&lines[k]).map(|(organ, date)| (k, organ, date)))
        .collect();
    let signed = date_lines
        .iter()
        .rev()
        .find(|(k, organ, _)| organ.is_some() || (*k > body_start && is_organ_like(&lines[k - 1])))
        .or(date_lines.last())
        .cloned();

    let (mut body_end, tail_start) = match signed {
        Some((d, organ, date)) => {
            doc.signed_on = Some(date);
            if let Some(organ) = organ {
                let start = joint_signatories(lines, body_start, d, organ, &mut doc);
                (start, d + 1)
            } else if d > body_start && is_organ_like(&lines[d - 1]) {
                let organ = lines[d - 1].trim_matches(is_space).to_string();
                let start = joint_signatories(lines, body_start, d - 1, organ, &mut doc);
                (start, d + 1)
            } else {
                (d, d + 1)
            }
        }
        None => {
            let mut t = n;
            while t > body_start {
                let line = &lines[t - 1];
                let before_printing = t < n && printing(&lines[t]).is_some() && is_organ_like(line);
                if is_tail_marker(line) || before_printing {
                    t -= 1;
                } else {
                    break;
                }
            }
            if t > body_start && is_organ_like(&lines[t - 1]) {
                let organ = lines[t - 1].trim_matches(is_space).to_string();
                let start = joint_signatories(lines, body_start, t - 1, organ, &mut doc);
                (start, t)
            } else {
                (t, t)
            }
        }
    };

    // 附件说明 and stray 附注 lines between the body and the signature.
    let mut pre_signature = Vec::new();
    loop {
        if let Some(k) = attachment_block_start(lines, body_start, body_end) {
            pre_signature.splice(0..0, lines[k..body_end].iter().cloned());
            body_end = k;
            continue;
        }
        if body_end > body_start + 1 {
            let last = &lines[body_end - 1];
            if is_contact_line(last) || parenthesized(last).is_some() {
                pre_signature.insert(0, last.clone());
                body_end -= 1;
                continue;
            }
        }
        break;
    }
    let tail: Vec<String> = pre_signature
        .into_iter()
        .chain(lines[tail_start.min(n)..].iter().cloned())
        .collect();
    read_tail(&tail, &mut doc);

    // ---- body ----
    // The body's lines are moved out, not copied.
    let body_end = body_end.max(body_start).min(n);
    let mut body: Vec<String> = owned.drain(body_start.min(body_end)..body_end).collect();
    if doc.addressee.is_none() {
        if let Some(first) = body.first() {
            if let Some(caps) = INLINE_ADDRESSEE.captures(first) {
                let addressee = caps["addressee"].trim_matches(is_space).to_string();
                let rest = caps["rest"].trim_matches(is_space).to_string();
                doc.addressee = Some(addressee);
                body[0] = rest;
            }
        }
    }
    body.retain(|l| {
        let is_label = chars(l) <= 40
            && label_pairs(l).is_some_and(|pairs| {
                pairs
                    .iter()
                    .all(|(label, _)| matches!(label, Label::HandlingResult | Label::Disclosure))
            });
        if is_label {
            if let Some(pairs) = label_pairs(l) {
                doc.labels.extend(pairs);
            }
        }
        !is_label
    });
    doc.sections = sections_of(body);
    doc
}
