//! Tests of reading a document's structure from its lines.

#[test]
fn a_decimal_at_the_start_of_a_line_continues_the_sentence_before_it() {
    let body = lines(
        "一、工作推进情况
         园区产值较开园时增长
         2.5倍，税收增长近三成。
         2. 加大金融支持力度。",
    );
    let sections = sections_of(body.clone());
    assert_eq!(
        sections[0].paragraphs,
        vec![
            "园区产值较开园时增长2.5倍，税收增长近三成。".to_string(),
            "2. 加大金融支持力度。".to_string()
        ]
    );
    assert!(!is_item("2.5倍") && is_item("2. 加大") && is_item("2.加大") && is_item("12、加大"));
}

#[test]
fn a_heading_cut_by_a_page_break_takes_its_end_back() {
    let body = lines(
        "一、工作推进
         情况
         中以（上海）创新园开园以来，园区持续发力。
         二、下一步
         工作安排：
         一是加强协调。",
    );
    let sections = sections_of(body.clone());
    assert_eq!(sections[0].heading.as_deref(), Some("一、工作推进情况"));
    assert_eq!(
        sections[0].paragraphs,
        vec!["中以（上海）创新园开园以来，园区持续发力。".to_string()]
    );
    // Not a few characters of text: left as it was.
    assert_eq!(sections[1].heading.as_deref(), Some("二、下一步"));
}

#[test]
fn a_line_can_end_with_a_date_only_if_its_end_is_written_as_one() {
    for line in [
        "2022年8月8日",
        "上海市普陀区人民政府 2022 年 8 月 8 日",
        "二〇二二年八月八日",
        "2019-10-14",
        "２０１９－１０－１４　１４：２５：４９",
        "2019/10/14T14:25",
    ] {
        assert!(crate::normalize::may_end_with_a_whole_date(line), "{line}");
    }
    for line in [
        "联系电话：52564588-1318",
        "邮政编码：200333",
        "第0184号",
        "共5家企业入驻",
    ] {
        assert!(!crate::normalize::may_end_with_a_whole_date(line), "{line}");
    }
}

#[test]
fn every_label_starts_with_a_character_the_label_check_looks_for() {
    for name in LABEL_NAMES.split('|') {
        assert!(
            name.starts_with(['办', '公', '索', '主', '成', '发', '文', '信', '签']),
            "{name}"
        );
        assert!(name.chars().count() <= MAX_LABEL_CHARS, "{name}");
        assert!(colon_within(&format!("{name} ：x"), MAX_LABEL_CHARS));
    }
    for name in [
        "联系人姓名",
        "联系人",
        "联系电话",
        "联系方式",
        "联系地址",
        "邮政编码",
        "邮编",
        "电话",
        "地址",
    ] {
        assert!(name.chars().count() <= MAX_CONTACT_LABEL_CHARS, "{name}");
    }
    assert!(!colon_within("主要工作情况如下：", MAX_LABEL_CHARS));
}

use super::addressee::*;
use super::body::*;
use super::head::*;
use super::label_lines::*;
use super::labels::*;
use super::tail::*;
use super::*;

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_paragraph_split_by_a_page_break_is_joined_without_a_space() {
    let s = sections_of(lines(
        "一、标题\n园区主体已获\n张江专项支持。\n（一）加强领导\n区政府高度重视。",
    ));
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].paragraphs,
        vec![
            "园区主体已获张江专项支持。",
            "（一）加强领导",
            "区政府高度重视。"
        ]
    );
}

#[test]
fn a_heading_with_text_is_split_after_its_first_sentence() {
    assert_eq!(
        as_heading("一、加强组织领导。区政府高度重视，成立了领导小组。"),
        Some((
            "一、加强组织领导。".to_string(),
            Some("区政府高度重视，成立了领导小组。".to_string())
        ))
    );
    assert_eq!(
        as_heading("一、工作推进情况"),
        Some(("一、工作推进情况".into(), None))
    );
    assert_eq!(
        as_heading("一、我区高度重视此项工作，多次召开专题会议研究推进，取得了明显成效。"),
        None
    );
}

#[test]
fn addressees_name_a_person_or_a_unit() {
    assert_eq!(addressee_of("许鸿蕨代表：").as_deref(), Some("许鸿蕨代表"));
    assert_eq!(addressee_of("真如镇街道：").as_deref(), Some("真如镇街道"));
    assert_eq!(addressee_of("现将办理情况答复如下："), None);
    assert_eq!(addressee_of("办理结果："), None);
}

#[test]
fn head_marks_and_separators_are_recognised() {
    for mark in [
        "000123",
        "份号：000123",
        "特急",
        "加急",
        "000035　平急",
        "机密★1年",
        "秘密 特急",
    ] {
        assert!(is_head_mark(mark), "`{mark}`");
    }
    for line in [
        "普府〔2022〕55号",
        "上海市普陀区人民政府",
        "特急件处理情况",
        "1234567890",
    ] {
        assert!(!is_head_mark(line), "`{line}`");
    }
    assert!(is_separator("━━━━━━━━"));
    assert!(is_separator(" ★ "));
    assert!(!is_separator(""));
    assert!(!is_separator("一、工作推进情况"));
}

#[test]
fn a_doc_number_is_joined_over_lines_only_at_its_brackets() {
    let l = lines("普绿容\n〔2019〕\n44号");
    assert_eq!(doc_number_at(&l, 0), Some((3, "普绿容〔2019〕44号".into())));
    let l = lines("普绿容〔2019〕\n44号");
    assert_eq!(doc_number_at(&l, 0), Some((2, "普绿容〔2019〕44号".into())));
    let l = lines("普绿容\n〔2019〕44号");
    assert_eq!(doc_number_at(&l, 0), Some((2, "普绿容〔2019〕44号".into())));
    for head in [
        "上海市普陀区人民政府\n普府〔2022〕55号",
        "上海市普陀区人民政府文件\n普府〔2022〕55号",
        "特急\n上海市普陀区人民政府文件\n普府〔2022〕55号",
    ] {
        assert_eq!(doc_number_at(&lines(head), 0), None, "{head}");
    }
    assert_eq!(
        doc_number_at(&lines("普府〔2022〕55號"), 0),
        Some((1, "普府〔2022〕55号".into()))
    );
}

#[test]
fn unreadable_doc_numbers_are_told_from_titles() {
    assert!(looks_like_doc_number("普府2022年55号"));
    assert!(looks_like_doc_number("普府〔2022年〕55号"));
    assert!(!looks_like_doc_number("关于对市十五届人大六次会议第0184号"));
    assert!(!looks_like_doc_number("普府〔2022〕55号，现予印发。"));
}

#[test]
fn a_title_broken_over_lines_is_joined_when_it_then_ends_as_a_title() {
    let l = lines("关于对市十五届人大六次会议第0184号代表建议\n的答复\n许鸿蕨代表：");
    assert_eq!(
        title_at(&l, 0),
        Some((2, "关于对市十五届人大六次会议第0184号代表建议的答复".into()))
    );
    let l = lines("关于区政协十五届四次会议\n第154106号提案的答复");
    assert_eq!(
        title_at(&l, 0),
        Some((2, "关于区政协十五届四次会议第154106号提案的答复".into()))
    );
    let l = lines("对市十五届人大六次会议第0184号代表建议的答复\n许鸿蕨代表：");
    assert_eq!(
        title_at(&l, 0),
        Some((1, "对市十五届人大六次会议第0184号代表建议的答复".into()))
    );
    let l = lines("2025年07月16日\n关于区政协十五届四次会议第154106号提案的答复");
    assert_eq!(title_at(&l, 0), None);
    let l = lines("关于加强社区养老服务的建议\n2025年07月16日 来源: 上海普陀");
    assert_eq!(
        title_at(&l, 0),
        Some((1, "关于加强社区养老服务的建议".into()))
    );
}

#[test]
fn date_and_source_lines_are_read_in_every_order() {
    let july16 = NaiveDate::from_ymd_opt(2025, 7, 16);
    for line in [
        "2025年07月16日",
        "2025年07月16日 来源: 上海普陀",
        "2025年07月16日 10:30 来源: 上海普陀",
        "2025年07月16日 10:30:05",
        "来源：上海普陀 2025年07月16日",
        "信息来源：上海普陀　发布时间：2025-07-16",
    ] {
        assert_eq!(date_source_line(line), Some(july16), "`{line}`");
    }
    assert_eq!(date_source_line("来源: 上海普陀"), Some(None));
    assert_eq!(date_source_line("2025年07月16日区政府召开常务会议"), None);
    assert_eq!(date_source_line("许鸿蕨代表："), None);
    assert_eq!(skip_time(" 10:30 来源"), " 来源");
    assert_eq!(skip_time(" 10时30分"), " 10时30分");
}

#[test]
fn long_headings_without_sentence_punctuation_stay_headings() {
    let long = "一、关于加快推进中以（上海）创新园建设与张江高新区普陀园联动发展方面的工作推进情况";
    assert_eq!(as_heading(long), Some((long.to_string(), None)));
    let long_sentence =
        "一、关于加快推进中以（上海）创新园建设与张江高新区普陀园联动发展方面的工作推进情况。";
    assert_eq!(as_heading(long_sentence), None);
    let too_long = format!("一、{}", "园".repeat(MAX_HEADING_CHARS));
    assert_eq!(as_heading(&too_long), None);
}

#[test]
fn table_rows_are_paragraphs_of_their_own() {
    let body = vec![
        "表1 重点项目扶持情况".to_string(),
        "序号\t项目名称\t扶持金额（万元）".to_string(),
        "1\t孵化器二期\t500".to_string(),
        "2\t联合研发计划\t300".to_string(),
        "园区主体已获".to_string(),
        "张江专项支持。".to_string(),
    ];
    let s = sections_of(body.clone());
    assert_eq!(s.len(), 1);
    assert_eq!(
        s[0].paragraphs,
        vec![
            "表1 重点项目扶持情况",
            "序号\t项目名称\t扶持金额（万元）",
            "1\t孵化器二期\t500",
            "2\t联合研发计划\t300",
            "园区主体已获张江专项支持。",
        ]
    );
    let s = sections_of(vec!["一、项目\t金额".to_string()]);
    assert_eq!(s[0].heading, None);
}

#[test]
fn joint_signatories_keep_the_lead_organ_and_leave_the_body() {
    let doc = read_document(
        lines(
            "许鸿蕨代表：\n感谢您的支持。\n上海市普陀区发展和改革委员会\n上海市普陀区科学技术委员会\n2022年8月8日",
        ),
        None,
    );
    assert_eq!(
        doc.signatory.as_deref(),
        Some("上海市普陀区发展和改革委员会")
    );
    assert_eq!(doc.sections[0].paragraphs, vec!["感谢您的支持。"]);
    assert_eq!(doc.warnings.len(), 1);
    assert_eq!(doc.warnings[0].field, "signatory");

    let doc = read_document(
        lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区民政局　上海市普陀区财政局\n2022年8月8日"),
        None,
    );
    assert_eq!(doc.signatory.as_deref(), Some("上海市普陀区民政局"));
    assert!(doc.warnings[0].message.contains("`上海市普陀区财政局`"));
    assert_eq!(doc.sections[0].paragraphs, vec!["感谢您的支持。"]);

    let doc = read_document(
        lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区人民政府\n2022年8月8日"),
        None,
    );
    assert_eq!(doc.signatory.as_deref(), Some("上海市普陀区人民政府"));
    assert!(doc.warnings.is_empty());

    let doc = read_document(
        lines("许鸿蕨代表：\n感谢您的支持。\n上海市普陀区人民政府 办公室\n2022年8月8日"),
        None,
    );
    assert_eq!(
        doc.signatory.as_deref(),
        Some("上海市普陀区人民政府 办公室")
    );
    assert!(doc.warnings.is_empty());
}

#[test]
fn a_bare_label_takes_the_next_line_as_its_value() {
    let l = lines("办理结果\n部分采纳\n许鸿蕨代表：");
    assert_eq!(
        labels_at(&l, 0),
        Some((vec![(Label::HandlingResult, "部分采纳".to_string())], 2))
    );
    let l = lines("办理结果\n许鸿蕨代表：");
    assert_eq!(labels_at(&l, 0), None);
}

#[test]
fn contact_lines_with_several_labels_fill_several_fields() {
    let mut c = Contact::default();
    read_contact("（联系人：张家骥，联系电话：52564588-1318）", &mut c);
    assert_eq!(c.name.as_deref(), Some("张家骥"));
    assert_eq!(c.phone.as_deref(), Some("52564588-1318"));
}

#[test]
fn the_disclosure_vocabulary_knows_labels_read_and_unread_with_spaces_inside() {
    for name in [
        "索引号",
        "索取号",
        "发文字号",
        "文号",
        "发布机构",
        "公开主体",
        "主题分类",
        "成文日期",
        "生成日期",
        "发布日期",
        "公开属性",
        "公开方式",
        "来 源",
        "体裁分类",
        "公开范围",
        "有效性",
        "索 引 号",
    ] {
        assert!(is_disclosure_label(name), "{name}");
    }
    assert_eq!(label_of("生成日期"), Some(Label::SignedOn));
    assert_eq!(label_of("文 号"), Some(Label::DocNumber));
    assert_eq!(label_of("来源"), None);
    for name in ["信息类别", "备注", "地址", "主办", "分享", ""] {
        assert!(!is_disclosure_label(name), "{name}");
    }
}
