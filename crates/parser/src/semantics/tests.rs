//! Tests of what a reply is about.

use super::answers::*;
use super::proposal::*;
use super::*;
use govwire_model::ProposalKind;

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
        unquoted_subject("您与其他 4 名委员联名提出的关于加强社区养老服务的提案收悉").as_deref(),
        Some("关于加强社区养老服务的提案")
    );
    assert_eq!(unquoted_subject("您提出的建议收悉"), None);
    assert_eq!(
        number_in("《关于加强社区养老服务的建议》（编号：16020）收悉").as_deref(),
        Some("16020")
    );
}
