//! The metadata labels read in the text (办理结果, 公开属性, 索引号, 成文日期…):
//! `label：value` lines, several on a line, a value on the next line, or a
//! bare label over its value.

use std::sync::LazyLock;

use regex::Regex;

use crate::normalize::{is_space, re, remove_spaces};

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
        // Many disclosure catalogues name the date a document was made
        // 生成日期 instead of 成文日期.
        "成文日期" | "生成日期" => Label::SignedOn,
        "发文字号" | "文号" => Label::DocNumber,
        "发布日期" | "公开日期" | "发布时间" => Label::PublishedOn,
        "公开主体" | "发布机构" | "发布主体" | "信息公开主体" => Label::Publisher,
        "签发人" => Label::Signer,
        _ => return None,
    })
}

/// Labels of government information disclosure metadata that govwire
/// knows but does not read into the record: a metadata block that shows
/// them is understood, and they are never reported as unknown.
const UNREAD_LABELS: &[&str] = &[
    "体裁分类",
    "体裁",
    "组配分类",
    "服务对象分类",
    "公开范围",
    "公开时限",
    "有效性",
    "时效性",
    "效力状态",
    "关键词",
    "主题词",
    "生效日期",
    "施行日期",
    "废止日期",
    "失效日期",
    "来源",
    "信息来源",
    "发布单位",
    "所属机构",
    "文种",
    "标题",
    "名称",
    "内容概述",
    "作者",
    "字号",
    "浏览次数",
    "点击数",
];

/// Whether `name` (spaces inside allowed: `来 源`) is a label of disclosure
/// metadata govwire knows, read into the record or not.
pub(crate) fn is_disclosure_label(name: &str) -> bool {
    label_of(name).is_some() || UNREAD_LABELS.contains(&remove_spaces(name).as_ref())
}

pub(super) const LABEL_NAMES: &str = "办理结果类别|办理结果|公开属性|公开方式|公开类型|索引号|索取号|主题分类|主题类别|成文日期|发文字号|文号|发布日期|公开日期|发布时间|公开主体|发布机构|发布主体|信息公开主体|签发人";

static LABEL: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?P<label>{LABEL_NAMES})\s*[：:]")));

/// Most characters of a label before its colon (`信息公开主体`).
pub(super) const MAX_LABEL_CHARS: usize = 6;

/// Whether `line` has a colon after at most `max` characters other than
/// spaces: where a label at its start would put it.
pub(super) fn colon_within(line: &str, max: usize) -> bool {
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

/// `label：value` pairs of a line that starts with a known label; a line may
/// hold several (`办理结果：解决采纳 公开属性：主动公开`).
pub(super) fn label_pairs(line: &str) -> Option<Vec<(Label, String)>> {
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
