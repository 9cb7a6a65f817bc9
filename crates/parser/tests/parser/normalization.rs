//! The normalizations the record relies on: doc numbers, dates, Chinese
//! numerals, meetings and titles.

use chrono::NaiveDate;
use govwire_model::{Level, ProposalKind};
use govwire_parser::normalize::*;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

#[test]
fn doc_numbers_take_one_form_whatever_brackets_and_digits_the_page_used() {
    for written in [
        "普府〔2022〕55号",
        "普府[2022]55号",
        "普府（2022）55号",
        "普府(2022)55号",
        "普府〔 2022 〕55号",
        "普府〔２０２２〕５５号",
        "普府﹝2022﹞55号",
        "普府〔2022〕第55号",
        "普府〔2022〕055号",
        "普府【2022】55号",
        "普府［2022］55号",
        " 普府 〔2022〕 55 号 ",
    ] {
        assert_eq!(
            normalize_doc_number(written).as_deref(),
            Some("普府〔2022〕55号"),
            "{written}"
        );
    }
    assert_eq!(
        normalize_doc_number("普绿容〔2019〕44号").as_deref(),
        Some("普绿容〔2019〕44号")
    );
    assert_eq!(
        normalize_doc_number("静府督复〔2018〕1号").as_deref(),
        Some("静府督复〔2018〕1号")
    );
}

#[test]
fn text_that_is_not_a_doc_number_is_refused() {
    for text in [
        "",
        "普府",
        "2022年8月8日",
        "普府〔22〕55号",
        "对市十五届人大六次会议第0184号代表建议的答复",
    ] {
        assert_eq!(normalize_doc_number(text), None, "{text}");
    }
}

#[test]
fn dates_are_read_in_every_form_pages_write_them() {
    assert_eq!(parse_date("2022年8月8日"), date(2022, 8, 8));
    assert_eq!(parse_date("2019年 10月14日"), date(2019, 10, 14));
    assert_eq!(parse_date("2026年07月03日"), date(2026, 7, 3));
    assert_eq!(parse_date("2019-10-14 14:25:49"), date(2019, 10, 14));
    assert_eq!(parse_date("2019-10-14"), date(2019, 10, 14));
    assert_eq!(parse_date("２０２２年８月８日"), date(2022, 8, 8));
    assert_eq!(parse_date("二〇二二年八月八日"), date(2022, 8, 8));
    assert_eq!(parse_date("二○一九年十月十四日"), date(2019, 10, 14));
    // Full-width digits and separators, as word processors write them.
    assert_eq!(
        parse_date("２０１９－１０－１４　１４：２５：４９"),
        date(2019, 10, 14)
    );
    assert_eq!(parse_date("２０１９／１０／１４"), date(2019, 10, 14));
    // As hasty typing writes them: 号 for 日, Chinese month and day after
    // an Arabic year.
    assert_eq!(parse_date("2022年8月8号"), date(2022, 8, 8));
    assert_eq!(parse_date("2022年十二月八日"), date(2022, 12, 8));
    assert_eq!(parse_date("2022年十二月八号"), date(2022, 12, 8));
}

#[test]
fn impossible_or_partial_dates_are_refused() {
    assert_eq!(parse_date("2022年2月30日"), None);
    assert_eq!(parse_date("2022-13-01"), None);
    assert_eq!(parse_date("2022年8月"), None);
    assert_eq!(parse_date("2022年8月8日印发"), None);
}

#[test]
fn a_date_is_found_inside_a_line() {
    let line = "2025年07月16日 来源: 上海普陀";
    let m = find_date(line).expect("a date");
    assert_eq!(m.date, NaiveDate::from_ymd_opt(2025, 7, 16).expect("valid"));
    assert_eq!(&line[m.start..m.end], "2025年07月16日");
}

#[test]
fn chinese_numerals_become_numbers() {
    for (text, n) in [
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("二十一", 21),
        ("六", 6),
        ("十四", 14),
        ("一百零五", 105),
        ("15", 15),
        ("１６", 16),
        ("两", 2),
    ] {
        assert_eq!(parse_chinese_number(text), Some(n), "{text}");
    }
    for text in ["", "十十", "一二", "百", "届", "99999999999"] {
        assert_eq!(parse_chinese_number(text), None, "{text}");
    }
}

#[test]
fn meetings_are_read_however_they_are_written() {
    let cases = [
        (
            "对市十五届人大六次会议 第0184号代表建议的答复",
            "市十五届人大六次会议",
            Level::Municipal,
            ProposalKind::DeputySuggestion,
            15,
            6,
        ),
        (
            "区政协十五届五次会议",
            "区政协十五届五次会议",
            Level::District,
            ProposalKind::MemberProposal,
            15,
            5,
        ),
        (
            "区十五届政协五次会议",
            "区十五届政协五次会议",
            Level::District,
            ProposalKind::MemberProposal,
            15,
            5,
        ),
        (
            "关于普陀区政协第十四届二次会议第142072号提案的答复",
            "普陀区政协第十四届二次会议",
            Level::District,
            ProposalKind::MemberProposal,
            14,
            2,
        ),
        (
            "市十五届人大一次会议",
            "市十五届人大一次会议",
            Level::Municipal,
            ProposalKind::DeputySuggestion,
            15,
            1,
        ),
        (
            "区十六届人大六次会议",
            "区十六届人大六次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            6,
        ),
        (
            "市政协十四届一次会议",
            "市政协十四届一次会议",
            Level::Municipal,
            ProposalKind::MemberProposal,
            14,
            1,
        ),
        (
            "上海市第十五届人民代表大会第六次会议",
            "上海市第十五届人民代表大会第六次会议",
            Level::Municipal,
            ProposalKind::DeputySuggestion,
            15,
            6,
        ),
        (
            "区 十六届 人大 四次 会议",
            "区十六届人大四次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            4,
        ),
    ];
    for (text, meeting, level, kind, term, session) in cases {
        let m = parse_meeting(text).unwrap_or_else(|| panic!("no meeting in {text}"));
        assert_eq!(m.text, meeting, "{text}");
        assert_eq!(m.level, Some(level), "{text}");
        assert_eq!(m.kind, Some(kind), "{text}");
        assert_eq!(m.term, Some(term), "{text}");
        assert_eq!(m.session, Some(session), "{text}");
        assert!(!m.standing_committee, "{text}");
    }
    assert_eq!(parse_meeting("关于开展建议提案办理工作的通知"), None);
}

#[test]
fn meetings_are_read_with_the_place_after_the_term_or_without_the_word_meeting() {
    let cases = [
        (
            "对区十六届人大三次第0184号代表建议的答复",
            "区十六届人大三次",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            3,
        ),
        (
            "十六届区人大三次会议",
            "十六届区人大三次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            3,
        ),
        (
            "第十六届区人大第三次会议",
            "第十六届区人大第三次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            3,
        ),
        (
            "十五届市政协一次会议",
            "十五届市政协一次会议",
            Level::Municipal,
            ProposalKind::MemberProposal,
            15,
            1,
        ),
        (
            "区政协十五届五次全会",
            "区政协十五届五次全会",
            Level::District,
            ProposalKind::MemberProposal,
            15,
            5,
        ),
        (
            "区政协第十五届第五次全体会议",
            "区政协第十五届第五次全体会议",
            Level::District,
            ProposalKind::MemberProposal,
            15,
            5,
        ),
        (
            "区16届人大3次会议",
            "区16届人大3次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            3,
        ),
        (
            "区１６届人大３次会议",
            "区１６届人大３次会议",
            Level::District,
            ProposalKind::DeputySuggestion,
            16,
            3,
        ),
        (
            "中国人民政治协商会议上海市普陀区第十五届委员会第五次会议",
            "中国人民政治协商会议上海市普陀区第十五届委员会第五次会议",
            Level::District,
            ProposalKind::MemberProposal,
            15,
            5,
        ),
    ];
    for (text, meeting, level, kind, term, session) in cases {
        let m = parse_meeting(text).unwrap_or_else(|| panic!("no meeting in {text}"));
        assert_eq!(m.text, meeting, "{text}");
        assert_eq!(m.level, Some(level), "{text}");
        assert_eq!(m.kind, Some(kind), "{text}");
        assert_eq!(m.term, Some(term), "{text}");
        assert_eq!(m.session, Some(session), "{text}");
        assert!(!m.standing_committee, "{text}");
    }
    // Without 会议, only a named body makes `…届…次` a meeting.
    assert_eq!(parse_meeting("第十五届第五次"), None);
}

#[test]
fn a_standing_committee_meeting_is_flagged_as_such() {
    for text in [
        "区十六届人大常委会第三次会议",
        "上海市普陀区第十六届人民代表大会常务委员会第三次会议",
        "区政协十五届常委会第八次会议",
    ] {
        let m = parse_meeting(text).unwrap_or_else(|| panic!("no meeting in {text}"));
        assert_eq!(m.text, text);
        assert!(m.standing_committee, "{text}");
        assert_eq!(m.level, Some(Level::District), "{text}");
    }
}

#[test]
fn titles_lose_whitespace_between_cjk_characters_only() {
    assert_eq!(
        normalize_title("对市十五届人大六次会议 第0184号代表建议的答复"),
        "对市十五届人大六次会议第0184号代表建议的答复"
    );
    assert_eq!(normalize_title("  关于\u{3000}养老  服务 "), "关于养老服务");
    assert_eq!(normalize_title("关于 5G 基站的答复"), "关于 5G 基站的答复");
}
