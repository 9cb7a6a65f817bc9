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
use govwire_model::{Contact, Section, Warning};
use regex::Regex;

use crate::normalize::{
    captures_containing, find_date, is_han, is_space, may_end_with_date, normalize_doc_number, re,
    remove_spaces,
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
    Some(match remove_spaces(name).as_ref() {
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

/// Labels that may follow the publication date on a page's date line
/// (`2025年07月16日 来源: 上海普陀`, `… 作者：…`).
const DATE_LINE_LABELS: &[&str] = &[
    "信息来源",
    "来源",
    "发布机构",
    "发布单位",
    "作者",
    "浏览次数",
    "点击数",
    "字号",
];

/// 紧急程度 (urgency) marks of the 版头.
const URGENCY_MARKS: &[&str] = &["特急", "加急", "平急", "特提", "急件", "紧急"];

/// 密级 (secrecy) marks of the 版头; a period may follow after `★`
/// (`机密★1年`).
const SECRECY_MARKS: &[&str] = &["绝密", "机密", "秘密", "内部"];

/// Characters that draw a separator line (`━━━━`, `————`, `★`).
const SEPARATOR_CHARS: &[char] = &[
    '━', '─', '—', '―', '－', '-', '=', '＝', '═', '_', '＿', '*', '＊', '★', '☆', '·', '…', '~',
    '～', '▬', '■', '□', '◆', '●',
];

/// Endings of a document's title; a title line without one may go on on
/// the next line.
const TITLE_ENDINGS: &[&str] = &[
    "答复", "复函", "意见", "函", "报告", "情况", "复文", "）", ")",
];

/// Opening brackets a doc number's year may be written in.
const YEAR_OPEN: &[char] = &['〔', '[', '（', '(', '【', '［', '﹝', '〖'];

/// Closing brackets a doc number's year may be written in.
const YEAR_CLOSE: &[char] = &['〕', ']', '）', ')', '】', '］', '﹞', '〗'];

/// How many lines after an unrecognised head line the addressee may stand
/// for that line to be skipped rather than taken as the body's start.
const ADDRESSEE_LOOKAHEAD: usize = 4;

/// How many organs a joint signature may list above the signed date.
const MAX_SIGNATORIES: usize = 4;

/// The longest heading line (`一、…` without sentence punctuation).
const MAX_HEADING_CHARS: usize = 80;

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
    /// What reading the structure had to guess or leave out.
    pub warnings: Vec<Warning>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Most characters of a label before its colon (`信息公开主体`).
const MAX_LABEL_CHARS: usize = 6;

/// Whether `line` has a colon after at most `max` characters other than
/// spaces: where a label at its start would put it.
fn colon_within(line: &str, max: usize) -> bool {
    let mut seen = 0;
    for c in line.chars() {
        if c == '：' || c == ':' {
            return true;
        }
        if !is_space(c) {
            seen += 1;
            if seen > max {
                return false;
            }
        }
    }
    false
}

/// The Chinese numerals a numbered heading or item starts with.
const NUMERALS: [char; 10] = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/// Whether `text` starts with an item marker ([`ITEM`]): `（一）`, `1.`,
/// `一是`, `①`, `第一，`, `一、`. The first character is looked at before
/// the pattern runs, as most lines start otherwise.
fn is_item(text: &str) -> bool {
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

/// Whether `parts`, joined and without spaces, are `compact` (which has
/// none), compared without building the joined text.
fn same_without_spaces(parts: &[String], compact: &str) -> bool {
    let mut joined = parts
        .iter()
        .flat_map(|p| p.chars())
        .filter(|c| !is_space(*c));
    let mut target = compact.chars();
    loop {
        match (joined.next(), target.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// `label：value` pairs of a line that starts with a known label; a line may
/// hold several (`办理结果：解决采纳 公开属性：主动公开`).
fn label_pairs(line: &str) -> Option<Vec<(Label, String)>> {
    // Every label ends in a colon, and the line starts with one; most
    // lines of a reply are neither.
    let starts_like_a_label = line
        .trim_start_matches(is_space)
        .starts_with(['办', '公', '索', '主', '成', '发', '文', '信', '签']);
    if !starts_like_a_label || !colon_within(line, MAX_LABEL_CHARS) {
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

/// A line that only draws a separator (`━━━━━━`, `————`, a lone `★`).
fn is_separator(line: &str) -> bool {
    let mut any = false;
    for c in line.chars() {
        if SEPARATOR_CHARS.contains(&c) {
            any = true;
        } else if !is_space(c) {
            return false;
        }
    }
    any
}

/// A 版头 mark before the banner: the 份号 (copy number, `000123`,
/// `份号：000123`), 紧急程度 (`特急`, `加急`) or 密级 (`机密★1年`), one or
/// several on a line.
fn is_head_mark(line: &str) -> bool {
    let t = line.trim_matches(is_space);
    if t.is_empty() || chars(t) > 24 {
        return false;
    }
    let t = t.strip_prefix("份号").map_or(t, |rest| {
        rest.trim_start_matches(|c| is_space(c) || c == '：' || c == ':')
    });
    t.split(is_space).filter(|w| !w.is_empty()).all(|word| {
        let is_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
        if word.chars().all(is_digit) {
            return chars(word) <= 8;
        }
        if URGENCY_MARKS.contains(&word) {
            return true;
        }
        SECRECY_MARKS.iter().any(|mark| {
            word.strip_prefix(mark).is_some_and(|rest| {
                rest.is_empty()
                    || rest
                        .strip_prefix(['★', '☆', '*'])
                        .is_some_and(|period| chars(period) <= 6)
            })
        })
    })
}

/// A label written alone on its line without a colon (`办理结果`), its
/// value on the next line.
fn bare_label(line: &str) -> Option<Label> {
    let t = line.trim_matches(is_space);
    if t.is_empty() || chars(t) > 8 {
        return None;
    }
    label_of(t)
}

/// Whether a line can be the value of a label on the line before it.
fn is_label_value(line: &str) -> bool {
    let t = line.trim_matches(is_space);
    !t.is_empty()
        && chars(t) <= 30
        && label_pairs(t).is_none()
        && bare_label(t).is_none()
        && addressee_of(t).is_none()
}

/// The label lines at `i`: `label：value` (several on a line, or the value
/// on the next line) or a bare label over its value (`办理结果` /
/// `部分采纳`), with how many lines they take.
fn labels_at(lines: &[String], i: usize) -> Option<(Vec<(Label, String)>, usize)> {
    let line = lines.get(i)?;
    let next = lines.get(i + 1);
    if let Some(pairs) = label_pairs(line) {
        let value_on_next_line = pairs.len() == 1
            && pairs[0].1.is_empty()
            && next.is_some_and(|next| label_pairs(next).is_none() && chars(next) <= 60);
        return Some(match next {
            Some(next) if value_on_next_line => (
                vec![(pairs[0].0, next.trim_matches(is_space).to_string())],
                2,
            ),
            _ => (pairs, 1),
        });
    }
    let label = bare_label(line)?;
    let value = next.filter(|next| is_label_value(next))?;
    Some((vec![(label, value.trim_matches(is_space).to_string())], 2))
}

/// A doc number read from `s`, the traditional `號` read as `号`.
fn read_doc_number(s: &str) -> Option<String> {
    normalize_doc_number(s).or_else(|| {
        s.contains('號')
            .then(|| normalize_doc_number(&s.replace('號', "号")))
            .flatten()
    })
}

/// The doc number at line `i` and how many lines it takes: one line, or
/// (the 2019 layout) two or three split at the year's brackets (`普绿容` /
/// `〔2019〕` / `44号`, `普绿容〔2019〕` / `44号`). Lines are joined only
/// there, so a banner or another line before the number never becomes part
/// of it.
fn doc_number_at(lines: &[String], i: usize) -> Option<(usize, String)> {
    let first = lines.get(i)?.trim_matches(is_space);
    if let Some(number) = read_doc_number(first) {
        return Some((1, number));
    }
    if chars(first) > 16 {
        return None;
    }
    let opens = |s: &str| s.starts_with(YEAR_OPEN);
    let closes = |s: &str| s.ends_with(YEAR_CLOSE);
    let second = lines.get(i + 1)?.trim_matches(is_space);
    if opens(second) || closes(first) {
        if let Some(number) = read_doc_number(&format!("{first}{second}")) {
            return Some((2, number));
        }
    }
    let third = lines.get(i + 2)?.trim_matches(is_space);
    if !closes(first) && opens(second) && closes(second) {
        if let Some(number) = read_doc_number(&format!("{first}{second}{third}")) {
            return Some((3, number));
        }
    }
    None
}

/// A line that looks like a doc number govwire cannot read
/// (`普府2022年55号`): short, ending in 号, with a digit, no sentence
/// punctuation, none of a title's words (a title broken after `第0184号`
/// is not one).
fn looks_like_doc_number(line: &str) -> bool {
    const TITLE_WORDS: &[&str] = &["关于", "会议", "建议", "提案", "答复", "代表", "委员"];
    let t = line.trim_matches(is_space);
    (t.ends_with('号') || t.ends_with('號'))
        && chars(t) <= 30
        && !TITLE_WORDS.iter().any(|w| t.contains(w))
        && t.chars()
            .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
        && !t.contains(['，', '。', '；', '！', '？', '：', ':', ',', ';'])
}

/// Whether a title ends the way titles do (`…的答复`, `…会办意见`).
fn ends_like_title(text: &str) -> bool {
    TITLE_ENDINGS.iter().any(|e| text.ends_with(e))
}

/// The title at line `i` when no line matches the page's heading: one
/// title-like line, or a title broken over two or three lines
/// (`关于…代表建议` / `的答复`) that together end as a title does.
fn title_at(lines: &[String], i: usize) -> Option<(usize, String)> {
    let first = lines.get(i)?.as_str();
    let piece = |line: &str| {
        !line.contains(['，', '。', '；', '！', '？', '：', ':'])
            && !is_item(line)
            && date_source_line(line).is_none()
    };
    if piece(first) && !ends_like_title(first) {
        let mut joined = first.to_string();
        for k in 2..=3 {
            let Some(next) = lines.get(i + k - 1) else {
                break;
            };
            if chars(next) > 40 || !piece(next) {
                break;
            }
            joined.push_str(next);
            if ends_like_title(&joined) && is_title_like(&joined) {
                return Some((k, joined));
            }
        }
    }
    (is_title_like(first) && addressee_of(first).is_none()).then(|| (1, first.to_string()))
}

/// `s` without a time of day at its start (`10:30`, `10:30:00`).
fn skip_time(s: &str) -> &str {
    let t = s.trim_start_matches(is_space);
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let hours = digits(t);
    if !(1..=2).contains(&hours) {
        return s;
    }
    let mut rest = &t[hours..];
    let mut parts = 0;
    while let Some(after) = rest.strip_prefix([':', '：']) {
        if digits(after) != 2 {
            break;
        }
        rest = &after[2..];
        parts += 1;
    }
    if parts == 0 {
        s
    } else {
        rest
    }
}

/// Whether `s` starts with one of the labels of a page's date line
/// (`来源：`, `作者：`).
fn starts_with_date_line_label(s: &str) -> bool {
    DATE_LINE_LABELS.iter().any(|label| {
        s.strip_prefix(label)
            .is_some_and(|rest| rest.trim_start_matches(is_space).starts_with(['：', ':']))
    })
}

/// Whether a short line names its source (`来源：…`, `信息来源:…`)
/// anywhere, as a page's date line does.
fn names_source(t: &str) -> bool {
    chars(t) <= 80
        && t.match_indices("来源").any(|(at, word)| {
            t[at + word.len()..]
                .trim_start_matches(is_space)
                .starts_with(['：', ':'])
        })
}

/// A page's date/source line in the head, with the date it gives:
/// `2025年07月16日`, `2025年07月16日 来源: 上海普陀`, `2025年07月16日
/// 10:30 来源: 上海普陀`, `来源：上海普陀 2025年07月16日`, a source alone
/// (`来源: 上海普陀`, the line after a date line), or a short line naming
/// its source among page furniture (`【字体：大 中 小】 2025年07月16日 来源: 上海普陀`).
fn date_source_line(line: &str) -> Option<Option<NaiveDate>> {
    let t = line.trim_matches(is_space);
    if names_source(t) {
        return Some(find_date(t).map(|m| m.date));
    }
    // Otherwise the line starts with its date, and every date starts with
    // a digit or a Chinese numeral.
    let starts_like_a_date = t.starts_with(|c: char| {
        c.is_ascii_digit() || ('０'..='９').contains(&c) || "〇○零一二三四五六七八九".contains(c)
    });
    if !starts_like_a_date {
        return None;
    }
    let m = find_date(t)?;
    if !t[..m.start].trim_matches(is_space).is_empty() {
        return None;
    }
    let rest = skip_time(&t[m.end..]).trim_matches(is_space);
    (rest.is_empty() || starts_with_date_line_label(rest)).then_some(Some(m.date))
}

/// Whether the addressee line stands within a few lines after `i`, only
/// short head-like lines between.
fn addressee_ahead(lines: &[String], i: usize) -> bool {
    for line in lines.iter().skip(i + 1).take(ADDRESSEE_LOOKAHEAD) {
        if addressee_of(line).is_some() {
            return true;
        }
        if chars(line) > 80 || line.ends_with(['。', '！', '？']) {
            return false;
        }
    }
    false
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
        && !is_item(line)
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
        || is_item(name)
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
        && !is_item(&compact)
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

/// Most characters of a contact label before its colon (`联系人姓名`).
const MAX_CONTACT_LABEL_CHARS: usize = 5;

/// Whether a line (or its parenthesized inside) starts with a contact label.
fn is_contact_line(line: &str) -> bool {
    let t = parenthesized(line).unwrap_or_else(|| line.trim_matches(is_space));
    t.starts_with(['联', '电', '地', '邮'])
        && colon_within(t, MAX_CONTACT_LABEL_CHARS)
        && CONTACT_LABEL.find(t).is_some_and(|m| m.start() == 0)
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
/// holds no sentence punctuation but perhaps a final `。` or `：`; it is up to
/// [`MAX_HEADING_CHARS`] long (40 when it ends in `。`, as a short sentence
/// does). A line that opens with a short first sentence and goes on
/// (`一、加强组织领导。区政府…`) is that sentence as heading, the rest as the
/// section's first paragraph. A long sentence that merely starts with `一、`
/// is not a heading.
fn as_heading(line: &str) -> Option<(String, Option<String>)> {
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
pub(crate) fn sections_of(mut lines: Vec<String>) -> Vec<Section> {
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

/// Sets the signatory from `organ`, which signs on line `at`, and the organs
/// signing above it: a joint document lists each organ on its own line, the
/// lead organ first (GB/T 9704-2012). The record holds one signatory: the
/// lead organ, with a warning naming them all. Returns the line where the
/// signature starts (the body ends there).
fn joint_signatories(
    lines: &[String],
    body_start: usize,
    at: usize,
    organ: String,
    doc: &mut Document,
) -> usize {
    let mut start = at;
    let mut signing = vec![organ];
    while start > body_start + 1
        && signing.len() < MAX_SIGNATORIES
        && is_organ_like(&lines[start - 1])
    {
        start -= 1;
        signing.insert(0, lines[start].trim_matches(is_space).to_string());
    }
    // Organs may also sign side by side on one line, spaced apart; a name
    // of three characters or fewer after a space (`办公室`) is the end of the
    // one before it, split by a stray space.
    let organs: Vec<String> = signing
        .into_iter()
        .flat_map(|line| {
            let parts: Vec<&str> = line.split(is_space).filter(|p| !p.is_empty()).collect();
            if parts.len() > 1 && parts.iter().all(|p| chars(p) >= 4 && is_organ_like(p)) {
                parts.into_iter().map(str::to_string).collect()
            } else {
                vec![line]
            }
        })
        .collect();
    if organs.len() > 1 {
        doc.warnings.push(Warning::new(
            "signatory",
            format!(
                "The document is signed jointly by {}; the record holds one signatory, the first (lead) organ.",
                organs
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    doc.signatory = organs.into_iter().next();
    start
}

/// Whether a line belongs to the block after the signature.
fn is_tail_marker(line: &str) -> bool {
    is_separator(line)
        || is_contact_line(line)
        || (line.starts_with('抄') && CC.is_match(line))
        || printing(line).is_some()
        || (line.starts_with('附') && ATTACHMENT_NOTE.is_match(line))
        || parenthesized(line).is_some()
}

/// Where an 附件说明 block ending at `end` starts: an `附件：` line followed
/// only by numbered file lines.
fn attachment_block_start(lines: &[String], start: usize, end: usize) -> Option<usize> {
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
fn read_tail(tail: &[String], doc: &mut Document) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_decimal_at_the_start_of_a_line_continues_the_sentence_before_it() {
        let body = lines(
            "一、工作推进情况
             园区产值较开园时增长
             2.5倍，税收增长近三成。
             2. 加大金融支持力度。",
        );
        let sections = sections_of(body.clone());
        assert_eq!(
            sections[0].paragraphs,
            vec![
                "园区产值较开园时增长2.5倍，税收增长近三成。".to_string(),
                "2. 加大金融支持力度。".to_string()
            ]
        );
        assert!(
            !is_item("2.5倍") && is_item("2. 加大") && is_item("2.加大") && is_item("12、加大")
        );
    }

    #[test]
    fn a_heading_cut_by_a_page_break_takes_its_end_back() {
        let body = lines(
            "一、工作推进
             情况
             中以（上海）创新园开园以来，园区持续发力。
             二、下一步
             工作安排：
             一是加强协调。",
        );
        let sections = sections_of(body.clone());
        assert_eq!(sections[0].heading.as_deref(), Some("一、工作推进情况"));
        assert_eq!(
            sections[0].paragraphs,
            vec!["中以（上海）创新园开园以来，园区持续发力。".to_string()]
        );
        // Not a few characters of text: left as it was.
        assert_eq!(sections[1].heading.as_deref(), Some("二、下一步"));
    }

    #[test]
    fn a_line_can_end_with_a_date_only_if_its_end_is_written_as_one() {
        for line in [
            "2022年8月8日",
            "上海市普陀区人民政府 2022 年 8 月 8 日",
            "二〇二二年八月八日",
            "2019-10-14",
            "２０１９－１０－１４　１４：２５：４９",
            "2019/10/14T14:25",
        ] {
            assert!(crate::normalize::may_end_with_a_whole_date(line), "{line}");
        }
        for line in [
            "联系电话：52564588-1318",
            "邮政编码：200333",
            "第0184号",
            "共5家企业入驻",
        ] {
            assert!(!crate::normalize::may_end_with_a_whole_date(line), "{line}");
        }
    }

    #[test]
    fn every_label_starts_with_a_character_the_label_check_looks_for() {
        for name in super::LABEL_NAMES.split('|') {
            assert!(
                name.starts_with(['办', '公', '索', '主', '成', '发', '文', '信', '签']),
                "{name}"
            );
            assert!(name.chars().count() <= super::MAX_LABEL_CHARS, "{name}");
            assert!(super::colon_within(
                &format!("{name} ：x"),
                super::MAX_LABEL_CHARS
            ));
        }
        for name in [
            "联系人姓名",
            "联系人",
            "联系电话",
            "联系方式",
            "联系地址",
            "邮政编码",
            "邮编",
            "电话",
            "地址",
        ] {
            assert!(
                name.chars().count() <= super::MAX_CONTACT_LABEL_CHARS,
                "{name}"
            );
        }
        assert!(!super::colon_within(
            "主要工作情况如下：",
            super::MAX_LABEL_CHARS
        ));
    }

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
        let s = sections_of(lines(
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
    fn head_marks_and_separators_are_recognised() {
        for mark in [
            "000123",
            "份号：000123",
            "特急",
            "加急",
            "000035　平急",
            "机密★1年",
            "秘密 特急",
        ] {
            assert!(is_head_mark(mark), "`{mark}`");
        }
        for line in [
            "普府〔2022〕55号",
            "上海市普陀区人民政府",
            "特急件处理情况",
            "1234567890",
        ] {
            assert!(!is_head_mark(line), "`{line}`");
        }
        assert!(is_separator("━━━━━━━━"));
        assert!(is_separator(" ★ "));
        assert!(!is_separator(""));
        assert!(!is_separator("一、工作推进情况"));
    }

    #[test]
    fn a_doc_number_is_joined_over_lines_only_at_its_brackets() {
        let l = lines("普绿容\n〔2019〕\n44号");
        assert_eq!(doc_number_at(&l, 0), Some((3, "普绿容〔2019〕44号".into())));
        let l = lines("普绿容〔2019〕\n44号");
        assert_eq!(doc_number_at(&l, 0), Some((2, "普绿容〔2019〕44号".into())));
        let l = lines("普绿容\n〔2019〕44号");
        assert_eq!(doc_number_at(&l, 0), Some((2, "普绿容〔2019〕44号".into())));
        for head in [
            "上海市普陀区人民政府\n普府〔2022〕55号",
            "上海市普陀区人民政府文件\n普府〔2022〕55号",
            "特急\n上海市普陀区人民政府文件\n普府〔2022〕55号",
        ] {
            assert_eq!(doc_number_at(&lines(head), 0), None, "{head}");
        }
        assert_eq!(
            doc_number_at(&lines("普府〔2022〕55號"), 0),
            Some((1, "普府〔2022〕55号".into()))
        );
    }

    #[test]
    fn unreadable_doc_numbers_are_told_from_titles() {
        assert!(looks_like_doc_number("普府2022年55号"));
        assert!(looks_like_doc_number("普府〔2022年〕55号"));
        assert!(!looks_like_doc_number("关于对市十五届人大六次会议第0184号"));
        assert!(!looks_like_doc_number("普府〔2022〕55号，现予印发。"));
    }

    #[test]
    fn a_title_broken_over_lines_is_joined_when_it_then_ends_as_a_title() {
        let l = lines("关于对市十五届人大六次会议第0184号代表建议\n的答复\n许鸿蕨代表：");
        assert_eq!(
            title_at(&l, 0),
            Some((2, "关于对市十五届人大六次会议第0184号代表建议的答复".into()))
        );
        let l = lines("关于区政协十五届四次会议\n第154106号提案的答复");
        assert_eq!(
            title_at(&l, 0),
            Some((2, "关于区政协十五届四次会议第154106号提案的答复".into()))
        );
        let l = lines("对市十五届人大六次会议第0184号代表建议的答复\n许鸿蕨代表：");
        assert_eq!(
            title_at(&l, 0),
            Some((1, "对市十五届人大六次会议第0184号代表建议的答复".into()))
        );
        let l = lines("2025年07月16日\n关于区政协十五届四次会议第154106号提案的答复");
        assert_eq!(title_at(&l, 0), None);
        let l = lines("关于加强社区养老服务的建议\n2025年07月16日 来源: 上海普陀");
        assert_eq!(
            title_at(&l, 0),
            Some((1, "关于加强社区养老服务的建议".into()))
        );
    }

    #[test]
    fn date_and_source_lines_are_read_in_every_order() {
        let july16 = NaiveDate::from_ymd_opt(2025, 7, 16);
        for line in [
            "2025年07月16日",
            "2025年07月16日 来源: 上海普陀",
            "2025年07月16日 10:30 来源: 上海普陀",
            "2025年07月16日 10:30:05",
            "来源：上海普陀 2025年07月16日",
            "信息来源：上海普陀　发布时间：2025-07-16",
        ] {
            assert_eq!(date_source_line(line), Some(july16), "`{line}`");
        }
        assert_eq!(date_source_line("来源: 上海普陀"), Some(None));
        assert_eq!(date_source_line("2025年07月16日区政府召开常务会议"), None);
        assert_eq!(date_source_line("许鸿蕨代表："), None);
        assert_eq!(skip_time(" 10:30 来源"), " 来源");
        assert_eq!(skip_time(" 10时30分"), " 10时30分");
    }

    #[test]
    fn long_headings_without_sentence_punctuation_stay_headings() {
        let long =
            "一、关于加快推进中以（上海）创新园建设与张江高新区普陀园联动发展方面的工作推进情况";
        assert_eq!(as_heading(long), Some((long.to_string(), None)));
        let long_sentence =
            "一、关于加快推进中以（上海）创新园建设与张江高新区普陀园联动发展方面的工作推进情况。";
        assert_eq!(as_heading(long_sentence), None);
        let too_long = format!("一、{}", "园".repeat(MAX_HEADING_CHARS));
        assert_eq!(as_heading(&too_long), None);
    }

    #[test]
    fn table_rows_are_paragraphs_of_their_own() {
        let body = vec![
            "表1 重点项目扶持情况".to_string(),
            "序号\t项目名称\t扶持金额（万元）".to_string(),
            "1\t孵化器二期\t500".to_string(),
            "2\t联合研发计划\t300".to_string(),
            "园区主体已获".to_string(),
            "张江专项支持。".to_string(),
        ];
        let s = sections_of(body.clone());
        assert_eq!(s.len(), 1);
        assert_eq!(
            s[0].paragraphs,
            vec![
                "表1 重点项目扶持情况",
                "序号\t项目名称\t扶持金额（万元）",
                "1\t孵化器二期\t500",
                "2\t联合研发计划\t300",
                "园区主体已获张江专项支持。",
            ]
        );
        let s = sections_of(vec!["一、项目\t金额".to_string()]);
        assert_eq!(s[0].heading, None);
    }

    #[test]
    fn joint_signatories_keep_the_lead_organ_and_leave_the_body() {
        let doc = read_document(
            lines(
                "许鸿蕨代表：\n感谢您的支持。\n上海市普陀区发展和改革委员会\n上海市普陀区科学技术委员会\n2022年8月8日",
            ),
            None,
        );
        assert_eq!(
            doc.signatory.as_deref(),
            Some("上海市普陀区发展和改革委员会")
        );
        assert_eq!(doc.sections[0].paragraphs, vec!["感谢您的支持。"]);
        assert_eq!(doc.warnings.len(), 1);
        assert_eq!(doc.warnings[0].field, "signatory");

        let doc = read_document(
            lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区民政局　上海市普陀区财政局\n2022年8月8日"),
            None,
        );
        assert_eq!(doc.signatory.as_deref(), Some("上海市普陀区民政局"));
        assert!(doc.warnings[0].message.contains("`上海市普陀区财政局`"));
        assert_eq!(doc.sections[0].paragraphs, vec!["感谢您的支持。"]);

        let doc = read_document(
            lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区人民政府\n2022年8月8日"),
            None,
        );
        assert_eq!(doc.signatory.as_deref(), Some("上海市普陀区人民政府"));
        assert!(doc.warnings.is_empty());

        let doc = read_document(
            lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区人民政府 办公室\n2022年8月8日"),
            None,
        );
        assert_eq!(
            doc.signatory.as_deref(),
            Some("上海市普陀区人民政府 办公室")
        );
        assert!(doc.warnings.is_empty());
    }

    #[test]
    fn a_bare_label_takes_the_next_line_as_its_value() {
        let l = lines("办理结果\n部分采纳\n许鸿蕨代表：");
        assert_eq!(
            labels_at(&l, 0),
            Some((vec![(Label::HandlingResult, "部分采纳".to_string())], 2))
        );
        let l = lines("办理结果\n许鸿蕨代表：");
        assert_eq!(labels_at(&l, 0), None);
    }

    #[test]
    fn contact_lines_with_several_labels_fill_several_fields() {
        let mut c = Contact::default();
        read_contact("（联系人：张家骥，联系电话：52564588-1318）", &mut c);
        assert_eq!(c.name.as_deref(), Some("张家骥"));
        assert_eq!(c.phone.as_deref(), Some("52564588-1318"));
    }
}
