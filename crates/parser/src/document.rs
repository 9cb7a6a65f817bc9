//! The structure of an official document, read from its text lines in the
//! order GB/T 9704-2012 lays it out: the portal's 办理结果/公开属性 lines, the
//! banner, the doc number, the title, a date/source line, the addressee, the
//! body (sections of paragraphs), the signatory, the signed date, the 附注
//! (contact block and notes), 抄送 and the printing line.
//!
//! Reading never fails: what is not found stays `None` and the caller decides
//! whether the document should have carried it.

use std::sync::LazyLock;

use chrono::NaiveDate;
use govwire_model::{Contact, Section};
use regex::Regex;

use crate::normalize::{
    find_date, is_han, is_space, may_end_with_date, normalize_doc_number, re, remove_spaces,
};

/// The metadata labels govwire reads, in the metadata block or as
/// `label：value` lines in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// 办理结果.
    HandlingResult,
    /// 公开属性.
    Disclosure,
    /// 索引号 / 索取号.
    IndexNumber,
    /// 主题分类.
    Topic,
    /// 成文日期.
    SignedOn,
    /// 发文字号.
    DocNumber,
    /// 发布日期.
    PublishedOn,
    /// 公开主体 / 发布机构.
    Publisher,
    /// 签发人.
    Signer,
}

/// The label a metadata name stands for, if govwire reads it.
pub(crate) fn label_of(name: &str) -> Option<Label> {
    Some(match remove_spaces(name).as_str() {
        "办理结果" | "办理结果类别" => Label::HandlingResult,
        "公开属性" | "公开方式" | "公开类型" => Label::Disclosure,
        "索引号" | "索取号" => Label::IndexNumber,
        "主题分类" | "主题类别" => Label::Topic,
        "成文日期" => Label::SignedOn,
        "发文字号" | "文号" => Label::DocNumber,
        "发布日期" | "公开日期" | "发布时间" => Label::PublishedOn,
        "公开主体" | "发布机构" | "发布主体" | "信息公开主体" => Label::Publisher,
        "签发人" => Label::Signer,
        _ => return None,
    })
}

const LABEL_NAMES: &str = "办理结果类别|办理结果|公开属性|公开方式|公开类型|索引号|索取号|主题分类|主题类别|成文日期|发文字号|文号|发布日期|公开日期|发布时间|公开主体|发布机构|发布主体|信息公开主体|签发人";

static LABEL: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?P<label>{LABEL_NAMES})\s*[：:]")));
static HEADING: LazyLock<Regex> = LazyLock::new(|| re(r"^[一二三四五六七八九十]{1,3}、"));
static ITEM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:[（(][一二三四五六七八九十0-9]{1,3}[）)]|[0-9]{1,3}\s*[.．、]|[一二三四五六七八九十]{1,3}是|[①-⑳]|第[一二三四五六七八九十]{1,3}[，,、]|[一二三四五六七八九十]{1,3}、)",
    )
});
static CONTACT_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?P<label>联系人姓名|联系人|联系电话|联系方式|联系地址|邮政编码|邮编|电话|地址)\s*[：:]")
});
static CC: LazyLock<Regex> = LazyLock::new(|| re(r"^抄\s*送\s*[：:]\s*(?P<rest>.*)$"));
static ATTACHMENT_NOTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^附\s*件\s*[0-9一二三四五六七八九十]{0,2}\s*[：:]"));
static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| re(r"^[0-9]{1,2}\s*[.．、]"));
static DOC_NUMBER_WITH_SIGNER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<number>.*?号)\s*签发人\s*[：:]\s*(?P<signer>.+)$"));
static INLINE_ADDRESSEE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?P<addressee>[^，。：:；,;]{2,30}?(?:代表|委员|同志))[：:](?P<rest>.+)$")
});
static SOURCE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:信息)?来源\s*[：:]"));

/// Endings of the names of organs and units (signatories, addressees,
/// printing offices).
const ORGAN_SUFFIXES: &[&str] = &[
    "政府",
    "办公室",
    "办公厅",
    "委员会",
    "常委会",
    "管委会",
    "局",
    "委",
    "办",
    "办事处",
    "街道",
    "镇",
    "乡",
    "中心",
    "院",
    "所",
    "公司",
    "集团",
    "处",
    "科",
    "部",
    "厅",
    "会",
    "馆",
    "站",
    "队",
    "署",
    "社",
    "校",
    "室",
    "组",
    "园区",
    "单位",
    "部门",
];

/// Endings of the way people are addressed.
const PERSON_SUFFIXES: &[&str] = &["代表", "委员", "同志", "先生", "女士"];

/// Words that make a colon-ended line a sentence rather than an addressee.
const NOT_ADDRESSEE: &[&str] = &[
    "如下", "以下", "收悉", "答复", "意见", "情况", "办理", "措施",
];

/// Characters that end a sentence; a paragraph ending in anything else and
/// followed by another line was split by a page break.
const SENTENCE_FINAL: &[char] = &[
    '。', '！', '？', '：', '；', '”', '.', '!', '?', ':', ';', '"',
];

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
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// `label：value` pairs of a line that starts with a known label; a line may
/// hold several (`办理结果：解决采纳 公开属性：主动公开`).
fn label_pairs(line: &str) -> Option<Vec<(Label, String)>> {
    // Every label ends in a colon; most lines of a reply have none.
    if !line.contains(['：', ':']) {
        return None;
    }
    let matches: Vec<_> = LABEL.captures_iter(line).collect();
    let first = matches.first()?.get(0)?;
    if !line[..first.start()].trim_matches(is_space).is_empty() {
        return None;
    }
    let mut pairs = Vec::new();
    for (k, caps) in matches.iter().enumerate() {
        let (Some(whole), Some(name)) = (caps.get(0), caps.name("label")) else {
            continue;
        };
        let end = matches
            .get(k + 1)
            .and_then(|next| next.get(0))
            .map_or(line.len(), |m| m.start());
        let value = line[whole.end()..end].trim_matches(is_space).to_string();
        if let Some(label) = label_of(name.as_str()) {
            pairs.push((label, value));
        }
    }
    Some(pairs)
}

fn is_banner(line: &str) -> bool {
    let compact = remove_spaces(line);
    compact.ends_with("文件")
        && (4..=30).contains(&chars(&compact))
        && compact.chars().all(|c| is_han(c) || "（）()·".contains(c))
}

/// A title as a document's text writes it: short, no sentence punctuation,
/// naming a reply or the suggestion it answers.
fn is_title_like(line: &str) -> bool {
    const WORDS: &[&str] = &[
        "答复",
        "会办意见",
        "复函",
        "办理情况",
        "办理意见",
        "建议",
        "提案",
        "议案",
    ];
    chars(line) <= 80
        && !line.contains(['，', '。', '；', '！', '？'])
        && !line.ends_with(['：', ':'])
        && !ITEM.is_match(line)
        && WORDS.iter().any(|w| line.contains(w))
}

/// The addressee a line names (`许鸿蕨代表：` → `许鸿蕨代表`), if the line is
/// an addressee line: short, ending in a colon, naming a deputy, a member or
/// a unit.
fn addressee_of(line: &str) -> Option<String> {
    let t = line.trim_matches(is_space);
    let name = t.strip_suffix('：').or_else(|| t.strip_suffix(':'))?;
    let name = name.trim_matches(is_space);
    let n = chars(name);
    if !(2..=40).contains(&n)
        || name.contains(['，', '。', '；', '！', '？', '：', ':', ',', ';'])
        || ITEM.is_match(name)
        || NOT_ADDRESSEE.iter().any(|w| name.contains(w))
        || label_of(name).is_some()
    {
        return None;
    }
    let names_someone = PERSON_SUFFIXES
        .iter()
        .chain(ORGAN_SUFFIXES)
        .any(|s| name.ends_with(s))
        || name.contains("代表")
        || name.contains("委员");
    names_someone.then(|| name.to_string())
}

/// Whether a line is an organ's name standing alone (a signatory, a
/// printing office).
pub(crate) fn is_organ_like(line: &str) -> bool {
    let compact = remove_spaces(line);
    (2..=40).contains(&chars(&compact))
        && !compact.contains([
            '，', '。', '；', '！', '？', '：', ':', '、', '“', '”', ',', ';',
        ])
        && !compact.chars().any(|c| c.is_ascii_digit())
        && !ITEM.is_match(&compact)
        && ORGAN_SUFFIXES.iter().any(|s| compact.ends_with(s))
}

/// A signature line: a date standing alone (`2022年8月8日`), or an organ and
/// a date on one line. Printing lines (`…印发`) are not.
fn signature_date(line: &str) -> Option<(Option<String>, NaiveDate)> {
    let t = line.trim_matches(is_space);
    if t.ends_with("印发") || !may_end_with_date(t) {
        return None;
    }
    let m = find_date(t)?;
    if m.end != t.len() {
        return None;
    }
    let prefix = t[..m.start].trim_matches(is_space);
    if prefix.is_empty() {
        Some((None, m.date))
    } else if is_organ_like(prefix) {
        Some((Some(prefix.to_string()), m.date))
    } else {
        None
    }
}

/// A printing line: `2022年8月8日印发`, optionally after the printing office.
fn printing(line: &str) -> Option<(Option<String>, NaiveDate)> {
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
fn parenthesized(line: &str) -> Option<&str> {
    let t = line.trim_matches(is_space);
    let inner = t.strip_prefix(['（', '('])?.strip_suffix(['）', ')'])?;
    Some(inner.trim_matches(is_space))
}

/// Whether a line (or its parenthesized inside) starts with a contact label.
fn is_contact_line(line: &str) -> bool {
    let t = parenthesized(line).unwrap_or_else(|| line.trim_matches(is_space));
    CONTACT_LABEL.find(t).is_some_and(|m| m.start() == 0)
}

/// Reads contact labels from a line into `contact`; the first value of each
/// field wins.
fn read_contact(line: &str, contact: &mut Contact) {
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

fn ends_sentence(text: &str) -> bool {
    text.chars()
        .last()
        .is_some_and(|c| SENTENCE_FINAL.contains(&c))
}

/// A heading line (`一、工作推进情况`) as (heading, text after it). A heading
/// is short and holds no sentence punctuation but perhaps a final `。`; a
/// line that opens with a short first sentence and goes on
/// (`一、加强组织领导。区政府…`) is that sentence as heading, the rest as the
/// section's first paragraph. A long sentence that merely starts with `一、`
/// is not a heading.
fn as_heading(line: &str) -> Option<(String, Option<String>)> {
    let marker = HEADING.find(line)?;
    let rest = &line[marker.end()..];
    let inner_punct = |s: &str| s.contains(['，', '。', '；', '！', '？', ',', ';']);
    let rest_body = rest.strip_suffix(['。', '：', ':']).unwrap_or(rest);
    if chars(rest_body) > 0 && chars(line) <= 40 && !inner_punct(rest_body) {
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

/// An item line short enough to be an item's own title (`（一）加强组织领导`):
/// the text after it is a new paragraph even without final punctuation.
fn is_item_title(text: &str) -> bool {
    ITEM.is_match(text) && chars(text) <= 30 && !text.contains(['，', '。', '；', ',', ';'])
}

/// Groups body lines into sections of paragraphs (see the crate docs for the
/// rules).
pub(crate) fn sections_of(lines: &[String]) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut current = Section {
        heading: None,
        paragraphs: Vec::new(),
    };
    let mut pending: Option<String> = None;
    for line in lines {
        if let Some((heading, rest)) = as_heading(line) {
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
            Some(p) if !ends_sentence(p) && !ITEM.is_match(line) && !is_item_title(p) => {
                p.push_str(line);
            }
            _ => {
                current.paragraphs.extend(pending.take());
                pending = Some(line.clone());
            }
        }
    }
    current.paragraphs.extend(pending.take());
    if current.heading.is_some() || !current.paragraphs.is_empty() {
        sections.push(current);
    }
    sections
}

/// Reads a document from its text lines. `heading` is the page's title
/// element, used to recognise the title line(s) in the text.
pub(crate) fn read_document(lines: &[String], heading: Option<&str>) -> Document {
    let mut doc = Document::default();
    let n = lines.len();
    let heading_compact = heading.map(remove_spaces).filter(|h| !h.is_empty());

    // ---- head: everything up to the addressee ----
    let mut i = 0;
    while i < n {
        let line = lines[i].as_str();
        if let Some(pairs) = label_pairs(line) {
            let value_on_next_line = pairs.len() == 1
                && pairs[0].1.is_empty()
                && lines
                    .get(i + 1)
                    .is_some_and(|next| label_pairs(next).is_none());
            if value_on_next_line {
                doc.labels
                    .push((pairs[0].0, lines[i + 1].trim_matches(is_space).to_string()));
                i += 2;
            } else {
                doc.labels.extend(pairs);
                i += 1;
            }
            continue;
        }
        if doc.banner.is_none() && doc.title_line.is_none() && is_banner(line) {
            doc.banner = Some(line.trim_matches(is_space).to_string());
            i += 1;
            continue;
        }
        if doc.doc_number.is_none() && doc.title_line.is_none() {
            if let Some(caps) = DOC_NUMBER_WITH_SIGNER.captures(line) {
                if let Some(number) = normalize_doc_number(&caps["number"]) {
                    doc.doc_number = Some(number);
                    doc.signer = Some(caps["signer"].trim_matches(is_space).to_string());
                    i += 1;
                    continue;
                }
            }
            // The 2019 layout spreads a doc number over up to three lines.
            let joined = (1..=3).filter(|k| i + k <= n).find_map(|k| {
                normalize_doc_number(&lines[i..i + k].concat()).map(|number| (k, number))
            });
            if let Some((k, number)) = joined {
                doc.doc_number = Some(number);
                i += k;
                continue;
            }
        }
        if doc.title_line.is_none() {
            let matched = heading_compact.as_ref().and_then(|h| {
                (1..=3)
                    .filter(|k| i + k <= n)
                    .find(|k| remove_spaces(&lines[i..i + k].concat()) == *h)
            });
            if let Some(k) = matched {
                doc.title_line = Some(lines[i..i + k].concat());
                i += k;
                continue;
            }
            if is_title_like(line) && addressee_of(line).is_none() {
                doc.title_line = Some(line.to_string());
                i += 1;
                continue;
            }
        }
        if doc.published_on.is_none() {
            if let Some(m) = find_date(line) {
                let rest = &line[m.end..];
                if line[..m.start].trim_matches(is_space).is_empty()
                    && (rest.trim_matches(is_space).is_empty() || SOURCE.is_match(rest))
                    && doc.addressee.is_none()
                {
                    doc.published_on = Some(m.date);
                    i += 1;
                    continue;
                }
            }
        }
        if let Some(addressee) = addressee_of(line) {
            doc.addressee = Some(addressee);
            i += 1;
        }
        break;
    }

    // Label lines (办理结果) often follow the addressee.
    while i < n {
        match label_pairs(&lines[i]) {
            Some(pairs) => {
                doc.labels.extend(pairs);
                i += 1;
            }
            None => break,
        }
    }
    let body_start = i;

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
                doc.signatory = Some(organ);
                (d, d + 1)
            } else if d > body_start && is_organ_like(&lines[d - 1]) {
                doc.signatory = Some(lines[d - 1].trim_matches(is_space).to_string());
                (d - 1, d + 1)
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
                doc.signatory = Some(lines[t - 1].trim_matches(is_space).to_string());
                (t - 1, t)
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
    let mut body: Vec<String> = lines[body_start..body_end.max(body_start)].to_vec();
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
        let is_label = label_pairs(l).is_some_and(|pairs| {
            pairs
                .iter()
                .all(|(label, _)| matches!(label, Label::HandlingResult | Label::Disclosure))
        }) && chars(l) <= 40;
        if is_label {
            if let Some(pairs) = label_pairs(l) {
                doc.labels.extend(pairs);
            }
        }
        !is_label
    });
    doc.sections = sections_of(&body);
    doc
}

/// Whether a line belongs to the block after the signature.
fn is_tail_marker(line: &str) -> bool {
    is_contact_line(line)
        || CC.is_match(line)
        || printing(line).is_some()
        || ATTACHMENT_NOTE.is_match(line)
        || parenthesized(line).is_some()
}

/// Where an 附件说明 block ending at `end` starts: an `附件：` line followed
/// only by numbered file lines.
fn attachment_block_start(lines: &[String], start: usize, end: usize) -> Option<usize> {
    let mut k = end;
    while k > start {
        let line = &lines[k - 1];
        if ATTACHMENT_NOTE.is_match(line) {
            return Some(k - 1);
        }
        if LIST_ITEM.is_match(line) && chars(line) <= 60 && !ends_sentence(line) && end - k < 8 {
            k -= 1;
            continue;
        }
        return None;
    }
    None
}

/// Classifies the lines after the signed date.
fn read_tail(tail: &[String], doc: &mut Document) {
    let mut contact = Contact::default();
    let mut has_contact = false;
    // Inside an 附件说明 block, numbered lines are further attachments.
    let mut in_attachments = false;
    let mut j = 0;
    while j < tail.len() {
        let line = tail[j].trim_matches(is_space);
        let continues_attachments = in_attachments && LIST_ITEM.is_match(line);
        in_attachments = false;
        if ATTACHMENT_NOTE.is_match(line) || continues_attachments {
            doc.attachment_notes.push(line.to_string());
            in_attachments = true;
        } else if is_contact_line(line) {
            read_contact(line, &mut contact);
            has_contact = true;
        } else if let Some(caps) = CC.captures(line) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn a_paragraph_split_by_a_page_break_is_joined_without_a_space() {
        let s = sections_of(&lines(
            "一、标题\n园区主体已获\n张江专项支持。\n（一）加强领导\n区政府高度重视。",
        ));
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].paragraphs,
            vec![
                "园区主体已获张江专项支持。",
                "（一）加强领导",
                "区政府高度重视。"
            ]
        );
    }

    #[test]
    fn a_heading_with_text_is_split_after_its_first_sentence() {
        assert_eq!(
            as_heading("一、加强组织领导。区政府高度重视，成立了领导小组。"),
            Some((
                "一、加强组织领导。".to_string(),
                Some("区政府高度重视，成立了领导小组。".to_string())
            ))
        );
        assert_eq!(
            as_heading("一、工作推进情况"),
            Some(("一、工作推进情况".into(), None))
        );
        assert_eq!(
            as_heading("一、我区高度重视此项工作，多次召开专题会议研究推进，取得了明显成效。"),
            None
        );
    }

    #[test]
    fn addressees_name_a_person_or_a_unit() {
        assert_eq!(addressee_of("许鸿蕨代表：").as_deref(), Some("许鸿蕨代表"));
        assert_eq!(addressee_of("真如镇街道：").as_deref(), Some("真如镇街道"));
        assert_eq!(addressee_of("现将办理情况答复如下："), None);
        assert_eq!(addressee_of("办理结果："), None);
    }

    #[test]
    fn contact_lines_with_several_labels_fill_several_fields() {
        let mut c = Contact::default();
        read_contact("（联系人：张家骥，联系电话：52564588-1318）", &mut c);
        assert_eq!(c.name.as_deref(), Some("张家骥"));
        assert_eq!(c.phone.as_deref(), Some("52564588-1318"));
    }
}
