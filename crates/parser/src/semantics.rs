//! What a reply is about: its kind (答复, 会办意见, 再次答复), the suggestion
//! or proposal it answers (meeting, number, subject, proposers), and whether
//! a page is a reply at all.
//!
//! - this module: the genre a title names (reply, handling document,
//!   notice), the reply's kind, the reply formula.
//! - `answers`: whether the page answers a suggestion or proposal.
//! - `proposal`: the suggestion or proposal answered.

mod answers;
mod proposal;
#[cfg(test)]
mod tests;

use govwire_model::ReplyKind;

use crate::normalize::remove_spaces;

pub(crate) use self::answers::{what_it_answers, Answers};
pub(crate) use self::proposal::read_proposal;
use self::proposal::{number_in, quoted_spans};

/// Title endings that make a document a reply on their own. Weaker endings
/// (`…办理情况`, `…的函`) also end summaries and ordinary letters, so those
/// titles are decided by the text's features instead.
const REPLY_ENDINGS: &[&str] = &["答复", "会办意见", "答复函", "复函", "答复意见", "再次答复"];

/// Title endings of documents that are not replies (notices, news, lists).
const OTHER_ENDINGS: &[&str] = &[
    "通知",
    "公告",
    "通告",
    "通报",
    "公示",
    "决定",
    "办法",
    "规定",
    "方案",
    "规划",
    "报告",
    "纲要",
    "细则",
    "批复",
    "命令",
    "公报",
    "意见",
    "会议",
    "会",
    "活动",
    "工作",
    "名单",
    "目录",
    "汇总",
    "一览表",
    "统计表",
    "指南",
    "解读",
    "新闻",
    "简报",
    "动态",
];

/// Title endings of handling documents (`…提案的办理意见`,
/// `…建议办理情况的报告`). About one named suggestion or proposal they may
/// be the reply itself, which their text's features decide; about many they
/// are reports.
const HANDLING_ENDINGS: &[&str] = &[
    "办理意见",
    "办理的意见",
    "办理情况的意见",
    "办理情况的报告",
    "办理情况报告",
    "办理结果的报告",
    "办理结果报告",
    "办理报告",
];

/// Phrases of the reply formula in the opening (or closing) of a reply;
/// each is specific enough not to occur in notices (`现将有关事项通知如下`).
const FORMULA: &[&str] = &[
    "收悉",
    "答复如下",
    "现答复",
    "函复如下",
    "现函复",
    "会办意见如下",
    "供你单位",
    "办理情况答复",
    "办理情况如下",
    "现将办理情况",
];

/// The reply's kind from its title: 会办意见, 再次答复 / 跟踪办理情况, 答复.
pub(crate) fn reply_kind(title: &str) -> Option<ReplyKind> {
    let t = remove_spaces(title);
    if t.contains("会办意见") {
        Some(ReplyKind::CoHandlingOpinion)
    } else if t.contains("再次答复") || t.contains("跟踪办理") {
        Some(ReplyKind::FollowUp)
    } else if t.contains("答复") || t.contains("复函") {
        Some(ReplyKind::Answer)
    } else {
        None
    }
}

/// A title without its trailing bracketed remarks (`…的答复（跟踪办理情况）`
/// → `…的答复`).
fn title_core(title: &str) -> String {
    let mut t = remove_spaces(title).into_owned();
    loop {
        let trimmed = t.trim_end_matches(['。', '.']);
        let Some(inner) = trimmed.strip_suffix(['）', ')']) else {
            return trimmed.to_string();
        };
        match inner.rfind(['（', '(']) {
            Some(open) if open > 0 => t = inner[..open].to_string(),
            _ => return trimmed.to_string(),
        }
    }
}

/// How a title classifies its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TitleGenre {
    /// It ends the way replies end (`…的答复`, `…会办意见`).
    Reply,
    /// It ends the way handling documents end (`…提案的办理意见`,
    /// `…建议办理情况的报告`) and names one suggestion or proposal: a reply
    /// if its text has a reply's features.
    Handling,
    /// It ends the way notices and news end (`…的通知`).
    Other,
    /// It says neither.
    Unknown,
}

/// The genre a title's ending names.
pub(crate) fn title_genre(title: &str) -> TitleGenre {
    let whole = remove_spaces(title);
    let core = title_core(title);
    if REPLY_ENDINGS.iter().any(|e| core.ends_with(e)) {
        return TitleGenre::Reply;
    }
    // A follow-up reply may be named only in its bracketed remark.
    if core.contains("答复") && (whole.contains("再次答复") || whole.contains("跟踪办理"))
    {
        return TitleGenre::Reply;
    }
    if HANDLING_ENDINGS.iter().any(|e| core.ends_with(e)) && names_one_proposal(&core) {
        return TitleGenre::Handling;
    }
    if OTHER_ENDINGS.iter().any(|e| core.ends_with(e)) {
        return TitleGenre::Other;
    }
    TitleGenre::Unknown
}

/// Whether a title names one suggestion or proposal: by its number
/// (`第150184号提案`) or by its quoted subject (`“…”提案`).
fn names_one_proposal(title: &str) -> bool {
    let proposal = ["建议", "提案", "议案"].iter().any(|w| title.contains(w));
    proposal && (number_in(title).is_some() || !quoted_spans(title).is_empty())
}

/// Whether a title speaks of a reply, a suggestion or a proposal at all.
pub(crate) fn mentions_proposal(title: &str) -> bool {
    let t = remove_spaces(title);
    ["答复", "会办", "建议", "提案", "议案"]
        .iter()
        .any(|w| t.contains(w))
}

/// Whether a paragraph holds the reply formula (`…收悉`, `答复如下`).
pub(crate) fn has_formula(paragraph: &str) -> bool {
    FORMULA.iter().any(|f| paragraph.contains(f))
}
