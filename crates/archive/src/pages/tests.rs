//! The renderers on synthetic records: the real reply laid out as a
//! document, and a hostile record whose every string shows as text.

use chrono::{TimeZone, Utc};
use govwire_model::{
    Attachment, HandlingCategory, HandlingResult, Reply, ReplyId, Section, Warning,
};
use govwire_store::{ArchiveStatus, ArchivedReply, VersionMeta};

use super::*;

const HOSTILE_TITLE: &str = "<script>alert(1)</script>";
const HOSTILE_IMG: &str = "<img src=x onerror=alert(1)>";

fn real() -> Reply {
    let mut r: Reply = serde_json::from_str(include_str!(
        "../../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .expect("the real reply's record deserializes");
    r.version = 1;
    r.url = Some("https://www.shpt.gov.cn/shpt/a/20220810/1.html".into());
    r.content_sha256 = r.compute_content_sha256();
    r
}

fn version_meta(version: u32) -> VersionMeta {
    VersionMeta {
        version,
        content_sha256: format!("{version:064x}"),
        event_id: format!("event-{version}"),
        event_type: if version == 1 {
            "govwire.reply.published".into()
        } else {
            "govwire.reply.updated".into()
        },
        received_at: Utc.with_ymd_and_hms(2022, 8, 9, 2, 0, 0).unwrap(),
    }
}

fn archived(current: Reply, versions: u32) -> ArchivedReply {
    ArchivedReply {
        current,
        versions: (1..=versions).map(version_meta).collect(),
        status: ArchiveStatus::Active,
        status_changed_at: None,
    }
}

/// A record whose strings are markup, quotes and script URLs.
fn hostile() -> Reply {
    let mut r = real();
    r.id = ReplyId::from(format!("shpt:{HOSTILE_TITLE}"));
    r.title = HOSTILE_TITLE.into();
    r.doc_number = Some("<b>普府〔2022〕55号</b>".into());
    r.issuer_banner = Some("</style><script>alert(2)</script>".into());
    r.addressee = Some("\"><script>alert(3)</script>".into());
    r.body.sections[0].paragraphs[0] = "他说：\"quotes\" & <i>斜体</i>".into();
    r.body.sections[1].heading = Some(HOSTILE_IMG.into());
    r.url = Some("javascript:alert(1)".into());
    r.urls = vec![
        "javascript:alert(1)".into(),
        "JAVASCRIPT:alert(4)".into(),
        "https://example.org/\"onmouseover=\"alert(5)".into(),
    ];
    r.attachments = vec![Attachment {
        name: HOSTILE_IMG.into(),
        url: "javascript:alert(6)".into(),
        sha256: Some("<svg onload=alert(7)>".into()),
        text: Some("</pre><script>alert(8)</script>".into()),
    }];
    r.warnings = vec![Warning::new("<field>", "<script>alert(9)</script>")];
    r.cc = vec!["<u>市政府办公厅</u>".into()];
    r.handling_result = Some(HandlingResult {
        raw: "<s>解决采纳</s>".into(),
        category: Some(HandlingCategory::Adopted),
    });
    r
}

/// Every `href` value in `html`.
fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap_or(rest.len())])
        .collect()
}

/// What every page of a hostile record must not contain.
fn assert_inert(html: &str) {
    for raw in [
        "<script", "<img", "<svg", "<i>", "<b>", "<u>", "<s>", "<field>",
    ] {
        assert!(!html.contains(raw), "{raw} written unescaped");
    }
    for href in hrefs(html) {
        let lower = href.to_ascii_lowercase();
        assert!(
            lower.starts_with('/')
                || lower.starts_with('#')
                || lower.starts_with("http://")
                || lower.starts_with("https://"),
            "a link to {href}"
        );
        assert!(!lower.contains("javascript:"), "a link to {href}");
        assert!(!href.contains(' '), "an attribute broken out of: {href}");
    }
}

#[test]
fn the_reply_page_lays_out_the_document_as_it_reads_on_paper() {
    let r = real();
    let html = render_reply(&archived(r.clone(), 1), &r);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    let order = [
        "上海市普陀区人民政府文件",
        "普府〔2022〕55号",
        "对市十五届人大六次会议第0184号代表建议的答复",
        "许鸿蕨代表：",
        "您提出的“关于进一步加大",
        "一、工作推进情况",
        "感谢您对普陀区推进",
        "2022年8月8日",
        "联系人：张家骥；联系电话：52564588-1318",
        "抄送：市政府办公厅建议提案处，市人大常委会代表工作委员会。",
        "上海市普陀区人民政府办公室",
        "公开信息",
        "解决采纳",
        "所答复的建议或提案",
        "人大代表建议",
        "市级",
        "来源",
        "版本",
    ];
    let mut at = 0;
    for text in order {
        let found = html[at..]
            .find(text)
            .unwrap_or_else(|| panic!("{text} is missing or out of order"));
        at += found + text.len();
    }
    assert!(html.contains("<span class=\"badge active\" id=\"status\">公开中</span>"));
    assert!(html.contains("<a href=\"https://www.shpt.gov.cn/shpt/a/20220810/1.html\""));
    assert!(!html.contains("<script"));
}

#[test]
fn the_reply_page_links_every_version_and_each_comparison() {
    let mut r = real();
    r.version = 3;
    let mut a = archived(r.clone(), 3);
    a.status = ArchiveStatus::Withdrawn;
    a.status_changed_at = Some(Utc.with_ymd_and_hms(2023, 1, 2, 3, 4, 0).unwrap());
    let mut old = r.clone();
    old.version = 2;
    let html = render_reply(&a, &old);
    let id = "shpt%3A%E6%99%AE%E5%BA%9C%E3%80%942022%E3%80%9555%E5%8F%B7";
    assert!(html.contains(&format!("href=\"/reply/{id}?version=1\"")));
    assert!(html.contains("<strong>第 2 版</strong>（当前查看）"));
    assert!(html.contains(&format!("href=\"/reply/{id}?version=3\"")));
    assert!(html.contains(&format!("href=\"/reply/{id}/diff?from=1&amp;to=2\"")));
    assert!(html.contains(&format!("href=\"/reply/{id}/diff?from=2&amp;to=3\"")));
    assert!(
        html.contains("id=\"old-version\""),
        "an old version says so"
    );
    assert!(html.contains("已撤回"));
    assert!(html.contains("2023-01-02 11:04"));
}

#[test]
fn a_hostile_record_shows_as_text_on_the_reply_page() {
    let r = hostile();
    let html = render_reply(&archived(r.clone(), 1), &r);
    assert_inert(&html);
    assert!(html.contains("<h1 id=\"title\">&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    assert!(html.contains("他说：&quot;quotes&quot; &amp; &lt;i&gt;斜体&lt;/i&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(html.contains("javascript:alert(1)"), "shown, as text");
    assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(8)&lt;/script&gt;"));
    assert!(html.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt; · "));
}

#[test]
fn a_hostile_record_shows_as_text_in_the_list_and_the_comparison() {
    let r = hostile();
    let mut view = ListView {
        rows: vec![ListRow {
            reply_id: r.id.to_string(),
            title: r.title.clone(),
            doc_number: r.doc_number.clone(),
            addressee: r.addressee.clone(),
            handling_result: r.handling_result.clone(),
            published_on: r.published_on,
            status: ArchiveStatus::Active,
            snippet: None,
        }],
        total: 1,
        filters: ListFilters {
            q: Some("\"><script>alert(10)</script>".into()),
            meeting: Some(HOSTILE_IMG.into()),
            result: Some("<b>x</b>".into()),
            ..Default::default()
        },
        next_page: Some("/?q=%22".into()),
        first_page: None,
    };
    view.rows[0].snippet = Some(Snippet {
        before: "<i>前".into(),
        matched: "<b>电梯</b>".into(),
        after: "后<u>".into(),
    });
    let html = render_list(&view);
    assert_inert(&html);
    assert!(html.contains("<mark>&lt;b&gt;电梯&lt;/b&gt;</mark>"));
    assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(10)&lt;/script&gt;\""));

    let mut new = r.clone();
    new.version = 2;
    new.title = format!("{HOSTILE_TITLE}<script>alert(11)</script>");
    new.body.sections[0].paragraphs[0].push_str("<script>alert(12)</script>");
    new.cc.push(HOSTILE_IMG.into());
    let html = render_diff(&r, &new);
    assert_inert(&html);
    assert!(html.contains("<ins>&lt;script&gt;alert(12)&lt;/script&gt;</ins>"));
}

fn row(id: &str, title: &str) -> ListRow {
    ListRow {
        reply_id: id.into(),
        title: title.into(),
        doc_number: Some("普府〔2022〕55号".into()),
        addressee: Some("许鸿蕨代表".into()),
        handling_result: Some(HandlingResult {
            raw: "A类（解决采纳）".into(),
            category: Some(HandlingCategory::Adopted),
        }),
        published_on: chrono::NaiveDate::from_ymd_opt(2022, 8, 10),
        status: ArchiveStatus::Withdrawn,
        snippet: Some(Snippet {
            before: "关于".into(),
            matched: "加装电梯".into(),
            after: "的建议".into(),
        }),
    }
}

#[test]
fn the_list_refills_the_form_and_labels_the_vocabularies_in_chinese() {
    let view = ListView {
        rows: vec![row("shpt:1", "关于加装电梯的答复")],
        total: 120,
        filters: ListFilters {
            q: Some("加装电梯".into()),
            result: Some("adopted".into()),
            reply_kind: Some("follow_up".into()),
            proposal_kind: Some("member_proposal".into()),
            proposal_level: Some("district".into()),
            meeting: Some("区十五届政协五次会议".into()),
            addressee: Some("许鸿蕨代表".into()),
            issuer: Some("上海市普陀区教育局".into()),
            from: Some("2022-01-01".into()),
            to: Some("2022-12-31".into()),
            status: Some("withdrawn".into()),
            portal: Some("shpt".into()),
        },
        next_page: Some("/?q=x&offset=50".into()),
        first_page: None,
    };
    let html = render_list(&view);
    for selected in [
        "<option value=\"adopted\" selected>解决采纳</option>",
        "<option value=\"follow_up\" selected>再次答复（跟踪办理）</option>",
        "<option value=\"member_proposal\" selected>政协委员提案</option>",
        "<option value=\"district\" selected>区级</option>",
        "<option value=\"withdrawn\" selected>已撤回</option>",
    ] {
        assert!(html.contains(selected), "{selected}");
    }
    for option in [
        "部分采纳",
        "列入计划解决",
        "留作参考",
        "因条件限制无法解决",
        "会办意见",
        "人大代表建议",
        "市级",
        "公开中",
    ] {
        assert!(html.contains(&format!(">{option}</option>")), "{option}");
    }
    for value in [
        "name=\"q\" value=\"加装电梯\"",
        "name=\"meeting\" value=\"区十五届政协五次会议\"",
        "name=\"addressee\" value=\"许鸿蕨代表\"",
        "name=\"issuer\" value=\"上海市普陀区教育局\"",
        "name=\"from\" value=\"2022-01-01\"",
        "name=\"to\" value=\"2022-12-31\"",
        "name=\"portal\" value=\"shpt\"",
    ] {
        assert!(html.contains(value), "{value}");
    }
    assert!(html.contains("共 120 件"));
    assert!(html.contains("<a href=\"/reply/shpt%3A1\">关于加装电梯的答复</a>"));
    assert!(html.contains("…关于<mark>加装电梯</mark>的建议…"));
    assert!(html.contains("A类（解决采纳）<br><span class=\"badge cat\">解决采纳</span>"));
    assert!(html.contains("2022年8月10日"));
    assert!(html.contains("<a href=\"/?q=x&amp;offset=50\" rel=\"next\">下一页 »</a>"));
    assert!(!html.contains("没有找到符合条件的答复"));
}

#[test]
fn an_empty_list_says_nothing_was_found() {
    let html = render_list(&ListView::default());
    assert!(html.contains("没有找到符合条件的答复"));
    assert!(html.contains("共 0 件"));
    assert!(!html.contains("下一页"));
    assert!(html.contains("<option value=\"\">全部</option>"));
}

#[test]
fn filters_carry_over_to_the_next_page_percent_encoded() {
    let filters = ListFilters {
        q: Some("电梯 & 楼道".into()),
        proposal_level: Some("district".into()),
        meeting: Some("  ".into()),
        ..Default::default()
    }
    .normalized();
    assert_eq!(filters.meeting, None);
    assert_eq!(
        filters.query_string(),
        "q=%E7%94%B5%E6%A2%AF%20%26%20%E6%A5%BC%E9%81%93&proposal_level=district"
    );
    assert!(!ListFilters::default().any());
}

#[test]
fn the_comparison_lists_each_changed_field_and_marks_the_body() {
    let old = real();
    let mut new = old.clone();
    new.version = 2;
    new.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    new.body.sections[1]
        .paragraphs
        .insert(1, "园区新增孵化载体两处。".into());
    new.body.sections.push(Section {
        heading: Some("三、其他".into()),
        paragraphs: vec![],
    });
    let html = render_diff(&old, &new);
    assert!(html.contains("第 1 版与第 2 版对照"));
    assert!(html.contains(
        "<tr data-field=\"handling_result.category\"><td data-label=\"字段\">办理结果类别</td>\
         <td data-label=\"旧值\"><del>解决采纳</del></td><td data-label=\"新值\"><ins>部分采纳</ins></td></tr>"
    ));
    assert!(html.contains("<tr data-field=\"handling_result.raw\">"));
    assert!(html.contains("<tr data-field=\"body\">"));
    assert!(html.contains(
        "<div class=\"diff-block added\"><span class=\"tag\">新增</span><ins>园区新增孵化载体两处。</ins></div>"
    ));
    assert!(html.contains("<div class=\"diff-block added heading\"><span class=\"tag\">新增</span><ins>三、其他</ins></div>"));
    assert!(html.contains("<div class=\"diff-block same heading\">一、工作推进情况</div>"));
}

#[test]
fn error_pages_say_what_is_wrong_in_chinese() {
    let html = render_error("找不到这件答复", "档案中没有编号为“shpt:<x>”的答复。");
    assert!(html.contains("<h1>找不到这件答复</h1>"));
    assert!(html.contains("shpt:&lt;x&gt;"));
}
