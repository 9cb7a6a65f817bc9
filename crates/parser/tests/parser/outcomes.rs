//! What the parser makes of pages other than the golden one: notices, a
//! reply without its body, an unknown body container, other kinds of reply.

use chrono::NaiveDate;
use govwire_model::{HandlingCategory, Level, PageOutcome, ProposalKind, ReplyKind};
use govwire_parser::{parse_page, ParseError};

use crate::support::*;

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn page_of(layout: &Layout<'_>, text: &str) -> govwire_model::RawPage {
    raw_page(
        render(layout, &lines(text)).into_bytes(),
        Some("text/html; charset=utf-8"),
    )
}

#[test]
fn a_notice_page_is_not_a_reply() {
    let title = "关于开展2025年度人大代表建议和政协提案办理工作的通知";
    let page = page_of(
        &Layout {
            h1: Some(title),
            ..Layout::default()
        },
        "各街道（镇）、各委办局：
        为做好2025年度人大代表建议和政协委员提案办理工作，现将有关事项通知如下：
        一、高度重视办理工作
        各单位要把建议提案办理工作作为重要任务。
        上海市普陀区人民政府办公室
        2025年3月1日",
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("a notice parses");
    match parsed.outcome {
        PageOutcome::NotAReply { reason } => assert!(reason.contains("notice"), "{reason}"),
        PageOutcome::Reply { reply } => panic!("a notice became a reply: {}", reply.title),
    }
}

#[test]
fn a_news_page_without_reply_features_is_not_a_reply() {
    let page = page_of(
        &Layout {
            h1: Some("区领导调研桃浦智创城建设"),
            ..Layout::default()
        },
        "7月15日，区领导赴桃浦智创城调研重点项目建设情况。
        调研中，区领导一行实地察看了中以（上海）创新园二期建设现场。",
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("a news page parses");
    assert!(
        matches!(parsed.outcome, PageOutcome::NotAReply { .. }),
        "{:?}",
        parsed.outcome
    );
}

#[test]
fn a_reply_page_without_a_body_is_an_error() {
    let title = real_title(&real_lines());
    let page = page_of(
        &Layout {
            h1: Some(&title),
            ..Layout::default()
        },
        "",
    );
    match parse_page(&page, &shpt_profile()) {
        Err(ParseError::MissingRequiredField { field, reason }) => {
            assert_eq!(field, "body", "{reason}");
        }
        other => panic!("expected a missing body, got {other:?}"),
    }
}

#[test]
fn a_body_container_the_profile_does_not_list_is_found_with_a_warning() {
    let all = real_lines();
    let title = real_title(&all);
    let html = render(
        &Layout {
            h1: Some(&title),
            container: ("wenzhang", "zhengwen"),
            ..Layout::default()
        },
        &all,
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    let mut content = content_json(reply);
    content["warnings"] = serde_json::Value::Array(Vec::new());
    assert_json_eq(&real_expected(), &content, "unlisted container");
    assert_eq!(reply.warnings.len(), 1, "{:?}", reply.warnings);
    assert_eq!(reply.warnings[0].field, "body");
    assert!(
        reply.warnings[0].message.contains("zhengwen"),
        "{}",
        reply.warnings[0].message
    );
}

#[test]
fn a_related_links_box_matching_a_body_selector_gives_way_to_the_real_body() {
    let all = real_lines();
    let title = real_title(&all);
    let html = render(
        &Layout {
            h1: Some(&title),
            container: ("wenzhang", "zhengwen"),
            ..Layout::default()
        },
        &all,
    )
    .replace(
        "  <div class=\"aside\">",
        "  <div class=\"related\"><div class=\"content\"><ul>\
         <li><a href=\"/a.html\">关于开展2025年建议提案办理工作的通知</a></li>\
         <li><a href=\"/b.html\">普陀区2024年政府工作报告</a></li></ul></div></div>\n  <div class=\"aside\">",
    );
    assert!(html.contains("class=\"content\""));
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the real reply parses");
    let reply = reply_of(&parsed);
    let mut content = content_json(reply);
    content["warnings"] = serde_json::Value::Array(Vec::new());
    assert_json_eq(&real_expected(), &content, "related links box");
    assert_eq!(reply.warnings.len(), 1, "{:?}", reply.warnings);
    let message = &reply.warnings[0].message;
    assert_eq!(reply.warnings[0].field, "body");
    assert!(
        message.contains("div.content") && message.contains("zhengwen"),
        "{message}"
    );
}

#[test]
fn the_2020_layout_gives_its_publication_date_without_the_list() {
    use govwire_fixture_portal::{corpus, Layout};
    let doc = corpus()
        .into_iter()
        .find(|d| d.is_served() && d.expect == govwire_fixture_portal::Expect::Reply)
        .expect("a served reply in the corpus");
    let served = doc.served_as(Layout::IvsContent2020);
    let mut page = raw_page(served.body, Some(&served.content_type));
    page.published_on = None;
    let parsed = parse_page(&page, &shpt_profile()).expect("the page parses");
    assert_eq!(reply_of(&parsed).published_on, Some(doc.published_on));
}

#[test]
fn a_co_handling_opinion_in_the_body_only_layout_reads_whole() {
    let title = "关于区政协十五届五次会议第142072号提案的会办意见";
    let page = page_of(
        &Layout {
            h1: Some(title),
            ..Layout::default()
        },
        "关于区政协十五届五次会议第142072号提案的会办意见
        2025年07月16日 来源: 上海普陀
        真如镇街道：
        办理结果：部分采纳
        夏海萍委员提出的《关于加强社区养老服务的建议》提案收悉。经研究，现提出会办意见如下：
        一、关于养老服务设施
        我局将会同
        街道加快推进社区养老服务设施建设。
        以上意见供你单位统一答复代表时参考。
        上海市普陀区民政局
        2025年7月10日
        联系人姓名:朱翔
        联系电话：52564588-1318
        （此件公开发布）",
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("the opinion parses");
    let reply = reply_of(&parsed);
    assert_eq!(reply.warnings, vec![]);
    assert_eq!(
        reply.id, "shpt:197298",
        "no doc number: the portal's item id"
    );
    assert_eq!(reply.title, title);
    assert_eq!(reply.doc_number, None);
    assert_eq!(reply.issuer_banner, None);
    assert_eq!(reply.issuer.as_deref(), Some("上海市普陀区民政局"));
    assert_eq!(reply.signatory.as_deref(), Some("上海市普陀区民政局"));
    assert_eq!(reply.addressee.as_deref(), Some("真如镇街道"));
    assert_eq!(reply.reply_kind, Some(ReplyKind::CoHandlingOpinion));
    let result = reply.handling_result.as_ref().expect("a handling result");
    assert_eq!(result.raw, "部分采纳");
    assert_eq!(result.category, Some(HandlingCategory::PartiallyAdopted));
    let p = &reply.proposal;
    assert_eq!(p.kind, Some(ProposalKind::MemberProposal));
    assert_eq!(p.level, Some(Level::District));
    assert_eq!(p.meeting.as_deref(), Some("区政协十五届五次会议"));
    assert_eq!((p.term, p.session), (Some(15), Some(5)));
    assert_eq!(p.number.as_deref(), Some("142072"));
    assert_eq!(p.subject.as_deref(), Some("关于加强社区养老服务的建议"));
    assert_eq!(p.proposers, vec!["夏海萍"]);
    assert_eq!(p.co_proposers, None);
    assert_eq!(reply.signed_on, NaiveDate::from_ymd_opt(2025, 7, 10));
    assert_eq!(reply.published_on, NaiveDate::from_ymd_opt(2025, 7, 16));
    let contact = reply.contact.as_ref().expect("a contact block");
    assert_eq!(contact.name.as_deref(), Some("朱翔"));
    assert_eq!(contact.phone.as_deref(), Some("52564588-1318"));
    assert_eq!(contact.address, None);
    assert_eq!(reply.notes, vec!["（此件公开发布）"]);
    let sections = &reply.body.sections;
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0].heading, None);
    assert_eq!(
        sections[0].paragraphs,
        vec![
            "夏海萍委员提出的《关于加强社区养老服务的建议》提案收悉。经研究，现提出会办意见如下："
        ]
    );
    assert_eq!(sections[1].heading.as_deref(), Some("一、关于养老服务设施"));
    assert_eq!(
        sections[1].paragraphs,
        vec![
            "我局将会同街道加快推进社区养老服务设施建设。",
            "以上意见供你单位统一答复代表时参考。"
        ]
    );
}

#[test]
fn a_follow_up_reply_to_a_member_with_co_signers_is_read() {
    let title = "对区十五届政协五次会议第150123号提案的再次答复";
    let page = page_of(
        &Layout {
            h1: Some(title),
            ..Layout::default()
        },
        "普卫健委〔2025〕12号
        对区十五届政协五次会议第150123号提案的再次答复
        毛文采委员：
        您与其他四名普陀区政协委员联名提出的《关于优化社区卫生服务中心布局的建议》提案收悉，现将跟踪办理情况答复如下：
        我委持续推进社区卫生服务中心标准化建设。
        感谢您对卫生健康工作的关心。
        上海市普陀区卫生健康委员会
        2026年07月03日",
    );
    let parsed = parse_page(&page, &shpt_profile()).expect("the reply parses");
    let reply = reply_of(&parsed);
    assert_eq!(reply.warnings, vec![]);
    assert_eq!(reply.id, "shpt:普卫健委〔2025〕12号");
    assert_eq!(reply.reply_kind, Some(ReplyKind::FollowUp));
    assert_eq!(reply.handling_result, None);
    let p = &reply.proposal;
    assert_eq!(p.meeting.as_deref(), Some("区十五届政协五次会议"));
    assert_eq!(p.kind, Some(ProposalKind::MemberProposal));
    assert_eq!(p.proposers, vec!["毛文采"]);
    assert_eq!(p.co_proposers, Some(4));
    assert_eq!(reply.signed_on, NaiveDate::from_ymd_opt(2026, 7, 3));
    assert_eq!(reply.body.sections.len(), 1);
    assert_eq!(reply.body.sections[0].paragraphs.len(), 3);
}

#[test]
fn an_unknown_handling_result_keeps_its_words_and_is_reported() {
    let all: Vec<String> = real_lines()
        .into_iter()
        .map(|l| {
            if l.starts_with("办理结果") {
                "办理结果：另行研究".to_string()
            } else {
                l
            }
        })
        .collect();
    let title = real_title(&all);
    let html = render(
        &Layout {
            h1: Some(&title),
            ..Layout::default()
        },
        &all,
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the reply parses");
    let reply = reply_of(&parsed);
    let result = reply.handling_result.as_ref().expect("a handling result");
    assert_eq!(result.raw, "另行研究");
    assert_eq!(result.category, None);
    assert_eq!(
        reply
            .warnings
            .iter()
            .map(|w| w.field.as_str())
            .collect::<Vec<_>>(),
        vec!["handling_result.category"]
    );
}

#[test]
fn a_reply_missing_its_signature_says_so() {
    let all: Vec<String> = real_lines()
        .into_iter()
        .filter(|l| l != "2022年8月8日" && l != "上海市普陀区人民政府")
        .collect();
    let title = real_title(&all);
    let html = render(
        &Layout {
            h1: Some(&title),
            ..Layout::default()
        },
        &all,
    );
    let page = raw_page(html.into_bytes(), Some("text/html; charset=utf-8"));
    let parsed = parse_page(&page, &shpt_profile()).expect("the reply parses");
    let reply = reply_of(&parsed);
    assert_eq!(reply.signed_on, None);
    assert_eq!(reply.signatory, None);
    let fields: Vec<&str> = reply.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, vec!["signed_on", "signatory"]);
    // The body still ends with the closing courtesy, not with the tail.
    let last = reply.body.sections.last().and_then(|s| s.paragraphs.last());
    assert_eq!(
        last.map(String::as_str),
        Some("感谢您对普陀区推进中以（上海）创新园工作的大力支持。")
    );
    assert_eq!(reply.cc.len(), 2);
    assert_eq!(reply.printed_on, NaiveDate::from_ymd_opt(2022, 8, 8));
}

#[test]
fn an_invalid_profile_selector_is_an_error_naming_it() {
    let mut profile = shpt_profile();
    profile.detail.body = vec!["div[".into()];
    let page = raw_page(real_page_html().into_bytes(), Some("text/html"));
    match parse_page(&page, &profile) {
        Err(ParseError::InvalidSelector { selector, .. }) => assert_eq!(selector, "div["),
        other => panic!("expected an invalid selector error, got {other:?}"),
    }
}
