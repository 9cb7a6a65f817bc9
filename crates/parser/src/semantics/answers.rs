//! What a page answers: a deputy's suggestion or a member's proposal, or
//! something else (an application for government information, a 区长信箱
//! letter, a 12345 call), as its title, addressee and opening say.

use crate::normalize::{parse_meeting, remove_spaces};

use super::proposal::{first_sentence, quoted_spans};
use super::{title_core, HANDLING_ENDINGS};

/// What a page answers, as its title, addressee and opening sentence say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answers {
    /// A deputy's suggestion or a member's proposal.
    Proposal,
    /// Another kind of request (an application for government information,
    /// a mailbox letter, a hotline call).
    Other {
        /// What it answers, in words.
        what: &'static str,
        /// The words on the page that say so, and where they are.
        evidence: String,
    },
    /// None of the three says.
    Unknown,
}

const INFORMATION_REQUEST: &str = "an application for government information (政府信息公开申请)";
const MAILBOX: &str = "a letter to an online mailbox (区长信箱, 领导信箱)";
const ONLINE_MESSAGE: &str = "an online message (网民留言)";
const HOTLINE: &str = "a call to the 12345 citizens' hotline";
const PETITION: &str = "a citizen's letter or visit (来信, 信访)";
const COMPLAINT: &str = "a complaint or report (投诉, 举报)";
const CITIZEN_REPORT: &str = "a citizen's report (市民反映)";

/// Words naming requests other than suggestions and proposals that
/// government bodies answer with documents titled `…的答复`.
const OTHER_REQUESTS: &[(&str, &str)] = &[
    ("信息公开", INFORMATION_REQUEST),
    ("申请公开", INFORMATION_REQUEST),
    ("依申请", INFORMATION_REQUEST),
    ("信箱", MAILBOX),
    ("留言", ONLINE_MESSAGE),
    ("网民", ONLINE_MESSAGE),
    ("12345", HOTLINE),
    ("热线", HOTLINE),
    ("来电", HOTLINE),
    ("来信", PETITION),
    ("来访", PETITION),
    ("信访", PETITION),
    ("投诉", COMPLAINT),
    ("举报", COMPLAINT),
    ("市民反映", CITIZEN_REPORT),
    ("群众反映", CITIZEN_REPORT),
    ("居民反映", CITIZEN_REPORT),
];

/// What a title's last words before `的答复` may name other than a
/// suggestion or proposal (`关于王某某政府信息公开申请的答复`).
const ANSWERED_OTHER: &[(&str, &str)] = &[
    ("申请", INFORMATION_REQUEST),
    ("来信", PETITION),
    ("留言", ONLINE_MESSAGE),
    ("来电", HOTLINE),
    ("投诉", COMPLAINT),
    ("举报", COMPLAINT),
    ("诉求", CITIZEN_REPORT),
    ("反映", CITIZEN_REPORT),
];

/// Words that only suggestions and proposals bring into a reply's title,
/// addressee or opening (`委员会` and `代表人` are taken out first).
const PROPOSAL_WORDS: &[&str] = &["提案", "议案", "代表", "委员", "人大", "政协", "会办"];

/// Endings taken off a title to reach the words naming what it answers.
const ANSWER_ENDINGS: &[&str] = &[
    "答复函",
    "答复意见",
    "再次答复",
    "会办意见",
    "答复",
    "复函",
    "办理复文",
    "复文",
    "办理情况",
    "办理结果",
    "的",
];

/// The words naming what a title answers: `关于王某某政府信息公开申请的答复`
/// → `关于王某某政府信息公开申请`; closing quotes dropped.
fn answered_in_title(title: &str) -> String {
    let mut head = title_core(title);
    loop {
        let before = head.len();
        for ending in ANSWER_ENDINGS.iter().chain(HANDLING_ENDINGS) {
            if let Some(rest) = head.strip_suffix(ending) {
                head.truncate(rest.len());
            }
        }
        let trimmed = head.trim_end_matches(['》', '”', '」', '』', '"']).len();
        head.truncate(trimmed);
        if head.len() == before {
            return head;
        }
    }
}

/// Quotes up to this many characters name a channel (`“区长信箱”`,
/// `“网上留言”`) rather than a subject, and stay in the evidence.
const SHORT_QUOTE: usize = 6;

/// `text` as evidence is searched in: no spaces, no quoted subject (short
/// quotes kept), and without the words that contain 委员 or 代表 without
/// meaning a member or a deputy (`交通委员会`, `法定代表人`).
fn evidence_text(text: &str) -> String {
    let compact = remove_spaces(text);
    let mut out = String::with_capacity(compact.len());
    let mut last = 0;
    for (start, end, inner) in quoted_spans(&compact) {
        if inner.chars().count() > SHORT_QUOTE {
            out.push_str(&compact[last..start]);
            last = end;
        }
    }
    out.push_str(&compact[last..]);
    out.replace("委员会", "").replace("代表人", "")
}

/// Whether `text` (as [`evidence_text`] gives it) names a deputy, member,
/// proposal or meeting.
fn names_proposal(text: &str) -> bool {
    PROPOSAL_WORDS.iter().any(|w| text.contains(w)) || parse_meeting(text).is_some()
}

/// Whether a page answers a deputy's suggestion or a member's proposal, by
/// what its title, addressee and opening sentence say, in this order: the
/// title's last words before `的答复` (`…建议的答复`, `…公开申请的答复`);
/// a deputy, member, proposal or meeting named in the title or the
/// addressee; another kind of request named anywhere (`区长信箱`,
/// `12345`); a deputy, member, proposal, meeting or 建议 named anywhere.
pub(crate) fn what_it_answers(
    title: Option<&str>,
    addressee: Option<&str>,
    opening: Option<&str>,
) -> Answers {
    if let Some(title) = title {
        let head = answered_in_title(title);
        if ["建议", "提案", "议案"].iter().any(|w| head.ends_with(w)) {
            return Answers::Proposal;
        }
        if let Some((word, what)) = ANSWERED_OTHER.iter().find(|(w, _)| head.ends_with(w)) {
            return Answers::Other {
                what,
                evidence: format!("the title `{title}` answers a `{word}`"),
            };
        }
    }
    let places = [
        ("title", title.map(evidence_text)),
        ("addressee", addressee.map(evidence_text)),
        (
            "opening sentence",
            opening.map(|o| evidence_text(first_sentence(o))),
        ),
    ];
    let texts = places
        .iter()
        .filter_map(|(place, text)| text.as_deref().map(|t| (*place, t)));
    if texts
        .clone()
        .any(|(place, t)| place != "opening sentence" && names_proposal(t))
    {
        return Answers::Proposal;
    }
    for (place, text) in texts.clone() {
        if let Some((word, what)) = OTHER_REQUESTS.iter().find(|(w, _)| text.contains(w)) {
            return Answers::Other {
                what,
                evidence: format!("the {place} says `{word}`"),
            };
        }
    }
    if texts
        .into_iter()
        .any(|(_, t)| t.contains("建议") || names_proposal(t))
    {
        return Answers::Proposal;
    }
    Answers::Unknown
}
