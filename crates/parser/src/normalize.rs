//! Normalization of the values official documents write in many ways: doc
//! numbers (`普府[2022]55号` → `普府〔2022〕55号`), dates (`2019年 10月14日`,
//! `2019-10-14 14:25:49`), Chinese numerals (`十五` → 15), meeting names
//! (`区十五届政协五次会议`) and titles (whitespace between CJK characters
//! removed).
//!
//! Every function here is pure and total: bad input yields `None`, never a
//! panic.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::NaiveDate;
use govwire_model::{
    Contact, HandlingCategory, HandlingResult, Level, ProposalKind, Reply, Section,
};
use regex::Regex;

/// Compiles one of this crate's fixed patterns. The patterns are literals
/// checked by the unit tests, so a failure is a programming error caught
/// before release, not something input can cause.
pub(crate) fn re(pattern: &str) -> Regex {
    Regex::new(pattern)
        .unwrap_or_else(|error| panic!("invalid built-in pattern {pattern}: {error}"))
}

/// Whether `c` is a CJK character for spacing purposes: a Han ideograph, CJK
/// punctuation (`，。“”〔〕`), or a full-width form (`（）：`).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}'   // radicals
        | '\u{3000}'..='\u{303F}' // CJK symbols and punctuation
        | '\u{3400}'..='\u{4DBF}' // extension A
        | '\u{4E00}'..='\u{9FFF}' // unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}' // compatibility forms
        | '\u{FE50}'..='\u{FE6F}' // small forms (﹝﹞)
        | '\u{FF00}'..='\u{FFEF}' // half- and full-width forms
        | '\u{20000}'..='\u{2FA1F}' // extensions B.. and compatibility supplement
        | '“' | '”' | '‘' | '’' | '—' | '…' | '·'
    )
}

/// Whether `c` is a Han ideograph (the characters names and organs are
/// written in), including `〇`.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}'
        | '〇'
    )
}

/// Whitespace as pages use it: Unicode whitespace, including the ideographic
/// space U+3000 and the no-break space U+00A0 (`&nbsp;`).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{00A0}' || c == '\u{FEFF}'
}

/// Full-width digits (`２０２２`) as ASCII digits; everything else unchanged.
pub fn fold_digits(s: &str) -> Cow<'_, str> {
    if !s.contains(|c| ('０'..='９').contains(&c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                _ => c,
            })
            .collect(),
    )
}

/// A title as the record holds it: whitespace between two CJK characters
/// removed (`会议 第0184号` → `会议第0184号`), other whitespace runs collapsed
/// to one space, ends trimmed.
pub fn normalize_title(s: &str) -> String {
    collapse_spaces(s, true)
}

/// Collapses whitespace runs to one ASCII space and trims the ends; with
/// `drop_between_cjk`, a run between two CJK characters is removed instead.
pub(crate) fn collapse_spaces(s: &str, drop_between_cjk: bool) -> String {
    if !s.contains(is_space) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if is_space(chars[i]) {
            let start = i;
            while i < chars.len() && is_space(chars[i]) {
                i += 1;
            }
            let before = start.checked_sub(1).map(|k| chars[k]);
            let after = chars.get(i).copied();
            match (before, after) {
                (None, _) | (_, None) => {}
                (Some(b), Some(a)) if drop_between_cjk && is_cjk(b) && is_cjk(a) => {}
                _ => out.push(' '),
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// [`collapse_spaces`] of an owned string, which is returned as it is (not
/// copied) when it holds no whitespace.
pub(crate) fn collapse_spaces_owned(s: String, drop_between_cjk: bool) -> String {
    if s.contains(is_space) {
        collapse_spaces(&s, drop_between_cjk)
    } else {
        s
    }
}

/// Removes every whitespace character.
pub fn remove_spaces(s: &str) -> Cow<'_, str> {
    if !s.contains(is_space) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().filter(|c| !is_space(*c)).collect())
}

static DOC_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?P<org>[\p{Han}A-Za-z]{1,20}?)[〔\[（(【［﹝〖{〈<]第?(?P<year>[0-9]{4})[〕\]）)】］﹞〗}〉>]第?(?P<num>[0-9]{1,6})号$",
    )
});

static DOC_NUMBER_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"[\p{Han}A-Za-z]{1,12}\s*[〔\[（(【［﹝〖]\s*第?\s*[0-9０-９]{4}\s*[〕\]）)】］﹞〗]\s*第?\s*[0-9０-９]{1,6}\s*号",
    )
});

/// The first piece of `s` written like a doc number (`普府〔2022〕55号`,
/// `普府 [ 2022 ] 55 号`), whether or not it reads as one: evidence that a
/// page carries a doc number.
pub(crate) fn doc_number_like(s: &str) -> Option<&str> {
    if !s.contains('号') {
        return None;
    }
    DOC_NUMBER_LIKE.find(s).map(|m| m.as_str())
}

/// A doc number (发文字号) in its normalized form `机关代字〔YYYY〕N号`:
/// U+3014/U+3015 brackets whatever brackets the page used (`[2022]`,
/// `（2022）`, `(2022)`, `﹝2022﹞`), full-width digits folded, spaces and a
/// `第` before the serial removed, the serial without leading zeros (GB/T
/// 9704 writes no padding). `None` when `s` as a whole is not a doc number.
pub fn normalize_doc_number(s: &str) -> Option<String> {
    // A doc number ends in 号; most text does not, and is answered at once.
    if !s.trim_end_matches(is_space).ends_with('号') {
        return None;
    }
    let folded = fold_digits(s);
    let compact = remove_spaces(&folded);
    let caps = DOC_NUMBER.captures(&compact)?;
    let serial = caps["num"].trim_start_matches('0');
    let serial = if serial.is_empty() { "0" } else { serial };
    Some(format!("{}〔{}〕{}号", &caps["org"], &caps["year"], serial))
}

static DATE_CN: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]")
});
static DATE_ISO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?P<y>[0-9]{4})\s*[-/.]\s*(?P<m>[0-9]{1,2})\s*[-/.]\s*(?P<d>[0-9]{1,2})(?:(?:\s+|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?",
    )
});
static DATE_HAN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?P<y>[〇○零一二三四五六七八九0-9]{4})\s*年\s*(?P<m>[一二三四五六七八九十]{1,3})\s*月\s*(?P<d>[一二三四五六七八九十]{1,3})\s*[日号]",
    )
});

/// A date found in `s`: where it starts and ends (byte offsets into `s`)
/// and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateMatch {
    /// Byte offset of the date's first character in the searched text.
    pub start: usize,
    /// Byte offset just past the date's last character.
    pub end: usize,
    /// The date.
    pub date: NaiveDate,
}

/// The first date written in `s`, in any of the forms pages use:
/// `2022年8月8日`, `2019年 10月14日`, `2026年07月03日`, `2019-10-14 14:25:49`,
/// `2019-10-14`, `2019/10/14`, `二〇二二年八月八日`, and the forms of hasty
/// typing: `2022年8月8号`, `2022年十二月八日`. Full-width digits and
/// separators (`２０１９－１０－１４`, `１４：２５`) are accepted. A match that is not a real calendar date is skipped.
pub fn find_date(s: &str) -> Option<DateMatch> {
    // Folding full-width digits keeps byte offsets only when nothing changed,
    // so offsets are mapped back through a char-index table when it did.
    let folded = fold_date_chars(s);
    // Each pattern needs a character of its own: the Chinese forms a 年,
    // the numeric form an ASCII digit. Text without it is not searched.
    let has_year = folded.contains('年');
    let has_digit = folded.bytes().any(|b| b.is_ascii_digit());
    if !has_year && !has_digit {
        return None;
    }
    // The Chinese forms also need 月 and 日 or 号; the numeric form two
    // separators.
    let chinese = has_year && folded.contains('月') && folded.contains(['日', '号']);
    let numeric = has_digit
        && folded
            .bytes()
            .filter(|b| matches!(b, b'-' | b'/' | b'.'))
            .count()
            >= 2;
    let mut best: Option<DateMatch> = None;
    for (pattern, han, possible) in [
        (&*DATE_CN, false, chinese && has_digit),
        (&*DATE_ISO, false, numeric),
        (&*DATE_HAN, true, chinese),
    ] {
        if !possible {
            continue;
        }
        for caps in pattern.captures_iter(&folded) {
            let date = if han {
                let year: Option<i32> = caps["y"]
                    .chars()
                    .map(|c| c.to_digit(10).or_else(|| han_digit(c)))
                    .try_fold(0i32, |acc, d| d.map(|d| acc * 10 + d as i32));
                match (
                    year,
                    parse_chinese_number(&caps["m"]),
                    parse_chinese_number(&caps["d"]),
                ) {
                    (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d),
                    _ => None,
                }
            } else {
                match (
                    caps["y"].parse::<i32>(),
                    caps["m"].parse::<u32>(),
                    caps["d"].parse::<u32>(),
                ) {
                    (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
                    _ => None,
                }
            };
            let Some(date) = date else { continue };
            let Some(whole) = caps.get(0) else { continue };
            let (start, end) = map_offsets(s, &folded, whole.start(), whole.end());
            if best.is_none_or(|b| start < b.start) {
                best = Some(DateMatch { start, end, date });
            }
            break;
        }
    }
    best
}

/// Full-width digits and the full-width separators dates are written with
/// (`２０１９－１０－１４　１４：２５：４９`) as their ASCII forms, one char for
/// one char; `s` itself (no copy) when it holds none.
fn fold_date_chars(s: &str) -> Cow<'_, str> {
    let fold = |c: char| match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '－' => '-',
        '／' => '/',
        '．' => '.',
        '：' => ':',
        other => other,
    };
    if s.chars().all(|c| fold(c) == c) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().map(fold).collect())
    }
}

/// Whether `s` may end with a date: every date form ends with 日 (or 号) or a
/// digit (ASCII or full-width), and holds 年 and 月 or two separators
/// ([`may_end_with_a_whole_date`]). A cheap test before a search for a date
/// at the end of a line.
pub(crate) fn may_end_with_date(s: &str) -> bool {
    s.chars()
        .next_back()
        .is_some_and(|c| c == '日' || c == '号' || c.is_ascii_digit() || ('０'..='９').contains(&c))
        && may_end_with_a_whole_date(s)
}

/// Whether `t` can end with a whole date: the run of characters dates are
/// written with at its end (digits, Chinese numerals, 年月日号, separators,
/// spaces) holds 年 and 月, or two of the separators `-`, `/`, `.` (a
/// telephone number such as `52564588-1318` holds one). A necessary
/// condition of every date form.
pub(crate) fn may_end_with_a_whole_date(t: &str) -> bool {
    let (mut year, mut month, mut separators) = (false, false, 0);
    for c in t.chars().rev() {
        match c {
            '年' => year = true,
            '月' => month = true,
            '-' | '/' | '.' | '－' | '／' | '．' => separators += 1,
            '0'..='9' | '０'..='９' | '〇' | '○' | '零' | '日' | '号' | ':' | '：' | 'T' =>
                {}
            '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十' => {}
            c if is_space(c) => {}
            _ => break,
        }
    }
    (year && month) || separators >= 2
}

/// The captures of `pattern` in `haystack`, looked for only when the
/// haystack holds `needle`, a word the pattern cannot match without (most
/// text lacks it, and the test is cheaper than the search).
pub(crate) fn captures_containing<'h>(
    pattern: &Regex,
    needle: &str,
    haystack: &'h str,
) -> Option<regex::Captures<'h>> {
    haystack
        .contains(needle)
        .then(|| pattern.captures(haystack))
        .flatten()
}

/// Maps byte offsets in `folded` (the digit-folded copy of `original`) back to
/// `original`. Folding maps one char to one char, so char indices agree.
fn map_offsets(original: &str, folded: &str, start: usize, end: usize) -> (usize, usize) {
    if original.len() == folded.len() {
        return (start, end);
    }
    let char_index = |byte: usize| folded[..byte].chars().count();
    let to_byte = |idx: usize| {
        original
            .char_indices()
            .nth(idx)
            .map_or(original.len(), |(b, _)| b)
    };
    (to_byte(char_index(start)), to_byte(char_index(end)))
}

/// `s` read as a date when, apart from surrounding whitespace, it is nothing
/// but a date (a signed-date line `2022年8月8日`, a metadata value
/// `2019-10-14 14:25:49`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let trimmed = s.trim_matches(is_space);
    let m = find_date(trimmed)?;
    (m.start == 0 && m.end == trimmed.len()).then_some(m.date)
}

fn han_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '○' | '零' | 'O' | '０' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        _ => return None,
    })
}

/// A number written in Arabic digits (`15`, `１５`) or Chinese numerals
/// (`十` → 10, `十五` → 15, `二十` → 20, `二十一` → 21, `一百零五` → 105).
/// `None` for anything else, including digit strings too large for a `u32`.
pub fn parse_chinese_number(s: &str) -> Option<u32> {
    let s = fold_digits(s.trim_matches(is_space));
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let mut total: u32 = 0;
    let mut current: Option<u32> = None;
    let mut last_unit = u32::MAX;
    for c in s.chars() {
        if let Some(d) = han_digit(c) {
            // Two digits in a row ("一二") is not a numeral of this kind,
            // except after 零, which only marks a skipped place ("一百零五").
            if current.is_some_and(|v| v != 0) {
                return None;
            }
            current = Some(d);
            continue;
        }
        let unit = match c {
            '十' | '拾' => 10,
            '百' | '佰' => 100,
            '千' | '仟' => 1000,
            _ => return None,
        };
        if unit >= last_unit {
            return None;
        }
        last_unit = unit;
        let digit = match current {
            Some(0) | None if total == 0 && unit == 10 => 1,
            Some(0) | None => return None,
            Some(d) => d,
        };
        total = total.checked_add(digit.checked_mul(unit)?)?;
        current = None;
    }
    total.checked_add(current.unwrap_or(0))
}

/// A meeting (会议) named in a text: the congress or committee session a
/// suggestion or proposal was raised at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// The meeting as written, spaces removed (`区十五届政协五次会议`,
    /// `区１６届人大３次会议`).
    pub text: String,
    /// 市 or 区, from the place the name starts with; `None` when it names
    /// none.
    pub level: Option<Level>,
    /// The proposal kind the meeting's body implies: 人大 (a people's
    /// congress) → deputies' suggestions, 政协 → members' proposals.
    pub kind: Option<ProposalKind>,
    /// 届, as a number.
    pub term: Option<u32>,
    /// 次, as a number: the session within the term for a plenary meeting,
    /// the standing committee's own count for one of its meetings.
    pub session: Option<u32>,
    /// Whether the meeting is one of the standing committee's
    /// (`区十六届人大常委会第三次会议`), not a plenary session: its number does
    /// not count the term's sessions.
    pub standing_committee: bool,
}

/// Shanghai's districts, so a meeting written `普陀区政协…` keeps its place
/// name; an unknown place still yields the `区`/`市` that sets the level.
const DISTRICTS: &str =
    "黄浦|徐汇|长宁|静安|普陀|虹口|杨浦|闵行|宝山|嘉定|浦东新|金山|松江|青浦|奉贤|崇明";
const NUMERAL: &str = r"[〇零一二两三四五六七八九十百0-9]{1,4}";
/// The bodies a meeting belongs to, longest spelling first so the
/// standing committee is not read as the congress.
const ORGANS: &str =
    "人大常委会|人民代表大会常务委员会|政协常委会|人大|政协|人民代表大会|常务委员会|常委会|委员会";

static MEETING: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?P<place>(?:中国人民政治协商会议)?(?:政协)?(?:上海市(?:(?:{DISTRICTS})区)?|(?:{DISTRICTS})区|市|区))?(?P<org1>人大常委会|政协常委会|人大|政协)?第?(?P<term>{NUMERAL})届(?P<place2>市|区)?(?P<org2>{ORGANS})?第?(?P<session>{NUMERAL})次(?P<end>(?:全体)?会议|全会)?"
    ))
});

/// The first meeting named in `s`, in any of the ways pages write it:
/// `市十五届人大六次会议`, `区十五届政协五次会议`, `区政协十五届五次会议`,
/// `普陀区政协第十四届二次会议`, `上海市第十五届人民代表大会第六次会议`, with
/// the place after the term (`十六届区人大三次会议`, `十五届市政协一次会议`),
/// `全会` or nothing for `会议` when the body is named (`区政协十五届五次全会`,
/// `区十六届人大三次`), and a standing committee's meetings
/// (`区十六届人大常委会第三次会议`, flagged as such). Spaces are ignored and
/// numbers may be Chinese, Arabic or full-width.
pub fn parse_meeting(s: &str) -> Option<Meeting> {
    if !s.contains('届') {
        return None;
    }
    let written = remove_spaces(s);
    let compact = fold_digits(&written);
    let caps = MEETING.captures_iter(&compact).find(|caps| {
        // Without `会议` only a named body makes `…届…次` a meeting.
        caps.name("end").is_some() || caps.name("org1").is_some() || caps.name("org2").is_some()
    })?;
    let whole = caps.get(0)?;
    // The meeting as written: folding digits maps one char to one char.
    let text = if written.len() == compact.len() {
        whole.as_str().to_string()
    } else {
        let skip = compact[..whole.start()].chars().count();
        let take = whole.as_str().chars().count();
        written.chars().skip(skip).take(take).collect()
    };
    let place = caps.name("place").map_or("", |m| m.as_str());
    let place2 = caps.name("place2").map_or("", |m| m.as_str());
    let level = if place.ends_with('市') || place2 == "市" {
        Some(Level::Municipal)
    } else if place.ends_with('区') || place2 == "区" {
        Some(Level::District)
    } else {
        None
    };
    let organ = [
        place,
        caps.name("org1").map_or("", |m| m.as_str()),
        caps.name("org2").map_or("", |m| m.as_str()),
    ]
    .concat();
    let kind = if organ.contains("政协") || organ.contains("政治协商") {
        Some(ProposalKind::MemberProposal)
    } else if organ.contains("人大") || organ.contains("人民代表大会") {
        Some(ProposalKind::DeputySuggestion)
    } else {
        None
    };
    Some(Meeting {
        text,
        level,
        kind,
        term: parse_chinese_number(&caps["term"]),
        session: parse_chinese_number(&caps["session"]),
        standing_committee: organ.contains("常委会") || organ.contains("常务委员会"),
    })
}

/// A text field as the record holds it: whitespace collapsed (removed
/// between CJK characters), `None` when nothing is left.
fn clean_field(value: Option<String>) -> Option<String> {
    value
        .map(|v| collapse_spaces_owned(v, true))
        .filter(|v| !v.is_empty())
}

/// A line kept as written but for surrounding whitespace; `None` if empty.
fn trimmed(value: &str) -> Option<String> {
    let t = value.trim_matches(is_space);
    (!t.is_empty()).then(|| t.to_string())
}

/// [`trimmed`] of an owned line, which is kept (not copied) when it has no
/// surrounding whitespace.
fn trimmed_owned(value: String) -> Option<String> {
    let t = value.trim_matches(is_space);
    if t.len() == value.len() {
        (!value.is_empty()).then_some(value)
    } else {
        trimmed(t)
    }
}

/// A record in its normalized form, the form every record govwire publishes
/// is in: the title without whitespace between CJK characters; the doc number
/// as `机关代字〔YYYY〕N号` (kept, spaces collapsed, when it has another shape);
/// names, organs and metadata values with whitespace collapsed and the
/// addressee without its colon; the meeting and proposers without spaces, the
/// proposal number with ASCII digits; 抄送 entries without the closing `。`;
/// the handling result's category derived from its words; a `null` in place
/// of every empty value and no empty entry in any list; body paragraphs and
/// headings trimmed but otherwise as written, empty sections dropped.
///
/// Identity (`id`, `portal`), dates, warnings and provenance are not
/// touched: `content_sha256` is the caller's to recompute. Normalizing a
/// normalized record changes nothing.
pub fn normalize_record(mut reply: Reply) -> Reply {
    reply.title = normalize_title(&reply.title);
    reply.doc_number = reply
        .doc_number
        .and_then(|n| normalize_doc_number(&n).or_else(|| clean_field(Some(n))));
    reply.issuer_banner = clean_field(reply.issuer_banner);
    reply.issuer = clean_field(reply.issuer);
    reply.signer = clean_field(reply.signer);
    reply.addressee = reply.addressee.and_then(|a| {
        let bare = a.trim_end_matches(|c: char| c == '：' || c == ':' || is_space(c));
        clean_field(Some(bare.to_string()))
    });
    reply.disclosure = clean_field(reply.disclosure);
    reply.index_number = reply
        .index_number
        .map(|v| remove_spaces(&v).into_owned())
        .filter(|v| !v.is_empty());
    reply.topic = clean_field(reply.topic);
    reply.publisher = clean_field(reply.publisher);
    reply.signatory = clean_field(reply.signatory);
    reply.printed_by = clean_field(reply.printed_by);
    reply.handling_result = reply.handling_result.and_then(|h| {
        let raw = trimmed(&h.raw)?;
        Some(HandlingResult {
            category: HandlingCategory::from_raw(&raw),
            raw,
        })
    });

    let p = &mut reply.proposal;
    p.meeting = p
        .meeting
        .take()
        .map(|m| remove_spaces(&m).into_owned())
        .filter(|m| !m.is_empty());
    p.number = p
        .number
        .take()
        .map(|n| remove_spaces(&fold_digits(&n)).into_owned())
        .filter(|n| !n.is_empty());
    p.subject = p.subject.take().and_then(|s| trimmed(&s));
    let mut seen = std::collections::HashSet::new();
    p.proposers = std::mem::take(&mut p.proposers)
        .into_iter()
        .map(|name| remove_spaces(&name).into_owned())
        .filter(|name| !name.is_empty() && seen.insert(name.clone()))
        .collect();

    reply.contact = reply.contact.and_then(|c| {
        let contact = Contact {
            name: clean_field(c.name),
            phone: clean_field(c.phone),
            address: clean_field(c.address),
            postcode: clean_field(c.postcode),
        };
        (contact != Contact::default()).then_some(contact)
    });
    reply.notes = std::mem::take(&mut reply.notes)
        .into_iter()
        .filter_map(trimmed_owned)
        .collect();
    reply.attachment_notes = std::mem::take(&mut reply.attachment_notes)
        .into_iter()
        .filter_map(trimmed_owned)
        .collect();
    reply.cc = reply
        .cc
        .iter()
        .map(|c| {
            collapse_spaces(
                c.trim_matches(|ch: char| is_space(ch) || ch == '。' || ch == '.'),
                true,
            )
        })
        .filter(|c| !c.is_empty())
        .collect();
    for attachment in &mut reply.attachments {
        if let Some(name) = trimmed(&attachment.name) {
            attachment.name = name;
        }
    }
    reply.body.sections = std::mem::take(&mut reply.body.sections)
        .into_iter()
        .filter_map(|section| {
            let heading = section.heading.and_then(trimmed_owned);
            let paragraphs: Vec<String> = section
                .paragraphs
                .into_iter()
                .filter_map(trimmed_owned)
                .collect();
            (heading.is_some() || !paragraphs.is_empty()).then_some(Section {
                heading,
                paragraphs,
            })
        })
        .collect();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_patterns_compile() {
        for pattern in [&*DOC_NUMBER, &*DATE_CN, &*DATE_ISO, &*DATE_HAN, &*MEETING] {
            assert!(!pattern.as_str().is_empty());
        }
    }

    #[test]
    fn offsets_map_back_through_full_width_digits() {
        let m = find_date("于２０２２年８月８日印发").expect("a date");
        assert_eq!(
            &"于２０２２年８月８日印发"[m.start..m.end],
            "２０２２年８月８日"
        );
    }
}
