//! The suggestion or proposal a reply answers, read from its title, opening
//! and addressee: meeting, number, kind, subject, proposers and co-signers.

use std::sync::LazyLock;

use govwire_model::{Proposal, ProposalKind, Warning};
use regex::Regex;

use crate::normalize::{
    captures_containing, fold_digits, is_han, parse_chinese_number, parse_meeting, re,
    remove_spaces,
};

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

/// Balanced quoted spans of `text` (`“…”`, `《…》`, `「…」`, `『…』`, ASCII
/// `"…"`): (byte offset of the opening mark, byte offset just past the
/// closing mark, the text inside).
pub(super) fn quoted_spans(text: &str) -> Vec<(usize, usize, String)> {
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
pub(super) fn first_sentence(paragraph: &str) -> &str {
    match paragraph.find('。') {
        Some(end) => &paragraph[..end],
        None => paragraph,
    }
}

/// The subject from the quotes of the opening sentence, preferring the quote
/// directly followed by `的代表建议` / `提案`.
pub(super) fn subject_of(text: &str) -> Option<String> {
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

pub(super) fn number_in(text: &str) -> Option<String> {
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
pub(super) fn unquoted_subject(opening_sentence: &str) -> Option<String> {
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
