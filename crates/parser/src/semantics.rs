//! What a reply is about: its kind (答复, 会办意见, 再次答复), the suggestion
//! or proposal it answers (meeting, number, subject, proposers), and whether
//! a page is a reply at all.

use std::sync::LazyLock;

use govwire_model::{Proposal, ProposalKind, ReplyKind, Warning};
use regex::Regex;

use crate::normalize::{
    fold_digits, is_han, parse_chinese_number, parse_meeting, re, remove_spaces,
};

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

static NUMBER_DI: LazyLock<Regex> = LazyLock::new(|| re(r"第\s*(?P<n>[0-9]{1,8})\s*号"));
static NUMBER_BARE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?P<n>[0-9]{3,8})\s*号\s*(?:代表|委员)?(?:建议|提案|议案)"));
static NUMBER_AFTER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:建议|提案|议案)\s*(?:第|编号\s*[：:]?)\s*(?P<n>[0-9]{1,8})\s*号?"));
static PROPOSERS_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:关于|对|就)?(?P<names>[\p{Han}·、，,]{2,40}?)(?:等\s*[0-9一二三四五六七八九十]*\s*[名位])?\s*(?:代表|委员)(?:等)?(?:在[^，。]{0,30}?)?(?:联名)?提出的",
    )
});
static CO_NAMED: LazyLock<Regex> =
    LazyLock::new(|| re(r"与(?P<names>[\p{Han}·、，,]{2,40}?)(?:等)?(?:代表|委员)联名"));
static CO_COUNT: LazyLock<Regex> =
    LazyLock::new(|| re(r"与其他\s*(?P<n>[0-9一二三四五六七八九十两]{1,4})\s*(?:名|位)"));
static ADDRESSEE_NAMES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:尊敬的)?(?P<names>.+?)(?:等\s*[0-9一二三四五六七八九十]*\s*[名位]?)?(?:代表|委员|同志|先生|女士)$",
    )
});
static FOLLOWS_SUBJECT: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*的?\s*(?:代表|委员)?(?:建议|提案|议案|意见)"));

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
    let mut t = remove_spaces(title);
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
    if OTHER_ENDINGS.iter().any(|e| core.ends_with(e)) {
        return TitleGenre::Other;
    }
    TitleGenre::Unknown
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

/// Balanced quoted spans of `text`: (byte offset of the opening mark, byte
/// offset just past the closing mark, the text inside).
fn quoted_spans(text: &str) -> Vec<(usize, usize, String)> {
    const PAIRS: &[(char, char)] = &[('“', '”'), ('《', '》'), ('「', '」'), ('『', '』')];
    let mut spans = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (pos, c) in text.char_indices() {
        if let Some(&(_, close)) = PAIRS.iter().find(|(open, _)| *open == c) {
            stack.push((close, pos));
        } else if let Some(depth) = stack.iter().rposition(|(close, _)| *close == c) {
            let (_, start) = stack[depth];
            stack.truncate(depth);
            if stack.is_empty() {
                let inner_start = start + text[start..].chars().next().map_or(0, char::len_utf8);
                let inner = text[inner_start..pos].trim().to_string();
                if !inner.is_empty() {
                    spans.push((start, pos + c.len_utf8(), inner));
                }
            }
        }
    }
    spans
}

/// Text with its quoted spans removed, so words inside a subject do not
/// decide what the document is.
fn without_quotes(text: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for (start, end, _) in quoted_spans(text) {
        out.push_str(&text[last..start]);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The opening sentence: the opening paragraph up to its first `。`.
fn first_sentence(paragraph: &str) -> &str {
    match paragraph.find('。') {
        Some(end) => &paragraph[..end],
        None => paragraph,
    }
}

/// The subject from the quotes of the opening sentence, preferring the quote
/// directly followed by `的代表建议` / `提案`.
fn subject_of(text: &str) -> Option<String> {
    let spans = quoted_spans(text);
    spans
        .iter()
        .find(|(_, end, _)| FOLLOWS_SUBJECT.is_match(&text[*end..]))
        .or_else(|| {
            spans.iter().find(|(start, _, _)| {
                text[..*start].ends_with("提出的") || text[..*start].ends_with("关于")
            })
        })
        .or(spans.first())
        .map(|(_, _, inner)| inner.clone())
}

fn kind_from_words(text: &str) -> Option<ProposalKind> {
    let t = remove_spaces(&without_quotes(text));
    if t.contains("提案") || t.contains("政协") {
        Some(ProposalKind::MemberProposal)
    } else if t.contains("人大") || t.contains("建议") || t.contains("议案") {
        Some(ProposalKind::DeputySuggestion)
    } else {
        None
    }
}

fn number_in(text: &str) -> Option<String> {
    let t = remove_spaces(&fold_digits(&without_quotes(text)));
    [&*NUMBER_DI, &*NUMBER_BARE, &*NUMBER_AFTER]
        .iter()
        .find_map(|re| re.captures(&t).map(|c| c["n"].to_string()))
}

/// Personal names from a list (`许鸿蕨、王五`): 2 to 5 Han characters each,
/// nothing that reads as a place or an organ.
fn names_in(list: &str) -> Vec<String> {
    list.split(['、', '，', ','])
        .map(|s| s.trim())
        .filter(|s| {
            let n = s.chars().count();
            (2..=5).contains(&n)
                && s.chars().all(|c| is_han(c) || c == '·')
                && !["区", "市", "政协", "人大", "各", "您", "你", "其他", "关于"]
                    .iter()
                    .any(|w| s.contains(w))
        })
        .map(str::to_string)
        .collect()
}

/// Reads the suggestion or proposal a reply answers, from the title, the
/// opening paragraph and the addressee. Fields the document should show but
/// does not are reported in `warnings`.
pub(crate) fn read_proposal(
    title: &str,
    opening: Option<&str>,
    addressee: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Proposal {
    let opening_sentence = opening.map(first_sentence).unwrap_or_default();
    let mut proposal = Proposal::default();

    let meeting = parse_meeting(title).or_else(|| parse_meeting(opening_sentence));
    match &meeting {
        Some(m) => {
            proposal.meeting = Some(m.text.clone());
            proposal.level = m.level;
            proposal.term = m.term;
            proposal.session = m.session;
            if m.level.is_none() {
                warnings.push(Warning::new(
                    "proposal.level",
                    format!("The meeting `{}` names neither 市 nor 区.", m.text),
                ));
            }
        }
        None => warnings.push(Warning::new(
            "proposal.meeting",
            "Neither the title nor the opening sentence names the meeting (…届…次会议).",
        )),
    }

    proposal.kind = kind_from_words(title)
        .or(meeting.as_ref().and_then(|m| m.kind))
        .or_else(|| kind_from_words(opening_sentence));
    if proposal.kind.is_none() {
        let from_addressee = addressee.and_then(|a| {
            if a.contains("代表") {
                Some(ProposalKind::DeputySuggestion)
            } else if a.contains("委员") {
                Some(ProposalKind::MemberProposal)
            } else {
                None
            }
        });
        match from_addressee {
            Some(kind) => {
                proposal.kind = Some(kind);
                warnings.push(Warning::new(
                    "proposal.kind",
                    "Guessed from the addressee (代表/委员); neither the title nor the opening says 建议 or 提案.",
                ));
            }
            None => warnings.push(Warning::new(
                "proposal.kind",
                "Neither the title nor the opening says whether it is a deputy's suggestion or a member's proposal.",
            )),
        }
    }

    proposal.number = number_in(title).or_else(|| number_in(opening_sentence));
    if proposal.number.is_none() {
        warnings.push(Warning::new(
            "proposal.number",
            "Neither the title nor the opening sentence gives the suggestion's or proposal's number.",
        ));
    }

    proposal.subject = subject_of(opening_sentence).or_else(|| subject_of(title));
    if proposal.subject.is_none() {
        warnings.push(Warning::new(
            "proposal.subject",
            "The opening sentence quotes no subject (“…” or 《…》).",
        ));
    }

    let mut proposers = Vec::new();
    if let Some(caps) = addressee.and_then(|a| ADDRESSEE_NAMES.captures(a)) {
        proposers.extend(names_in(&caps["names"]));
    }
    let opening_plain = without_quotes(opening_sentence);
    if let Some(caps) = PROPOSERS_OPENING.captures(&opening_plain) {
        proposers.extend(names_in(&caps["names"]));
    }
    for caps in CO_NAMED.captures_iter(&opening_plain) {
        proposers.extend(names_in(&caps["names"]));
    }
    let mut seen = std::collections::HashSet::new();
    proposers.retain(|p| seen.insert(p.clone()));
    if proposers.is_empty() {
        warnings.push(Warning::new(
            "proposal.proposers",
            "Neither the addressee nor the opening sentence names the deputies or members.",
        ));
    }
    proposal.proposers = proposers;

    proposal.co_proposers = CO_COUNT
        .captures(&fold_digits(&opening_plain))
        .and_then(|c| parse_chinese_number(&c["n"]));
    proposal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_is_the_quote_followed_by_the_kind_of_proposal() {
        let s = "您提出的“关于进一步加大对中以（上海）创新园建设支持力度”的代表建议收悉，经研究";
        assert_eq!(
            subject_of(s).as_deref(),
            Some("关于进一步加大对中以（上海）创新园建设支持力度")
        );
        let s = "您与其他4名普陀区政协委员联名提出的《关于“一网通办”的建议》提案收悉";
        assert_eq!(subject_of(s).as_deref(), Some("关于“一网通办”的建议"));
    }

    #[test]
    fn proposers_come_from_the_addressee_and_the_opening() {
        let mut w = Vec::new();
        let p = read_proposal(
            "关于区政协十五届五次会议第142072号提案的会办意见",
            Some("夏海萍委员提出的《关于加强社区养老服务的建议》提案收悉。"),
            Some("真如镇街道"),
            &mut w,
        );
        assert_eq!(p.proposers, vec!["夏海萍"]);
        assert_eq!(p.kind, Some(ProposalKind::MemberProposal));
        assert_eq!(p.number.as_deref(), Some("142072"));
        assert_eq!(p.co_proposers, None);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn titles_classify_by_their_ending() {
        assert_eq!(
            title_genre("对市十五届人大六次会议 第0184号代表建议的答复"),
            TitleGenre::Reply
        );
        assert_eq!(
            title_genre("关于开展2025年建议提案办理工作的通知"),
            TitleGenre::Other
        );
        assert_eq!(
            title_genre("对…提案的答复（跟踪办理情况）"),
            TitleGenre::Reply
        );
        assert_eq!(title_core("答复（跟踪办理情况）"), "答复");
        // Weak endings are left to the text's features.
        assert_eq!(title_genre("关于商请协助开展调研的函"), TitleGenre::Unknown);
        assert_eq!(title_genre("2024年度建议提案办理情况"), TitleGenre::Unknown);
        assert!(!has_formula("现将有关事项通知如下："));
        assert!(has_formula("您提出的建议收悉，现将办理情况答复如下："));
    }
}
