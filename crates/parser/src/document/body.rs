//! The body (正文): lines grouped into sections under their headings
//! (`一、…`), paragraphs split by page breaks joined, items and table rows
//! kept apart.

use std::sync::LazyLock;

use govwire_model::Section;
use regex::Regex;

use crate::normalize::{is_han, is_space, re};

use super::chars;

static HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^[一二三四五六七八九十]{1,3}、"));

static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[（(][一二三四五六七八九十0-9]{1,3}[）)]|[0-9]{1,3}\s*[.．、]|[一二三四五六七八九十]{1,3}是|[①-⑳]|第[一二三四五六七八九十]{1,3}[，,、]|[一二三四五六七八九十]{1,3}、)",
    )
});

/// The longest heading line (`一、…` without sentence punctuation).
pub(super) const MAX_HEADING_CHARS: usize = 80;

/// Characters that end a sentence; a paragraph ending in anything else and
/// followed by another line was split by a page break.
const SENTENCE_FINAL: &[char] = &[
    '。', '！', '？', '：', '；', '”', '.', '!', '?', ':', ';', '"',
];

/// The Chinese numerals a numbered heading or item starts with.
const NUMERALS: [char; 10] = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/// Whether `text` starts with an item marker ([`ITEM`]): `（一）`, `1.`,
/// `一是`, `①`, `第一，`, `一、`. The first character is looked at before
/// the pattern runs, as most lines start otherwise.
pub(super) fn is_item(text: &str) -> bool {
    text.chars().next().is_some_and(|c| {
        matches!(c, '（' | '(' | '第' | '①'..='⑳') || c.is_ascii_digit() || NUMERALS.contains(&c)
    }) && ITEM.is_match(text)
        && !starts_with_decimal(text)
}

/// Whether `text` starts with a decimal number (`2.5倍`), which a page break
/// may put at the start of a line: not an item number (`2.`, `2. 加强…`).
fn starts_with_decimal(text: &str) -> bool {
    let rest = text.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.len() < text.len()
        && rest
            .strip_prefix(['.', '．'])
            .is_some_and(|after| after.starts_with(|c: char| c.is_ascii_digit()))
}

pub(super) fn ends_sentence(text: &str) -> bool {
    text.chars()
        .last()
        .is_some_and(|c| SENTENCE_FINAL.contains(&c))
}

/// A heading line (`一、工作推进情况`) as (heading, text after it). A heading
/// holds no sentence punctuation but perhaps a final `。` or `：`; it is up to
/// [`MAX_HEADING_CHARS`] long (40 when it ends in `。`, as a short sentence
/// does). A line that opens with a short first sentence and goes on
/// (`一、加强组织领导。区政府…`) is that sentence as heading, the rest as the
/// section's first paragraph. A long sentence that merely starts with `一、`
/// is not a heading.
pub(super) fn as_heading(line: &str) -> Option<(String, Option<String>)> {
    if !line.starts_with(NUMERALS) {
        return None;
    }
    let marker = HEADING.find(line)?;
    let rest = &line[marker.end()..];
    let inner_punct = |s: &str| s.contains(['，', '。', '；', '！', '？', ',', ';']);
    let rest_body = rest.strip_suffix(['。', '：', ':']).unwrap_or(rest);
    let limit = if rest.ends_with('。') {
        40
    } else {
        MAX_HEADING_CHARS
    };
    if chars(rest_body) > 0 && chars(line) <= limit && !inner_punct(rest_body) {
        return Some((line.to_string(), None));
    }
    let (p, c) = rest
        .char_indices()
        .find(|(_, c)| matches!(c, '。' | '！' | '？'))?;
    let split = marker.end() + p + c.len_utf8();
    let first = &line[..split];
    let remainder = line[split..].trim_matches(is_space);
    if chars(first) <= 30 && !first.contains(['，', ',', '；', ';']) && !remainder.is_empty() {
        return Some((first.to_string(), Some(remainder.to_string())));
    }
    None
}

/// Most characters of the end of a heading a page break put on the next
/// line.
const MAX_HEADING_TAIL_CHARS: usize = 4;

/// Whether `next` is the end of `heading`, cut off by a page break: the
/// heading ends without punctuation and `next` is a few characters of text,
/// no sentence, item, heading or table row, and the two together are still
/// a heading.
fn heading_tail(heading: &str, next: &str) -> bool {
    let next = next.trim_matches(is_space);
    let heading_open = !heading.ends_with(['。', '：', ':', '；', '！', '？', '，']);
    heading_open
        && (1..=MAX_HEADING_TAIL_CHARS).contains(&chars(next))
        && next.chars().all(is_han)
        && !is_item(next)
        && as_heading(next).is_none()
        && as_heading(&format!("{heading}{next}")).is_some_and(|(_, rest)| rest.is_none())
}

/// An item line short enough to be an item's own title (`（一）加强组织领导`):
/// the text after it is a new paragraph even without final punctuation.
fn is_item_title(text: &str) -> bool {
    is_item(text) && chars(text) <= 30 && !text.contains(['，', '。', '；', ',', ';'])
}

/// Whether a line is a table row: the line reader separates a row's cells
/// with tabs, and no other line holds one.
fn is_table_row(line: &str) -> bool {
    line.contains('\t')
}

/// Groups body lines into sections of paragraphs (see the crate docs for the
/// rules). A table row is a paragraph of its own: never joined to the line
/// before or after it.
pub(super) fn sections_of(mut lines: Vec<String>) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut current = Section {
        heading: None,
        paragraphs: Vec::new(),
    };
    let mut pending: Option<String> = None;
    let mut k = 0;
    while k < lines.len() {
        // Each line is taken (not copied) into the paragraph it starts.
        let line = std::mem::take(&mut lines[k]);
        k += 1;
        let row = is_table_row(&line);
        if let Some((mut heading, rest)) = as_heading(&line).filter(|_| !row) {
            // A heading a page break cut before its last few characters
            // (`一、工作推进` / `情况`) takes them back.
            if rest.is_none() {
                if let Some(tail) = lines.get(k).filter(|next| heading_tail(&heading, next)) {
                    heading.push_str(tail.trim_matches(is_space));
                    k += 1;
                }
            }
            current.paragraphs.extend(pending.take());
            if current.heading.is_some() || !current.paragraphs.is_empty() {
                sections.push(current);
            }
            current = Section {
                heading: Some(heading),
                paragraphs: Vec::new(),
            };
            pending = rest;
            continue;
        }
        match pending.as_mut() {
            Some(p)
                if !row
                    && !ends_sentence(p)
                    && !is_table_row(p)
                    && !is_item(&line)
                    && !is_item_title(p) =>
            {
                p.push_str(&line);
            }
            _ => {
                current.paragraphs.extend(pending.take());
                pending = Some(line);
            }
        }
    }
    current.paragraphs.extend(pending.take());
    if current.heading.is_some() || !current.paragraphs.is_empty() {
        sections.push(current);
    }
    sections
}
