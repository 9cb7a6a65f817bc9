//! The page of one reply: the document as it reads on paper (head,
//! addressee, body, signature and date, contact block, notes, copies), then
//! what the portal and govwire know about it (disclosure metadata, the
//! suggestion or proposal it answers, where it was seen, its attachments,
//! the parser's warnings), its status and its versions.

use std::fmt::Write;

use govwire_model::html::escape;
use govwire_model::{labels, Reply};
use govwire_store::{ArchiveStatus, ArchivedReply};

use super::layout::{date_cn, diff_href, link_or_text, page, reply_href, time_cst, time_element};

/// The page of `shown`, a version of `archived` (its current record or an
/// older one).
pub fn render_reply(archived: &ArchivedReply, shown: &Reply) -> String {
    let id = archived.current.id.as_str();
    let latest = archived.current.version;
    let mut main = String::with_capacity(16 * 1024);

    let _ = write!(
        main,
        "<p class=\"small\"><a href=\"/\">答复档案</a> › {}</p>\n<p>{} <span class=\"muted small\">第 {} 版，共 {} 版</span></p>\n",
        escape(&shown.title),
        status_badge(archived),
        shown.version,
        archived.versions.len().max(1),
    );
    if shown.version != latest {
        let _ = writeln!(
            main,
            "<p class=\"notice\" id=\"old-version\">您正在查看第 {} 版，这不是最新版本。\
             <a href=\"{}\">查看最新的第 {latest} 版</a></p>",
            shown.version,
            escape(&reply_href(id, None)),
        );
    }
    document(&mut main, shown);
    disclosure(&mut main, shown);
    proposal(&mut main, shown);
    sources(&mut main, shown);
    attachments(&mut main, shown);
    warnings(&mut main, shown);
    versions(&mut main, archived, shown.version);
    page(&shown.title, &main)
}

/// 公开中, or 已撤回 with the time the portal's withdrawal was noticed.
fn status_badge(archived: &ArchivedReply) -> String {
    match archived.status {
        ArchiveStatus::Active => "<span class=\"badge active\" id=\"status\">公开中</span>".into(),
        ArchiveStatus::Withdrawn => format!(
            "<span class=\"badge withdrawn\" id=\"status\">已撤回</span>{}",
            archived
                .status_changed_at
                .map(|at| format!(
                    " <span class=\"muted small\">撤回于 {}</span>",
                    time_element(at)
                ))
                .unwrap_or_default()
        ),
    }
}

/// The document as GB/T 9704 lays it out.
fn document(out: &mut String, r: &Reply) {
    out.push_str("<article class=\"doc\" id=\"document\">\n");
    if let Some(banner) = &r.issuer_banner {
        let _ = writeln!(out, "<p class=\"banner\">{}</p>", escape(banner));
    }
    if let Some(number) = &r.doc_number {
        let _ = writeln!(
            out,
            "<p class=\"docno\" id=\"doc-number\">{}</p>",
            escape(number)
        );
    }
    if r.issuer_banner.is_some() || r.doc_number.is_some() {
        out.push_str("<hr class=\"red\">\n");
    }
    let _ = writeln!(out, "<h1 id=\"title\">{}</h1>", escape(&r.title));
    if let Some(addressee) = &r.addressee {
        let _ = writeln!(
            out,
            "<p class=\"addressee\" id=\"addressee\">{}：</p>",
            escape(addressee)
        );
    }
    out.push_str("<div id=\"body\">\n");
    let paragraphs: usize = r.body.sections.iter().map(|s| s.paragraphs.len()).sum();
    if paragraphs == 0 && r.body.sections.iter().all(|s| s.heading.is_none()) {
        out.push_str("<p class=\"empty\">（未能读出正文）</p>\n");
    }
    for section in &r.body.sections {
        if let Some(heading) = &section.heading {
            let _ = writeln!(out, "<h2>{}</h2>", escape(heading));
        }
        for paragraph in &section.paragraphs {
            let _ = writeln!(out, "<p class=\"para\">{}</p>", escape(paragraph));
        }
    }
    out.push_str("</div>\n");
    if !r.attachment_notes.is_empty() {
        out.push_str("<div class=\"attachment-notes\">");
        for (i, note) in r.attachment_notes.iter().enumerate() {
            let _ = write!(
                out,
                "<p>{}{}</p>",
                if i == 0 { "附件：" } else { "" },
                escape(note)
            );
        }
        out.push_str("</div>\n");
    }
    if r.signatory.is_some() || r.signed_on.is_some() {
        out.push_str("<div class=\"sign\" id=\"signature\">");
        if let Some(signatory) = &r.signatory {
            let _ = write!(out, "<p>{}</p>", escape(signatory));
        }
        if let Some(date) = r.signed_on {
            let _ = write!(out, "<p id=\"signed-on\">{}</p>", date_cn(date));
        }
        out.push_str("</div>\n");
    }
    let contact = r.contact.as_ref().map(|c| {
        [
            ("联系人", &c.name),
            ("联系电话", &c.phone),
            ("联系地址", &c.address),
            ("邮政编码", &c.postcode),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.as_ref().map(|v| format!("{label}：{}", escape(v))))
        .collect::<Vec<_>>()
    });
    let contact = contact.filter(|parts| !parts.is_empty());
    if contact.is_some() || !r.notes.is_empty() {
        out.push_str("<div class=\"notes\" id=\"notes\">");
        for note in &r.notes {
            let _ = write!(out, "<p>（{}）</p>", escape(note));
        }
        if let Some(parts) = contact {
            let _ = write!(out, "<p id=\"contact\">（{}）</p>", parts.join("；"));
        }
        out.push_str("</div>\n");
    }
    if !r.cc.is_empty() || r.printed_by.is_some() || r.printed_on.is_some() {
        out.push_str("<div class=\"tail\">");
        if !r.cc.is_empty() {
            let cc: Vec<String> = r.cc.iter().map(|c| escape(c)).collect();
            let _ = write!(out, "<p id=\"cc\">抄送：{}。</p>", cc.join("，"));
        }
        if r.printed_by.is_some() || r.printed_on.is_some() {
            let _ = write!(
                out,
                "<p class=\"printed\"><span>{}</span><span>{}</span></p>",
                r.printed_by.as_deref().map(escape).unwrap_or_default(),
                r.printed_on
                    .map(|d| format!("{}印发", date_cn(d)))
                    .unwrap_or_default()
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</article>\n");
}

/// A `<dl>` row of `label` and `value` (HTML, already safe); nothing when
/// the value is absent.
fn row(out: &mut String, label: &str, value: Option<String>) {
    if let Some(value) = value {
        let _ = write!(out, "<dt>{label}</dt><dd>{value}</dd>");
    }
}

/// The portal's disclosure metadata and the dates.
fn disclosure(out: &mut String, r: &Reply) {
    out.push_str("<section class=\"box\" id=\"metadata\"><h2>公开信息</h2><dl class=\"meta\">");
    let text = |v: &Option<String>| v.as_deref().map(escape);
    row(out, "索引号", text(&r.index_number));
    row(out, "发布机构", text(&r.publisher));
    row(out, "发文机关", text(&r.issuer));
    row(out, "签发人", text(&r.signer));
    row(out, "主题分类", text(&r.topic));
    row(out, "公开属性", text(&r.disclosure));
    row(out, "成文日期", r.signed_on.map(date_cn));
    row(out, "发布日期", r.published_on.map(date_cn));
    row(
        out,
        "办理结果",
        r.handling_result.as_ref().map(|h| {
            let category = match h.category {
                Some(c) if labels::handling_category(c) == h.raw => String::new(),
                Some(c) => format!(
                    " <span class=\"badge cat\">{}</span>",
                    labels::handling_category(c)
                ),
                None => " <span class=\"muted small\">（未能归类）</span>".into(),
            };
            format!(
                "<span id=\"handling-result\">{}</span>{category}",
                escape(&h.raw)
            )
        }),
    );
    row(
        out,
        "答复类型",
        r.reply_kind.map(|k| labels::reply_kind(k).to_string()),
    );
    out.push_str("</dl></section>\n");
}

/// The suggestion or proposal answered.
fn proposal(out: &mut String, r: &Reply) {
    let p = &r.proposal;
    let proposers = (!p.proposers.is_empty()).then(|| {
        let names: Vec<String> = p.proposers.iter().map(|n| escape(n)).collect();
        let mut text = names.join("、");
        if let Some(n) = p.co_proposers {
            let _ = write!(text, "（另有 {n} 人联名）");
        }
        text
    });
    let term = match (p.term, p.session) {
        (Some(t), Some(s)) => Some(format!("第 {t} 届第 {s} 次会议")),
        (Some(t), None) => Some(format!("第 {t} 届")),
        (None, Some(s)) => Some(format!("第 {s} 次会议")),
        (None, None) => None,
    };
    let mut rows = String::new();
    row(
        &mut rows,
        "类别",
        p.kind.map(|k| labels::proposal_kind(k).to_string()),
    );
    row(
        &mut rows,
        "级别",
        p.level.map(|l| labels::level(l).to_string()),
    );
    row(&mut rows, "会议", p.meeting.as_deref().map(escape));
    row(&mut rows, "届次", term);
    row(&mut rows, "编号", p.number.as_deref().map(escape));
    row(&mut rows, "题目", p.subject.as_deref().map(escape));
    row(&mut rows, "提出人", proposers);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section class=\"box\" id=\"proposal\"><h2>所答复的建议或提案</h2><dl class=\"meta\">{rows}</dl></section>"
    );
}

/// Where the reply was seen, and what govwire recorded of this version.
fn sources(out: &mut String, r: &Reply) {
    let mut urls: Vec<&str> = Vec::new();
    for url in r.url.iter().chain(&r.urls) {
        if !urls.contains(&url.as_str()) {
            urls.push(url);
        }
    }
    out.push_str("<section class=\"box\" id=\"sources\"><h2>来源</h2><dl class=\"meta\">");
    if !urls.is_empty() {
        let links: Vec<String> = urls
            .iter()
            .map(|u| format!("<li>{}</li>", link_or_text(u, u)))
            .collect();
        row(
            out,
            "网址",
            Some(format!("<ul class=\"plain\">{}</ul>", links.concat())),
        );
    }
    row(out, "抓取时间", r.fetched_at.map(time_element));
    row(out, "记录编号", Some(escape(r.id.as_str())));
    row(out, "门户", Some(escape(r.portal.as_str())));
    row(
        out,
        "内容哈希",
        (!r.content_sha256.is_empty())
            .then(|| format!("<code class=\"small\">{}</code>", escape(&r.content_sha256))),
    );
    row(
        out,
        "解析器版本",
        (!r.parser_version.is_empty()).then(|| escape(&r.parser_version)),
    );
    out.push_str("</dl></section>\n");
}

/// The files the page links, each with the text read from it.
fn attachments(out: &mut String, r: &Reply) {
    if r.attachments.is_empty() {
        return;
    }
    out.push_str("<section class=\"box\" id=\"attachments\"><h2>附件</h2>");
    for a in &r.attachments {
        let _ = write!(
            out,
            "<div class=\"attachment\"><p>{}",
            link_or_text(&a.url, &a.name)
        );
        if let Some(sha) = &a.sha256 {
            let _ = write!(
                out,
                " <span class=\"muted small\">SHA-256 <code>{}</code></span>",
                escape(sha)
            );
        }
        out.push_str("</p>");
        match &a.text {
            Some(text) => {
                let _ = write!(
                    out,
                    "<details><summary>提取的文字（{} 字）</summary><pre class=\"text\">{}</pre></details>",
                    text.chars().filter(|c| !c.is_whitespace()).count(),
                    escape(text)
                );
            }
            None => out.push_str("<p class=\"muted small\">尚未读出文字。</p>"),
        }
        out.push_str("</div>");
    }
    out.push_str("</section>\n");
}

/// What the parser could not find or had to guess.
fn warnings(out: &mut String, r: &Reply) {
    if r.warnings.is_empty() {
        return;
    }
    out.push_str(
        "<section class=\"box\" id=\"warnings\"><h2>解析提示</h2>\
         <p class=\"muted small\">以下是 govwire 读取此页时未能找到或需要推测的内容。</p>\
         <table class=\"stack\"><thead><tr><th>字段</th><th>说明</th></tr></thead><tbody>",
    );
    for w in &r.warnings {
        let _ = write!(
            out,
            "<tr><td data-label=\"字段\"><code>{}</code></td><td data-label=\"说明\">{}</td></tr>",
            escape(&w.field),
            escape(&w.message)
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// Every archived version, with links to each and to the comparison with
/// the one before.
fn versions(out: &mut String, archived: &ArchivedReply, shown: u32) {
    let id = archived.current.id.as_str();
    out.push_str(
        "<section class=\"box\" id=\"versions\"><h2>版本</h2>\
         <table class=\"stack\"><thead><tr><th>版本</th><th>收到时间</th><th>事件</th>\
         <th>内容哈希</th><th>对照</th></tr></thead><tbody>",
    );
    let mut previous: Option<u32> = None;
    for v in &archived.versions {
        let name = if v.version == shown {
            format!("<strong>第 {} 版</strong>（当前查看）", v.version)
        } else {
            format!(
                "<a href=\"{}\">第 {} 版</a>",
                escape(&reply_href(id, Some(v.version))),
                v.version
            )
        };
        let compare = match previous {
            Some(p) => format!(
                "<a href=\"{}\">与第 {p} 版对照</a>",
                escape(&diff_href(id, p, v.version))
            ),
            None => "<span class=\"muted\">首次收录</span>".into(),
        };
        let _ = write!(
            out,
            "<tr><td data-label=\"版本\">{name}</td><td data-label=\"收到时间\">{}</td>\
             <td data-label=\"事件\">{}</td><td data-label=\"内容哈希\"><code class=\"small\">{}</code></td>\
             <td data-label=\"对照\">{compare}</td></tr>",
            time_cst(v.received_at),
            event_label(&v.event_type),
            escape(v.content_sha256.get(..12).unwrap_or(&v.content_sha256)),
        );
        previous = Some(v.version);
    }
    out.push_str("</tbody></table></section>\n");
}

/// An event type as readers name it.
fn event_label(event_type: &str) -> String {
    match event_type {
        "govwire.reply.published" => "发布".into(),
        "govwire.reply.updated" => "更新".into(),
        "govwire.reply.withdrawn" => "撤回".into(),
        "govwire.reply.restored" => "恢复".into(),
        other => escape(other),
    }
}
