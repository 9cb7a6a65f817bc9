//! What makes a page a reply and what the reply answers: pages answering
//! other requests (information applications, mailbox letters, hotline
//! calls), handling documents about one proposal, meetings, proposers and
//! co-signers, handling results and signed dates as pages write them.

use chrono::NaiveDate;
use govwire_model::{
    HandlingCategory, Level, PageOutcome, ParsedPage, ProposalKind, Reply, ReplyKind,
};
use govwire_parser::parse_page;

use crate::support::*;

/// The opening line of the real reply.
const REAL_OPENING: &str =
    "您提出的“关于进一步加大对中以（上海）创新园建设支持力度”的代表建议收悉，经研究，现将办理情况答复如下：";

/// Parses `lines` laid out in the body-only layout under `h1`.
fn parse_lines(h1: &str, lines: &[String]) -> ParsedPage {
    let html = render(
        &Layout {
            h1: Some(h1),
            ..Layout::default()
        },
        lines,
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    parse_page(&page, &shpt_profile()).expect("the page parses")
}

/// Parses a page written as text, one line per non-empty line.
fn parse_text(h1: &str, text: &str) -> ParsedPage {
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    parse_lines(h1, &lines)
}

/// The real reply with its title, addressee and opening replaced (each
/// `None` keeps the real one), and every line passed through `edit`.
fn real_with(
    title: Option<&str>,
    addressee: Option<&str>,
    opening: Option<&str>,
    edit: impl Fn(String) -> String,
) -> ParsedPage {
    let lines = real_lines();
    let real = real_title(&lines);
    let h1 = title.unwrap_or(&real).to_string();
    let lines: Vec<String> = lines
        .into_iter()
        .map(|l| {
            if l == real {
                h1.clone()
            } else if l == "许鸿蕨代表：" {
                addressee.map_or(l, |a| format!("{a}："))
            } else if l == REAL_OPENING {
                opening.map_or(l, str::to_string)
            } else {
                edit(l)
            }
        })
        .collect();
    parse_lines(&h1, &lines)
}

/// The reason of a page that is not a reply; panics on a reply.
fn reason_of(parsed: &ParsedPage) -> &str {
    match &parsed.outcome {
        PageOutcome::NotAReply { reason } => reason,
        PageOutcome::Reply { reply } => {
            panic!("expected NotAReply, got a reply titled {}", reply.title)
        }
    }
}

fn warning_fields(reply: &Reply) -> Vec<&str> {
    reply.warnings.iter().map(|w| w.field.as_str()).collect()
}

#[test]
fn an_answer_to_an_application_for_government_information_is_not_a_reply() {
    let parsed = parse_text(
        "关于王某某政府信息公开申请的答复",
        "上海市普陀区人民政府
        普府信复〔2022〕12号
        关于王某某政府信息公开申请的答复
        王某某：
        您于2022年7月1日通过网上提交的政府信息公开申请收悉，现答复如下：
        经查，您申请获取的信息属于公开范围，现随文提供。
        如对本答复不服，可以在收到本答复之日起60日内依法申请行政复议。
        上海市普陀区人民政府
        2022年8月8日",
    );
    let reason = reason_of(&parsed);
    assert!(reason.contains("政府信息公开申请"), "{reason}");
}

#[test]
fn answers_to_mailbox_letters_messages_and_hotline_calls_are_not_replies() {
    let cases = [
        (
            "关于小区停车难问题的答复",
            "张先生：
            您在区长信箱反映的小区停车难问题收悉，经研究，现答复如下：",
            "信箱",
        ),
        (
            "关于真如镇地区夜间施工噪声问题的答复",
            "网民朋友：
            您在区政府网站留言中提出的关于加强夜间施工管理的建议收悉，现答复如下：",
            "留言",
        ),
        (
            "关于桃浦镇道路积水问题的答复",
            "李女士：
            您通过12345市民服务热线反映的道路积水问题收悉，现答复如下：",
            "12345",
        ),
        (
            "对领导信箱来信的答复",
            "王先生：
            您的来信收悉，现答复如下：",
            "来信",
        ),
    ];
    for (title, head, word) in cases {
        let text = format!(
            "{head}
            区交通委已会同街道开展调研，拟在周边新增停车泊位。
            感谢您对我区工作的关心。
            上海市普陀区交通委员会
            2025年7月10日"
        );
        let parsed = parse_text(title, &text);
        let reason = reason_of(&parsed);
        assert!(reason.contains(word), "{title}: {reason}");
    }
}

#[test]
fn a_reply_to_a_deputy_stays_a_reply_whatever_its_subject_mentions() {
    // The subject speaks of the hotline and the mailbox; the deputy and the
    // suggestion make it a reply.
    let parsed = real_with(
        Some("关于优化区长信箱和12345热线办理机制建议的答复"),
        None,
        Some(
            "您提出的关于优化区长信箱和12345热线办理机制的建议收悉，经研究，现将办理情况答复如下：",
        ),
        |l| l,
    );
    let reply = reply_of(&parsed);
    assert_eq!(reply.reply_kind, Some(ReplyKind::Answer));
    assert_eq!(
        reply.proposal.subject.as_deref(),
        Some("关于优化区长信箱和12345热线办理机制的建议")
    );
}

#[test]
fn a_page_naming_no_suggestion_proposal_deputy_or_member_is_not_a_reply() {
    let parsed = parse_text(
        "关于小区停车问题的答复",
        "张先生：
        您反映的小区停车问题收悉，现答复如下：
        区交通委已会同街道开展调研。
        上海市普陀区交通委员会
        2025年7月10日",
    );
    let reason = reason_of(&parsed);
    assert!(reason.contains("names a suggestion"), "{reason}");
}

#[test]
fn a_handling_opinion_or_report_on_one_proposal_addressed_to_its_proposer_is_an_answer() {
    for title in [
        "关于区政协十五届五次会议第150184号提案的办理意见",
        "关于市十五届人大六次会议第0184号代表建议办理情况的报告",
    ] {
        let parsed = real_with(Some(title), None, None, |l| l);
        let reply = reply_of(&parsed);
        assert_eq!(reply.title, title);
        assert_eq!(reply.reply_kind, Some(ReplyKind::Answer), "{title}");
        assert_eq!(warning_fields(reply), vec!["reply_kind"], "{title}");
    }
    // The same kind of title ending `…办理情况的答复` is an answer outright.
    let title = "关于市十五届人大六次会议第0184号代表建议办理情况的答复";
    let parsed = real_with(Some(title), None, None, |l| l);
    let reply = reply_of(&parsed);
    assert_eq!(reply.reply_kind, Some(ReplyKind::Answer));
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
}

#[test]
fn a_report_on_many_proposals_or_without_a_reply_s_features_is_not_a_reply() {
    let parsed = parse_text(
        "关于2024年度区人大代表建议和区政协提案办理情况的报告",
        "区人大常委会：
        2024年，区政府共承办区人大代表建议186件、区政协提案213件，现将办理情况报告如下：
        一、总体情况
        所有建议提案均已按期办结。
        上海市普陀区人民政府
        2025年1月10日",
    );
    assert!(reason_of(&parsed).contains("notice or other document"));
    // One proposal, but no addressee: a handling record, not a reply.
    let parsed = parse_text(
        "关于区政协十五届五次会议第150184号提案的办理意见",
        "该提案由区民政局主办，区卫生健康委会办。
        区民政局已于2025年6月30日前完成办理。",
    );
    assert!(reason_of(&parsed).contains("handling document"));
}

#[test]
fn meetings_are_read_however_the_title_writes_them() {
    let cases = [
        ("区十六届人大三次", Level::District, 16, 3),
        ("十六届区人大三次会议", Level::District, 16, 3),
        ("第十六届区人大第三次会议", Level::District, 16, 3),
        ("区16届人大3次会议", Level::District, 16, 3),
        ("区１６届人大３次会议", Level::District, 16, 3),
    ];
    for (meeting, level, term, session) in cases {
        let title = format!("对{meeting}第0184号代表建议的答复");
        let parsed = real_with(Some(&title), None, None, |l| l);
        let reply = reply_of(&parsed);
        let p = &reply.proposal;
        assert_eq!(p.meeting.as_deref(), Some(meeting), "as written");
        assert_eq!(p.level, Some(level), "{meeting}");
        assert_eq!(p.term, Some(term), "{meeting}");
        assert_eq!(p.session, Some(session), "{meeting}");
        assert_eq!(p.kind, Some(ProposalKind::DeputySuggestion), "{meeting}");
        assert!(reply.warnings.is_empty(), "{meeting}: {:?}", reply.warnings);
    }
    for (meeting, level) in [
        ("十五届市政协一次会议", Level::Municipal),
        ("区政协十五届五次全会", Level::District),
    ] {
        let title = format!("对{meeting}第150184号提案的答复");
        let parsed = real_with(Some(&title), None, None, |l| l);
        let reply = reply_of(&parsed);
        assert_eq!(reply.proposal.meeting.as_deref(), Some(meeting));
        assert_eq!(reply.proposal.level, Some(level), "{meeting}");
        assert_eq!(reply.proposal.kind, Some(ProposalKind::MemberProposal));
        assert!(reply.proposal.term.is_some() && reply.proposal.session.is_some());
    }
}

#[test]
fn a_standing_committee_meeting_gives_no_session_and_says_why() {
    let parsed = real_with(
        Some("对区十六届人大常委会第三次会议第0184号代表建议的答复"),
        None,
        None,
        |l| l,
    );
    let reply = reply_of(&parsed);
    let p = &reply.proposal;
    assert_eq!(p.meeting.as_deref(), Some("区十六届人大常委会第三次会议"));
    assert_eq!(p.term, Some(16));
    assert_eq!(p.session, None);
    assert_eq!(warning_fields(reply), vec!["proposal.session"]);
}

#[test]
fn co_proposers_are_counted_however_the_opening_says_it() {
    let title = "对区政协十五届五次会议第150184号提案的答复";
    let cases: [(&str, &str, &[&str], Option<u32>); 6] = [
        (
            "毛文采委员",
            "您和其他4名委员联名提出的《关于加强社区养老服务的建议》提案收悉，现答复如下：",
            &["毛文采"],
            Some(4),
        ),
        (
            "毛文采委员",
            "您与张三等4名委员联名提出的《关于加强社区养老服务的建议》提案收悉，现答复如下：",
            &["毛文采", "张三"],
            Some(3),
        ),
        (
            "毛文采等5位委员",
            "你们提出的《关于加强社区养老服务的建议》提案收悉，现答复如下：",
            &["毛文采"],
            Some(4),
        ),
        (
            "真如镇街道",
            "夏海萍等5名委员提出的《关于加强社区养老服务的建议》提案收悉。现提出会办意见如下：",
            &["夏海萍"],
            Some(4),
        ),
        (
            "毛文采委员",
            "您与张三、李四委员联名提出的《关于加强社区养老服务的建议》提案收悉，现答复如下：",
            &["毛文采", "张三", "李四"],
            None,
        ),
        (
            "毛文采委员",
            "您与其他十二名委员联名提出的《关于加强社区养老服务的建议》提案收悉，现答复如下：",
            &["毛文采"],
            Some(12),
        ),
    ];
    for (addressee, opening, proposers, co) in cases {
        let parsed = real_with(Some(title), Some(addressee), Some(opening), |l| l);
        let p = &reply_of(&parsed).proposal;
        assert_eq!(p.proposers, proposers, "{opening}");
        assert_eq!(p.co_proposers, co, "{opening}");
        assert_eq!(p.subject.as_deref(), Some("关于加强社区养老服务的建议"));
    }
}

#[test]
fn handling_results_keep_their_words_and_find_their_category() {
    for raw in ["解决采纳。", "A类（解决采纳）", "“解决采纳”"] {
        let parsed = real_with(None, None, None, |l| {
            if l.starts_with("办理结果") {
                format!("办理结果：{raw}")
            } else {
                l
            }
        });
        let reply = reply_of(&parsed);
        let result = reply.handling_result.as_ref().expect("a handling result");
        assert_eq!(result.raw, raw);
        assert_eq!(result.category, Some(HandlingCategory::Adopted), "{raw}");
        assert!(reply.warnings.is_empty(), "{raw}: {:?}", reply.warnings);
    }
    let parsed = real_with(None, None, None, |l| {
        if l.starts_with("办理结果") {
            "办理结果：B类".to_string()
        } else {
            l
        }
    });
    let reply = reply_of(&parsed);
    assert_eq!(
        reply.handling_result.as_ref().and_then(|h| h.category),
        None
    );
    assert_eq!(warning_fields(reply), vec!["handling_result.category"]);
}

#[test]
fn an_unquoted_subject_is_read_with_a_warning_and_a_labelled_number_is_read() {
    let parsed = real_with(
        Some("关于加强社区养老服务建议的答复"),
        None,
        Some("您在上海市普陀区第十六届人民代表大会第三次会议期间提出的关于加强社区养老服务的建议（第16020号）收悉。现答复如下："),
        |l| l,
    );
    let reply = reply_of(&parsed);
    assert_eq!(
        reply.proposal.subject.as_deref(),
        Some("关于加强社区养老服务的建议")
    );
    assert_eq!(reply.proposal.number.as_deref(), Some("16020"));
    assert_eq!(warning_fields(reply), vec!["proposal.subject"]);

    let parsed = real_with(
        Some("关于加强社区养老服务建议的答复"),
        None,
        Some("您在区十六届人大三次会议上提出的《关于加强社区养老服务的建议》（编号：16020）收悉，现答复如下："),
        |l| l,
    );
    let reply = reply_of(&parsed);
    assert_eq!(reply.proposal.number.as_deref(), Some("16020"));
    assert_eq!(
        reply.proposal.subject.as_deref(),
        Some("关于加强社区养老服务的建议")
    );
    assert!(reply.warnings.is_empty(), "{:?}", reply.warnings);
}

#[test]
fn signed_dates_written_with_hao_or_chinese_month_and_day_are_read() {
    for (written, date) in [
        ("2022年8月8号", NaiveDate::from_ymd_opt(2022, 8, 8)),
        ("2022年十二月八日", NaiveDate::from_ymd_opt(2022, 12, 8)),
    ] {
        let parsed = real_with(None, None, None, |l| {
            if l == "2022年8月8日" {
                written.to_string()
            } else {
                l
            }
        });
        let reply = reply_of(&parsed);
        assert_eq!(reply.signed_on, date, "{written}");
        assert_eq!(
            reply.signatory.as_deref(),
            Some("上海市普陀区人民政府"),
            "{written}"
        );
        assert!(reply.warnings.is_empty(), "{written}: {:?}", reply.warnings);
    }
}
