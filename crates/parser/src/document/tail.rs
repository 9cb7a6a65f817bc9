//! What follows the signature: the 附注 (contact block and notes), 附件说明,
//! 抄送 and the printing line (印发机关, 印发日期).

use std::sync::LazyLock;

use chrono::NaiveDate;
use govwire_model::Contact;
use regex::Regex;

use crate::normalize::{find_date, is_space, may_end_with_date, re};

use super::addressee::is_organ_like;
use super::body::ends_sentence;
use super::head::is_separator;
use super::labels::{colon_within, label_pairs, Label};
use super::{chars, Document};

static CONTACT_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?P<label>联系人姓名|联系人|联系电话|联系方式|联系地址|邮政编码|邮编|电话|地址)\s*[：:]")
});

static CC: LazyLock<Regex> = LazyLock::new(|| re(r"^抄\s*送\s*[：:]\s*(?P<rest>.*)$"));

static ATTACHMENT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^附\s*件\s*[0-9一二三四五六七八九十]{0,2}\s*[：:]"));

static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{1,2}\s*[.．、]"));

/// A printing line: `2022年8月8日印发`, optionally after the printing office.
pub(super) fn printing(line: &str) -> Option<(Option<String>, NaiveDate)> {
    let t = line.trim_matches(is_space);
    let body = t.strip_suffix("印发")?.trim_end_matches(is_space);
    if !may_end_with_date(body) {
        return None;
    }
    let m = find_date(body)?;
    if m.end != body.len() {
        return None;
    }
    let prefix = body[..m.start].trim_matches(is_space);
    Some(((!prefix.is_empty()).then(|| prefix.to_string()), m.date))
}

/// A 附注 line in parentheses (`（此件公开发布）`), without them.
pub(super) fn parenthesized(line: &str) -> Option<&str> {
    let t = line.trim_matches(is_space);
    let inner = t.strip_prefix(['（', '('])?.strip_suffix(['）', ')'])?;
    Some(inner.trim_matches(is_space))
}

/// Most characters of a contact label before its colon (`联系人姓名`).
pub(super) const MAX_CONTACT_LABEL_CHARS: usize = 5;

/// Whether a line (or its parenthesized inside) starts with a contact label.
pub(super) fn is_contact_line(line: &str) -> bool {
    let t = parenthesized(line).unwrap_or_else(|| line.trim_matches(is_space));
    t.starts_with(['联', '电', '地', '邮'])
        && colon_within(t, MAX_CONTACT_LABEL_CHARS)
        && CONTACT_LABEL.find(t).is_some_and(|m| m.start() == 0)
}

/// Reads contact labels from a line into `contact`; the first value of each
/// field wins.
pub(super) fn read_contact(line: &str, contact: &mut Contact) {
    let t = parenthesized(line).unwrap_or_else(|| line.trim_matches(is_space));
    let matches: Vec<_> = CONTACT_LABEL.captures_iter(t).collect();
    for (k, caps) in matches.iter().enumerate() {
        let (Some(whole), Some(label)) = (caps.get(0), caps.name("label")) else {
            continue;
        };
        let end = matches
            .get(k + 1)
            .and_then(|next| next.get(0))
            .map_or(t.len(), |m| m.start());
        let value = t[whole.end()..end]
            .trim_matches(|c: char| is_space(c) || "，,；;。、".contains(c))
            .to_string();
        if value.is_empty() {
            continue;
        }
        let slot = match label.as_str() {
            "联系人姓名" | "联系人" => &mut contact.name,
            "联系电话" | "联系方式" | "电话" => &mut contact.phone,
            "联系地址" | "地址" => &mut contact.address,
            _ => &mut contact.postcode,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
}

/// Splits an 抄送 list into organs: on `，、,；;`, the closing `。` removed.
fn split_cc(text: &str) -> Vec<String> {
    text.split(['，', '、', ',', '；', ';'])
        .map(|s| s.trim_matches(|c: char| is_space(c) || c == '。' || c == '.'))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a line belongs to the block after the signature.
pub(super) fn is_tail_marker(line: &str) -> bool {
    is_separator(line)
        || is_contact_line(line)
        || (line.starts_with('抄') && CC.is_match(line))
        || printing(line).is_some()
        || (line.starts_with('附') && ATTACHMENT_NOTE.is_match(line))
        || parenthesized(line).is_some()
}

/// Where an 附件说明 block ending at `end` starts: an `附件：` line followed
/// only by numbered file lines.
pub(super) fn attachment_block_start(lines: &[String], start: usize, end: usize) -> Option<usize> {
    let mut k = end;
    while k > start {
        let line = &lines[k - 1];
        if line.starts_with('附') && ATTACHMENT_NOTE.is_match(line) {
            return Some(k - 1);
        }
        if (line.starts_with(|c: char| c.is_ascii_digit()) && LIST_ITEM.is_match(line))
            && chars(line) <= 60
            && !ends_sentence(line)
            && end - k < 8
        {
            k -= 1;
            continue;
        }
        return None;
    }
    None
}

/// Classifies the lines after the signed date.
pub(super) fn read_tail(tail: &[String], doc: &mut Document) {
    let mut contact = Contact::default();
    let mut has_contact = false;
    // Inside an 附件说明 block, numbered lines are further attachments.
    let mut in_attachments = false;
    let mut j = 0;
    while j < tail.len() {
        let line = tail[j].trim_matches(is_space);
        let continues_attachments = in_attachments
            && (line.starts_with(|c: char| c.is_ascii_digit()) && LIST_ITEM.is_match(line));
        in_attachments = false;
        if line.is_empty() || is_separator(line) {
            // The 版记's separator lines hold nothing.
        } else if (line.starts_with('附') && ATTACHMENT_NOTE.is_match(line))
            || continues_attachments
        {
            doc.attachment_notes.push(line.to_string());
            in_attachments = true;
        } else if is_contact_line(line) {
            read_contact(line, &mut contact);
            has_contact = true;
        } else if let Some(caps) = line.starts_with('抄').then(|| CC.captures(line)).flatten() {
            let mut text = caps["rest"].to_string();
            while !text.ends_with('。')
                && tail.get(j + 1).is_some_and(|next| {
                    !is_tail_marker(next) && !is_organ_like_before_printing(tail, j + 1)
                })
            {
                j += 1;
                text.push_str(tail[j].trim_matches(is_space));
            }
            doc.cc.extend(split_cc(&text));
        } else if let Some((organ, date)) = printing(line) {
            doc.printed_on = Some(date);
            if organ.is_some() {
                doc.printed_by = organ;
            }
        } else if is_organ_like_before_printing(tail, j) {
            doc.printed_by = Some(line.to_string());
        } else if let Some(pairs) = label_pairs(line) {
            for (label, value) in pairs {
                if label == Label::Signer && doc.signer.is_none() && !value.is_empty() {
                    doc.signer = Some(value);
                } else {
                    doc.labels.push((label, value));
                }
            }
        } else {
            doc.notes.push(line.to_string());
        }
        j += 1;
    }
    if has_contact {
        doc.contact = Some(contact);
    }
}

fn is_organ_like_before_printing(tail: &[String], j: usize) -> bool {
    is_organ_like(&tail[j])
        && tail
            .get(j + 1)
            .is_some_and(|next| matches!(printing(next), Some((None, _))))
}
