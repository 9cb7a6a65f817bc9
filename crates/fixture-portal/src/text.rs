//! Small text rules the corpus specs are checked against: how a title, a doc
//! number and a written date normalize, how a meeting name yields its term and
//! session, and HTML escaping. They mirror the rules of the reply contract so
//! that a spec whose written and normalized forms disagree is caught when the
//! corpus loads, not when a parser test fails for the wrong reason.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// Whether `c` is a CJK ideograph or CJK/full-width punctuation: whitespace
/// between two such characters is an extraction accident, not a word break.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{3000}'..='\u{303F}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{2018}'..='\u{201D}'
        | '\u{2014}'
        | '\u{00B7}')
}

/// A title as the record holds it: whitespace between CJK characters removed,
/// other whitespace (around Latin letters and digits) kept, ends trimmed.
pub fn normalize_title(written: &str) -> String {
    let chars: Vec<char> = written.trim().chars().collect();
    let mut out = String::with_capacity(written.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            let start = i;
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|j| chars[j]);
            let after = chars.get(i).copied();
            let drop = matches!((before, after), (Some(b), Some(a)) if is_cjk(b) && is_cjk(a));
            if !drop {
                out.extend(&chars[start..i]);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `text` with full-width digits (`２０２２`) as ASCII digits and
/// whitespace (ideographic space included) removed: the variants pages write
/// that the record does not keep.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            other => other,
        })
        .collect()
}

static DOC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\S+?)[〔\[（(【［﹝]([0-9]{4})[〕\]）)】］﹞]([0-9]+)号$").expect("static regex")
});

/// A doc number as the record holds it (`机关代字〔YYYY〕N号`, U+3014/U+3015, no
/// spaces, ASCII digits, no leading zeros in the serial), or `None` when
/// `written` is not shaped like a doc number. Accepts `[2022]`, `（2022）`,
/// `〔 2022 〕`, `［2022］`, `﹝2022﹞`, `【2022】` and full-width digits.
pub fn normalize_doc_number(written: &str) -> Option<String> {
    let compact = fold_width(written);
    let caps = DOC_NUMBER.captures(&compact)?;
    let serial = caps[3].trim_start_matches('0');
    let serial = if serial.is_empty() { "0" } else { serial };
    Some(format!("{}〔{}〕{}号", &caps[1], &caps[2], serial))
}

static CN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日$").expect("static regex")
});
static HAN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")
        .expect("static regex")
});

/// The date a written Chinese date stands for (`2022年8月8日`,
/// `2019年 10月14日`, `2026年07月03日`, `２０２４年５月２０日`,
/// `二〇二四年五月二十日`).
pub fn parse_written_date(written: &str) -> Option<NaiveDate> {
    let compact = fold_width(written);
    if let Some(caps) = CN_DATE.captures(&compact) {
        return NaiveDate::from_ymd_opt(
            caps[1].parse().ok()?,
            caps[2].parse().ok()?,
            caps[3].parse().ok()?,
        );
    }
    let caps = HAN_DATE.captures(&compact)?;
    let year = caps[1].chars().try_fold(0i32, |acc, c| {
        let d = "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .or(match c {
                '○' | '零' => Some(0),
                _ => None,
            })?;
        Some(acc * 10 + d as i32)
    })?;
    NaiveDate::from_ymd_opt(year, chinese_number(&caps[2])?, chinese_number(&caps[3])?)
}

/// `n` (1 to 99) in Chinese numerals, as openings write counts (`四`,
/// `十二`); `None` outside that range.
pub fn chinese_numeral(n: u32) -> Option<String> {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => Some(DIGITS[n as usize].to_string()),
        10..=99 => {
            let tens = if n / 10 == 1 {
                ""
            } else {
                DIGITS[(n / 10) as usize]
            };
            Some(format!("{tens}十{}", DIGITS[(n % 10) as usize]))
        }
        _ => None,
    }
}

static NUMBERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{1,2}\s*[.．、]").expect("static regex"));

/// Whether a line is a numbered list item (`2. 项目清单`), as further
/// 附件说明 lines are.
pub fn is_numbered_item(line: &str) -> bool {
    NUMBERED.is_match(line.trim_start())
}

/// The value of a Chinese numeral from 1 to 99 (`五`, `十`, `十五`, `二十一`).
pub fn chinese_number(text: &str) -> Option<u32> {
    fn digit(c: char) -> Option<u32> {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|p| p as u32)
    }
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [d] if *d != '十' => digit(*d).filter(|v| *v > 0),
        ['十'] => Some(10),
        ['十', u] => digit(*u).filter(|v| *v > 0).map(|u| 10 + u),
        [t, '十'] => digit(*t).filter(|v| *v > 1).map(|t| t * 10),
        [t, '十', u] => Some(digit(*t).filter(|v| *v > 1)? * 10 + digit(*u).filter(|v| *v > 0)?),
        _ => None,
    }
}

static TERM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"第?([一二三四五六七八九十]+)届").expect("static regex"));
static SESSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([一二三四五六七八九十]+)次会议").expect("static regex"));

/// Term (届) and session (次会议) of a meeting name, however it is written
/// (`区政协十五届五次会议`, `区十五届政协五次会议`, `普陀区政协第十四届二次会议`).
pub fn meeting_term_session(meeting: &str) -> (Option<u32>, Option<u32>) {
    let term = TERM.captures(meeting).and_then(|c| chinese_number(&c[1]));
    let session = SESSION
        .captures(meeting)
        .and_then(|c| chinese_number(&c[1]));
    (term, session)
}

/// Whether a line ends with sentence-final punctuation, the contract's test
/// for "this paragraph is complete" (anything else followed by another line is
/// a page-break split).
pub fn ends_sentence(line: &str) -> bool {
    line.trim_end()
        .chars()
        .last()
        .is_some_and(|c| "。！？：；”.!?:;\"".contains(c))
}

static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[一二三四五六七八九十]+、").expect("static regex"));

/// Whether a line has the shape of a section heading (`一、工作推进情况`).
pub fn is_heading(line: &str) -> bool {
    HEADING.is_match(line.trim_start())
}

pub use govwire_model::html::escape as escape_html;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_loses_the_stray_space_between_cjk_characters_only() {
        assert_eq!(
            normalize_title("对市十五届人大六次会议 第0184号代表建议的答复"),
            "对市十五届人大六次会议第0184号代表建议的答复"
        );
        assert_eq!(
            normalize_title("关于2026 年度 工作的答复"),
            "关于2026 年度工作的答复"
        );
    }

    #[test]
    fn doc_numbers_in_every_bracket_style_normalize_to_u3014_brackets() {
        for written in [
            "普府〔2022〕55号",
            "普府[2022]55号",
            "普府（2022）55号",
            "普府〔 2022 〕55号",
        ] {
            assert_eq!(
                normalize_doc_number(written).as_deref(),
                Some("普府〔2022〕55号")
            );
        }
        assert_eq!(normalize_doc_number("普府55号"), None);
        assert_eq!(
            normalize_doc_number("普府﹝２０２２﹞０５５号").as_deref(),
            Some("普府〔2022〕55号")
        );
    }

    #[test]
    fn written_dates_with_padding_or_stray_spaces_parse() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(parse_written_date("2022年8月8日"), d(2022, 8, 8));
        assert_eq!(parse_written_date("2019年 10月14日"), d(2019, 10, 14));
        assert_eq!(parse_written_date("2026年07月03日"), d(2026, 7, 3));
        assert_eq!(parse_written_date("2026年13月03日"), None);
        assert_eq!(parse_written_date("２０２４年５月２０日"), d(2024, 5, 20));
        assert_eq!(parse_written_date("二〇二四年五月二十日"), d(2024, 5, 20));
        assert_eq!(chinese_numeral(4).as_deref(), Some("四"));
        assert_eq!(chinese_numeral(12).as_deref(), Some("十二"));
        assert_eq!(chinese_numeral(21).as_deref(), Some("二十一"));
    }

    #[test]
    fn meeting_names_in_each_variant_yield_term_and_session() {
        assert_eq!(
            meeting_term_session("区政协十五届五次会议"),
            (Some(15), Some(5))
        );
        assert_eq!(
            meeting_term_session("区十五届政协五次会议"),
            (Some(15), Some(5))
        );
        assert_eq!(
            meeting_term_session("普陀区政协第十四届二次会议"),
            (Some(14), Some(2))
        );
        assert_eq!(
            meeting_term_session("市十五届人大六次会议"),
            (Some(15), Some(6))
        );
        assert_eq!(chinese_number("二十一"), Some(21));
        assert_eq!(chinese_number("十十"), None);
    }

    #[test]
    fn html_special_characters_are_escaped() {
        assert_eq!(
            escape_html(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
