//! What a reply is about: its kind (答复, 会办意见, 再次答复), the suggestion
//! or proposal it answers (meeting, number, subject, proposers), and whether
//! a page is a reply at all.

use std::sync::LazyLock;

use govwire_model::{Proposal, ProposalKind, ReplyKind, Warning};
use regex::Regex;

use crate::normalize::{
    captures_containing, fold_digits, is_han, parse_chinese_number, parse_meeting, re,
    remove_spaces,
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

static NUMBER_DI: LazyLock<Regex> = LazyLock::new(|| re(r"第\s*(?P<n>[0-9]{1,8})\s*号"));
static NUMBER_BARE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?P<n>[0-9]{3,8})\s*号\s*(?:代表|委员)?(?:建议|提案|议案)"));
static NUMBER_AFTER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:建议|提案|议案)\s*(?:第|编号\s*[：:]?)\s*(?P<n>[0-9]{1,8})\s*号?"));
static NUMBER_LABELLED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:编号|提案号|建议号|案号)\s*(?:[：:]|为)?\s*第?\s*(?P<n>[0-9]{1,8})"));
/// A count of deputies or members (`4名`, `五位`).
const COUNT: &str = r"(?P<n>[0-9一二三四五六七八九十两]{1,4})\s*[名位]";
static PROPOSERS_OPENING: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?:关于|对|就)?(?P<names>[\p{{Han}}·、，,]{{2,40}}?)(?:等\s*{COUNT})?\s*(?:代表|委员)(?:等)?(?:(?:与|和|同)[^，。]{{0,30}}?)?(?:在[^，。]{{0,30}}?)?(?:联名)?提出的"
    ))
});
static CO_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?:与|和|同)(?P<names>[\p{{Han}}·、，,]{{2,40}}?)(?:等\s*{COUNT}|等)?\s*(?:代表|委员)联名"
    ))
});
static CO_COUNT: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?:与|和|同)其他\s*{COUNT}")));
static ADDRESSEE_NAMES: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^(?:尊敬的)?(?P<names>.+?)(?:等\s*{COUNT}|等\s*[名位]?)?(?:代表|委员|同志|先生|女士)$"
    ))
});
/// A subject written without quotes: `提出的关于加强社区养老服务的建议（第16020号）收悉`.
static UNQUOTED_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"提出的(?P<s>关于[^，。；：“”《》「」]{2,80}?(?:建议|提案|议案))(?:[（(][^）)]{0,20}[）)])?(?:的?(?:代表建议|委员提案|提案))?收悉",
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

/// Balanced quoted spans of `text` (`“…”`, `《…》`, `「…」`, `『…』`, ASCII
/// `"…"`): (byte offset of the opening mark, byte offset just past the
/// closing mark, the text inside).
fn quoted_spans(text: &str) -> Vec<(usize, usize, String)> {
    const PAIRS: &[(char, char)] = &[
        ('“', '”'),
        ('《', '》'),
        ('「', '」'),
        ('『', '』'),
        ('"', '"'),
    ];
    let mut spans = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    for (pos, c) in text.char_indices() {
        // A closing mark first: the ASCII `"` both opens and closes.
        let closes = stack.iter().rposition(|(close, _)| *close == c);
        if let (None, Some(&(_, close))) = (closes, PAIRS.iter().find(|(open, _)| *open == c)) {
            stack.push((close, pos));
        } else if let Some(depth) = closes {
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
    let unquoted = without_quotes(text);
    let t = remove_spaces(&unquoted);
    if t.contains("提案") || t.contains("政协") {
        Some(ProposalKind::MemberProposal)
    } else if t.contains("人大") || t.contains("建议") || t.contains("议案") {
        Some(ProposalKind::DeputySuggestion)
    } else {
        None
    }
}

fn number_in(text: &str) -> Option<String> {
    let folded = fold_digits(&without_quotes(text)).into_owned();
    let t = remove_spaces(&folded);
    [
        &*NUMBER_DI,
        &*NUMBER_BARE,
        &*NUMBER_AFTER,
        &*NUMBER_LABELLED,
    ]
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

/// A subject the opening sentence writes without quotes, from `关于` to
/// the kind of proposal before `收悉`
/// (`提出的关于加强社区养老服务的建议（第16020号）收悉`).
fn unquoted_subject(opening_sentence: &str) -> Option<String> {
    if !opening_sentence.contains("关于") {
        return None;
    }
    let compact = remove_spaces(opening_sentence);
    UNQUOTED_SUBJECT
        .captures(&compact)
        .map(|caps| caps["s"].to_string())
}

/// One group of proposers as a phrase names them: the names, and the
/// co-signers beyond them when the phrase counts the group. The count takes
/// in the names before it: `张三等4名委员` is 张三 and three others.
fn proposer_group(names: &str, count: Option<&str>) -> (Vec<String>, Option<u32>) {
    let names = names_in(names);
    let others = count
        .and_then(parse_chinese_number)
        .and_then(|n| n.checked_sub(u32::try_from(names.len()).ok()?));
    (names, others)
}

/// The named deputies or members in written order (the addressee's, then
/// the opening sentence's), and the co-signers beyond them where a count is
/// given (`您与其他4名委员联名`, `毛文采等5位委员：`, `与张三等4名委员联名`).
fn read_proposers(
    addressee: Option<&str>,
    opening_sentence: &str,
    warnings: &mut Vec<Warning>,
) -> (Vec<String>, Option<u32>) {
    let opening = fold_digits(&without_quotes(opening_sentence)).into_owned();
    let mut groups: Vec<(&str, Vec<String>, Option<u32>)> = Vec::new();
    if let Some(caps) = addressee.and_then(|a| ADDRESSEE_NAMES.captures(a)) {
        let (names, others) = proposer_group(&caps["names"], caps.name("n").map(|m| m.as_str()));
        groups.push(("addressee", names, others));
    }
    // Each pattern needs a word the sentence mostly lacks; looked for first.
    if let Some(caps) = captures_containing(&PROPOSERS_OPENING, "提出的", &opening) {
        // `您与张三、李四委员联名提出的` names its co-signers after `与`.
        if !caps["names"].starts_with(['您', '你']) {
            let (names, others) =
                proposer_group(&caps["names"], caps.name("n").map(|m| m.as_str()));
            groups.push(("opening sentence", names, others));
        }
    }
    let co_named = opening
        .contains("联名")
        .then(|| CO_NAMED.captures_iter(&opening));
    for caps in co_named.into_iter().flatten() {
        let (names, others) = proposer_group(&caps["names"], caps.name("n").map(|m| m.as_str()));
        groups.push(("opening sentence", names, others));
    }
    if let Some(caps) = captures_containing(&CO_COUNT, "其他", &opening) {
        groups.push((
            "opening sentence",
            Vec::new(),
            parse_chinese_number(&caps["n"]),
        ));
    }

    let mut proposers: Vec<String> = Vec::new();
    let mut co_proposers: Option<(u32, &str)> = None;
    for (place, names, others) in groups {
        for name in names {
            if !proposers.contains(&name) {
                proposers.push(name);
            }
        }
        match (co_proposers, others) {
            (None, Some(n)) => co_proposers = Some((n, place)),
            (Some((first, first_place)), Some(n)) if n != first => warnings.push(Warning::new(
                "proposal.co_proposers",
                format!("The {first_place} counts {first} co-signers but the {place} {n}; the {first_place}'s count was used."),
            )),
            _ => {}
        }
    }
    (proposers, co_proposers.map(|(n, _)| n))
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
            if m.standing_committee {
                warnings.push(Warning::new(
                    "proposal.session",
                    format!(
                        "The meeting `{}` is a standing committee's, not a plenary session; its number was not taken as the session.",
                        m.text
                    ),
                ));
            } else {
                proposal.session = m.session;
            }
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
        proposal.subject = unquoted_subject(opening_sentence);
        if let Some(subject) = &proposal.subject {
            warnings.push(Warning::new(
                "proposal.subject",
                format!("The opening sentence does not quote the subject; it was read as the unquoted words `{subject}` between 提出的 and 收悉."),
            ));
        }
    }
    if proposal.subject.is_none() {
        warnings.push(Warning::new(
            "proposal.subject",
            "The opening sentence quotes no subject (“…” or 《…》).",
        ));
    }

    let (proposers, co_proposers) = read_proposers(addressee, opening_sentence, warnings);
    if proposers.is_empty() {
        warnings.push(Warning::new(
            "proposal.proposers",
            "Neither the addressee nor the opening sentence names the deputies or members.",
        ));
    }
    proposal.proposers = proposers;
    proposal.co_proposers = co_proposers;
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

    #[test]
    fn handling_titles_about_one_proposal_are_left_to_the_text() {
        for title in [
            "关于区政协十五届五次会议第150184号提案的办理意见",
            "关于市十五届人大六次会议第0184号代表建议办理情况的报告",
            "关于“加强社区养老服务”提案的办理意见",
        ] {
            assert_eq!(title_genre(title), TitleGenre::Handling, "{title}");
        }
        for title in [
            "关于2024年度区人大代表建议和区政协提案办理情况的报告",
            "关于进一步做好建议提案办理工作的意见",
        ] {
            assert_eq!(title_genre(title), TitleGenre::Other, "{title}");
        }
        assert_eq!(
            title_genre("关于市十五届人大六次会议第0184号代表建议办理情况的答复"),
            TitleGenre::Reply
        );
    }

    #[test]
    fn what_a_page_answers_comes_from_its_title_addressee_and_opening() {
        let other = |title, addressee, opening| {
            matches!(
                what_it_answers(Some(title), addressee, opening),
                Answers::Other { .. }
            )
        };
        assert!(other(
            "关于王某某政府信息公开申请的答复",
            Some("王某某"),
            None
        ));
        assert!(other(
            "关于小区停车难问题的答复",
            Some("张先生"),
            Some("您在区长信箱反映的小区停车难问题收悉，现答复如下：")
        ));
        assert!(other(
            "关于道路积水问题的答复",
            Some("网民朋友"),
            Some("您在网上留言中提出的建议收悉。")
        ));
        // A channel's name in quotes still says what the page answers.
        assert!(other(
            "关于小区停车难问题的答复",
            Some("胡先生"),
            Some("您通过“区长信箱”反映的小区停车难问题收悉。")
        ));
        // An information application about suggestions is still one.
        assert!(other(
            "关于申请公开区人大代表建议办理情况的信息公开申请的答复",
            Some("王某某"),
            None
        ));
        // A deputy or a suggestion named in the title wins over a subject
        // that speaks of the hotline.
        assert_eq!(
            what_it_answers(
                Some("关于优化12345热线服务建议的答复"),
                Some("许鸿蕨代表"),
                Some("您提出的关于优化12345热线服务的建议收悉。")
            ),
            Answers::Proposal
        );
        assert_eq!(
            what_it_answers(
                Some("关于区政协十五届五次会议第150184号提案的会办意见"),
                Some("真如镇街道"),
                None
            ),
            Answers::Proposal
        );
        // A unit whose name holds 委员 is no member.
        assert_eq!(
            what_it_answers(
                Some("关于小区停车问题的答复"),
                Some("区交通委员会"),
                Some("来函收悉。")
            ),
            Answers::Unknown
        );
    }

    #[test]
    fn co_signers_are_counted_beyond_the_named_proposers() {
        let read = |addressee: &str, opening: &str| {
            let mut w = Vec::new();
            let p = read_proposal(
                "对区政协十五届五次会议第150184号提案的答复",
                Some(opening),
                Some(addressee),
                &mut w,
            );
            (p.proposers, p.co_proposers, w)
        };
        let (names, co, w) = read(
            "毛文采委员",
            "您和其他4名委员联名提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!((names, co), (vec!["毛文采".to_string()], Some(4)));
        assert!(w.is_empty(), "{w:?}");
        let (names, co, _) = read(
            "毛文采委员",
            "您与张三等4名委员联名提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!(names, vec!["毛文采", "张三"]);
        assert_eq!(co, Some(3));
        let (names, co, _) = read(
            "真如镇街道",
            "夏海萍等5名委员提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!((names, co), (vec!["夏海萍".to_string()], Some(4)));
        let (names, co, _) = read(
            "真如镇街道",
            "毛文采委员与其他4名委员联名提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!((names, co), (vec!["毛文采".to_string()], Some(4)));
        let (names, co, _) = read(
            "毛文采委员",
            "您与张三、李四委员联名提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!(names, vec!["毛文采", "张三", "李四"]);
        assert_eq!(co, None);
        // Two counts that disagree: the first is kept, and the record says so.
        let (_, co, w) = read(
            "毛文采等5位委员",
            "您与其他3名委员联名提出的《关于加强社区养老服务的建议》提案收悉",
        );
        assert_eq!(co, Some(4));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].field, "proposal.co_proposers");
    }

    #[test]
    fn subjects_are_read_from_ascii_quotes_and_from_unquoted_words() {
        assert_eq!(
            subject_of("您提出的\"关于加强社区养老服务的建议\"收悉").as_deref(),
            Some("关于加强社区养老服务的建议")
        );
        assert_eq!(
            unquoted_subject(
                "您在区十六届人大三次会议期间提出的关于加强社区养老服务的建议（第16020号）收悉"
            )
            .as_deref(),
            Some("关于加强社区养老服务的建议")
        );
        assert_eq!(
            unquoted_subject("您与其他 4 名委员联名提出的关于加强社区养老服务的提案收悉")
                .as_deref(),
            Some("关于加强社区养老服务的提案")
        );
        assert_eq!(unquoted_subject("您提出的建议收悉"), None);
        assert_eq!(
            number_in("《关于加强社区养老服务的建议》（编号：16020）收悉").as_deref(),
            Some("16020")
        );
    }
}
