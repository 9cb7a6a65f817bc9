//! The head of a document (版头), before the addressee: the 份号, urgency
//! and secrecy marks, separator lines, the banner (发文机关标志), the doc
//! number (发文字号, with its 签发人), the title, and a page's date/source
//! line.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::normalize::{find_date, is_han, is_space, normalize_doc_number, re, remove_spaces};

use super::addressee::addressee_of;
use super::body::is_item;
use super::chars;

pub(super) static DOC_NUMBER_WITH_SIGNER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<number>.*?号)\s*签发人\s*[：:]\s*(?P<signer>.+)$"));

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

/// Whether `parts`, joined and without spaces, are `compact` (which has
/// none), compared without building the joined text.
pub(super) fn same_without_spaces(parts: &[String], compact: &str) -> bool {
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

pub(super) fn is_banner(line: &str) -> bool {
    let compact = remove_spaces(line);
    compact.ends_with("文件")
        && (4..=30).contains(&chars(&compact))
        && compact.chars().all(|c| is_han(c) || "（）()·".contains(c))
}

/// A line that only draws a separator (`━━━━━━`, `————`, a lone `★`).
pub(super) fn is_separator(line: &str) -> bool {
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
pub(super) fn is_head_mark(line: &str) -> bool {
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

/// A doc number read from `s`, the traditional `號` read as `号`.
pub(super) fn read_doc_number(s: &str) -> Option<String> {
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
pub(super) fn doc_number_at(lines: &[String], i: usize) -> Option<(usize, String)> {
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
pub(super) fn looks_like_doc_number(line: &str) -> bool {
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
pub(super) fn title_at(lines: &[String], i: usize) -> Option<(usize, String)> {
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
pub(super) fn skip_time(s: &str) -> &str {
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
pub(super) fn date_source_line(line: &str) -> Option<Option<NaiveDate>> {
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
