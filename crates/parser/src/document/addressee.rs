//! Who a document is addressed to (主送: a deputy, a member, a unit), and
//! the names of organs that address, sign and print documents.

use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::{is_space, re, remove_spaces};

use super::body::is_item;
use super::chars;
use super::labels::label_of;

pub(super) static INLINE_ADDRESSEE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?P<addressee>[^，。：:；,;]{2,30}?(?:代表|委员|同志))[：:](?P<rest>.+)$")
});

/// How many lines after an unrecognised head line the addressee may stand
/// for that line to be skipped rather than taken as the body's start.
const ADDRESSEE_LOOKAHEAD: usize = 4;

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

/// Whether the addressee line stands within a few lines after `i`, only
/// short head-like lines between.
pub(super) fn addressee_ahead(lines: &[String], i: usize) -> bool {
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

/// The addressee a line names (`许鸿蕨代表：` → `许鸿蕨代表`), if the line is
/// an addressee line: short, ending in a colon, naming a deputy, a member or
/// a unit.
pub(super) fn addressee_of(line: &str) -> Option<String> {
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
pub(super) fn is_organ_like(line: &str) -> bool {
    let compact = remove_spaces(line);
    (2..=40).contains(&chars(&compact))
        && !compact.contains([
            '，', '。', '；', '！', '？', '：', ':', '、', '“', '”', ',', ';',
        ])
        && !compact.chars().any(|c| c.is_ascii_digit())
        && !is_item(&compact)
        && ORGAN_SUFFIXES.iter().any(|s| compact.ends_with(s))
}
