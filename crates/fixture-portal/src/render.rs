//! HTML the fixture portal serves: detail pages in every layout of
//! `LAYOUTS.md` ([`Document::render_as`], and as bytes on the wire
//! [`Document::served_as`]), the 2020-style HTML list table, and the
//! not-found page.

use std::fmt::Write as _;

use encoding_rs::{GB18030, GBK, UTF_8};

use crate::attachments::attachment_path;
use crate::spec::{
    cc_line, BodyMarkup, CharsetLabel, Colons, Document, LabelNames, Layout, MetadataMarkup,
    PageEncoding, ReplySpec, ResultLine, ServedPage, TitleMarkup, Variant,
};
use crate::text::escape_html;

/// Source line of the body-only layout (`2025年07月16日 来源: 上海普陀`). The
/// real pages write an ASCII colon and a space here.
const SOURCE: &str = "来源: 上海普陀";

impl Document {
    /// The page's text lines in `layout`, one `<p>` each. When the reply's
    /// text is only in an attachment, the page's lines are its links' texts
    /// (each `<p>` holds one link).
    pub fn lines_as(&self, layout: Layout) -> Vec<String> {
        if self.reply_attachment().is_some() {
            return self.attachments.iter().map(|a| a.name.clone()).collect();
        }
        match (&self.reply, &self.text) {
            (Some(reply), _) => reply_lines(self, reply, layout),
            (None, Some(text)) => text.lines.clone(),
            (None, None) => Vec::new(),
        }
    }

    /// The detail page's HTML in its own layout.
    pub fn render(&self) -> String {
        self.render_as(self.layout)
    }

    /// The detail page's HTML in `layout`, as text (its `<meta charset>`, if
    /// any, names the document's encoding).
    pub fn render_as(&self, layout: Layout) -> String {
        detail_page(self, layout)
    }

    /// The detail page as the server sends it, in its own layout: bytes in
    /// the document's encoding and the `Content-Type` its label calls for.
    pub fn served(&self) -> ServedPage {
        self.served_as(self.layout)
    }

    /// The detail page as the server sends it, rendered in `layout`.
    pub fn served_as(&self, layout: Layout) -> ServedPage {
        served_page(self, layout)
    }
}

/// The text lines of a structured reply in `layout`, in the order of
/// `LAYOUTS.md` ("Document text").
pub(crate) fn reply_lines(doc: &Document, reply: &ReplySpec, layout: Layout) -> Vec<String> {
    let mut lines = Vec::new();
    let result_line = reply
        .handling_result
        .as_ref()
        .map(|raw| format!("办理结果：{raw}"));
    if reply.handling_result_line == ResultLine::Top {
        lines.extend(result_line.clone());
    }
    if let Some(disclosure) = &reply.disclosure_line {
        lines.push(format!("公开属性：{disclosure}"));
    }
    lines.extend(reply.banner.clone());
    match (&reply.doc_number, &reply.signer) {
        (Some(number), Some(signer)) if reply.signer_beside_number => {
            lines.push(format!("{}　签发人：{signer}", number.written));
        }
        (number, signer) => {
            if let Some(number) = number {
                if layout == Layout::TwelveField2019 {
                    lines.extend(split_doc_number(&number.written));
                } else {
                    lines.push(number.written.clone());
                }
            }
            lines.extend(signer.as_ref().map(|s| format!("签发人：{s}")));
        }
    }
    lines.push(reply.title.written.clone());
    if layout == Layout::BodyOnly {
        lines.push(format!(
            "{} {SOURCE}",
            doc.published_on.format("%Y年%m月%d日")
        ));
    }
    lines.push(format!("{}：", reply.addressee));
    if reply.handling_result_line == ResultLine::AfterAddressee {
        lines.extend(result_line);
    }
    for section in &reply.sections {
        lines.extend(section.heading.clone());
        for paragraph in &section.paragraphs {
            lines.extend(paragraph.lines());
        }
    }
    lines.extend(reply.attachment_notes.iter().cloned());
    lines.push(reply.signatory.clone());
    lines.push(reply.signed.written.clone());
    if let Some(contact) = &reply.contact {
        if let Some(name) = &contact.name {
            lines.push(format!("{}{name}", contact.name_label));
        }
        lines.extend(contact.phone.as_ref().map(|v| format!("联系电话：{v}")));
        lines.extend(contact.address.as_ref().map(|v| format!("联系地址：{v}")));
        lines.extend(contact.postcode.as_ref().map(|v| format!("邮政编码：{v}")));
    }
    lines.extend(reply.notes.iter().cloned());
    if !reply.cc.is_empty() {
        lines.push(cc_line(&reply.cc));
    }
    if let Some(printed) = &reply.printed {
        lines.push(printed.by.clone());
        lines.push(format!("{}印发", printed.on.written));
    }
    lines
}

/// Site navigation shared by every page; the parser strips it.
const HEADER: &str = r#"<header class="site-header"><nav><a href="/">首页</a> <a href="/zhengwu/">政务公开</a> <a href="/hudong/">政民互动</a> <a href="/zhengwu/qzxtabljg-jytabljg/index.html">建议提案办理结果</a></nav></header>"#;

/// Site footer shared by every page.
const FOOTER: &str = r#"<footer class="site-footer"><p>主办：上海市普陀区人民政府办公室</p><p>地址：上海市大渡河路1668号</p></footer>"#;

/// A doc number as the 2019 layout writes it, over three lines:
/// `普绿容` / `〔2019〕` / `44号`. A number without brackets stays whole.
pub(crate) fn split_doc_number(written: &str) -> Vec<String> {
    let open = written.find(['〔', '[', '（', '(', '【', '［', '﹝']);
    let close = written.find(['〕', ']', '）', ')', '】', '］', '﹞']);
    match (open, close) {
        (Some(o), Some(c)) if o > 0 && c > o => {
            let close_end = c + written[c..].chars().next().map_or(1, char::len_utf8);
            [&written[..o], &written[o..close_end], &written[close_end..]]
                .iter()
                .map(|part| part.trim().to_string())
                .filter(|part| !part.is_empty())
                .collect()
        }
        _ => vec![written.to_string()],
    }
}

/// The `<meta charset>` tag a page carries under `doc`'s label, if any.
fn meta_charset(doc: &Document) -> String {
    match doc.charset_label {
        CharsetLabel::Both | CharsetLabel::Meta => {
            format!("<meta charset=\"{}\">", doc.encoding.label())
        }
        CharsetLabel::LyingUtf8 => "<meta charset=\"utf-8\">".to_string(),
        CharsetLabel::Http | CharsetLabel::None => String::new(),
    }
}

fn page_start(out: &mut String, title: &str) {
    page_start_with(out, title, "<meta charset=\"utf-8\">");
}

fn page_start_with(out: &mut String, title: &str, meta: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>{meta}<title>{}_上海市普陀区人民政府</title></head>\n<body>\n<div class=\"skip-link\">正文内容区域请使用tab按钮切换浏览</div>\n{HEADER}\n<div class=\"container main\">\n",
        escape_html(title)
    );
}

fn page_end(out: &mut String) {
    let _ = write!(
        out,
        "  <div class=\"aside\">特殊稿件右侧区域内容请使用tab按钮切换浏览</div>\n</div>\n{FOOTER}\n</body></html>\n"
    );
}

/// The detail page of `doc` in `layout`.
pub(crate) fn detail_page(doc: &Document, layout: Layout) -> String {
    let title = doc.title();
    let mut out = String::with_capacity(8 * 1024);
    page_start_with(&mut out, title, &meta_charset(doc));
    // A page whose reply is only in an attachment shows its links instead
    // (`links_inside`).
    let lines = if doc.reply_attachment().is_some() {
        Vec::new()
    } else {
        doc.lines_as(layout)
    };
    let paragraphs = |out: &mut String, indent: &str| {
        for line in &lines {
            let _ = writeln!(out, "{indent}<p>{}</p>", escape_html(line));
        }
    };
    match layout {
        Layout::Current | Layout::BodyOnly => {
            let _ = writeln!(
                out,
                "  <div class=\"article\">\n    <h1>{}</h1>",
                escape_html(title)
            );
            if layout == Layout::Current {
                metadata_block(&mut out, doc);
            }
            out.push_str("    <div class=\"share\">分享:</div>\n");
            out.push_str("    <div class=\"article-content\">\n      <div class=\"TRS_Editor\">\n");
            paragraphs(&mut out, "        ");
            links_inside(&mut out, doc, "        ");
            out.push_str("      </div>\n    </div>\n");
            links_after(&mut out, doc, "    ");
            out.push_str("  </div>\n");
        }
        Layout::TwelveField2019 => {
            out.push_str("  <div class=\"xxgk-detail\">\n");
            twelve_field_table(&mut out, doc);
            let _ = writeln!(out, "    <h1>{}</h1>", escape_html(title));
            out.push_str("    <div class=\"content\">\n");
            paragraphs(&mut out, "      ");
            links_inside(&mut out, doc, "      ");
            out.push_str("    </div>\n");
            links_after(&mut out, doc, "    ");
            out.push_str("  </div>\n");
        }
        Layout::IvsContent2020 => {
            let _ = writeln!(
                out,
                "  <div class=\"ivs-article\">\n    <div id=\"ivs_title\">{}</div>\n    <div id=\"ivs_date\">发布日期：{}　来源：上海普陀</div>\n    <div class=\"share\">分享到：</div>",
                escape_html(title),
                doc.published_on.format("%Y-%m-%d"),
            );
            out.push_str("    <div id=\"ivs_content\">\n");
            paragraphs(&mut out, "      ");
            links_inside(&mut out, doc, "      ");
            out.push_str("    </div>\n");
            links_after(&mut out, doc, "    ");
            out.push_str("  </div>\n");
        }
        Layout::Unprofiled => {
            let variant = doc.variant.clone().unwrap_or_else(|| Variant {
                metadata: MetadataMarkup::None,
                metadata_class: String::new(),
                labels: LabelNames::Standard,
                colons: Colons::FullWidth,
                broken_values: false,
                signed_on_shown: None,
                extra: Vec::new(),
                decoy_info: false,
                title: TitleMarkup::FirstLine,
                body: BodyMarkup::TrsEditor,
                warnings: Vec::new(),
            });
            out.push_str("  <div class=\"detail-main\">\n");
            if variant.title == TitleMarkup::DivTitle {
                let _ = writeln!(out, "    <div class=\"title\">{}</div>", escape_html(title));
            }
            if variant.decoy_info {
                out.push_str("    <div class=\"article-info\"><span class=\"print\">【打印本页】</span> <span class=\"close\">【关闭窗口】</span></div>\n");
            }
            unprofiled_metadata(&mut out, doc, &variant);
            out.push_str("    <div class=\"share\">分享:</div>\n");
            let centred = |out: &mut String, indent: &str| {
                for (k, line) in lines.iter().enumerate() {
                    if k == 0 && variant.title == TitleMarkup::Centred {
                        let _ =
                            writeln!(out, "{indent}<p align=\"center\">{}</p>", escape_html(line));
                    } else {
                        let _ = writeln!(out, "{indent}<p>{}</p>", escape_html(line));
                    }
                }
            };
            match variant.body {
                BodyMarkup::TrsEditor => {
                    out.push_str(
                        "    <div class=\"article-content\">\n      <div class=\"TRS_Editor\">\n",
                    );
                    centred(&mut out, "        ");
                    links_inside(&mut out, doc, "        ");
                    out.push_str("      </div>\n    </div>\n");
                }
                BodyMarkup::IvsContent => {
                    out.push_str("    <div id=\"ivs_content\">\n");
                    centred(&mut out, "      ");
                    links_inside(&mut out, doc, "      ");
                    out.push_str("    </div>\n");
                }
            }
            links_after(&mut out, doc, "    ");
            out.push_str("  </div>\n");
        }
    }
    page_end(&mut out);
    out
}

/// A label of an unprofiled page as its variant writes it, colon included.
fn variant_label(label: &str, colons: Colons) -> String {
    match colons {
        Colons::FullWidth => format!("{label}："),
        // Spaces between the characters of a label of two or three
        // characters (`来 源`, `索 引 号`), as pages that justify labels
        // write them; a space before the half-width colon everywhere.
        Colons::HalfWidthSpaced if label.chars().count() <= 3 => {
            let spaced: Vec<String> = label.chars().map(String::from).collect();
            format!("{} :", spaced.join(" "))
        }
        Colons::HalfWidthSpaced => format!("{label} :"),
    }
}

/// The metadata block of an unprofiled page: the seven fields of the
/// `current` layout (under the variant's names), the variant's extra pairs
/// after 主题分类, in the variant's markup.
fn unprofiled_metadata(out: &mut String, doc: &Document, variant: &Variant) {
    let reply = doc.reply.as_ref();
    let published = doc.published_on.format("%Y-%m-%d").to_string();
    let class = escape_html(&variant.metadata_class);
    if variant.metadata == MetadataMarkup::DateLine {
        let _ = writeln!(
            out,
            "    <div class=\"{class}\">{}{published}　{}上海普陀</div>",
            variant_label("发布日期", variant.colons),
            variant_label("来源", variant.colons),
        );
        return;
    }
    if variant.metadata == MetadataMarkup::None {
        return;
    }
    let signed_date = reply.map(|r| r.signed.date);
    let signed_on = variant
        .signed_on_shown
        .clone()
        .or_else(|| doc.meta.signed_on.clone())
        .map(|v| escape_html(&v))
        .or_else(|| {
            signed_date.map(|d| {
                if variant.broken_values {
                    format!("{}<br>\n{}", d.format("%Y年"), d.format("%-m月%-d日"))
                } else {
                    d.format("%Y-%m-%d").to_string()
                }
            })
        });
    let doc_number = doc
        .meta
        .doc_number
        .clone()
        .or_else(|| reply.and_then(|r| r.doc_number.as_ref().map(|n| n.written.clone())))
        .map(|n| {
            if variant.broken_values {
                split_doc_number(&n)
                    .iter()
                    .map(|p| escape_html(p))
                    .collect::<Vec<_>>()
                    .join("<br>\n")
            } else {
                escape_html(&n)
            }
        });
    let names: [&str; 7] = match variant.labels {
        LabelNames::Standard => [
            "索引号",
            "主题分类",
            "公开属性",
            "成文日期",
            "发文字号",
            "发布日期",
            "公开主体",
        ],
        LabelNames::Catalogue => [
            "索取号",
            "主题分类",
            "公开方式",
            "生成日期",
            "文号",
            "发布日期",
            "发布机构",
        ],
    };
    let esc = |v: Option<&str>| escape_html(v.unwrap_or(""));
    let mut pairs: Vec<(String, String)> = vec![
        (names[0].into(), esc(doc.meta.index_number.as_deref())),
        (names[1].into(), esc(doc.meta.topic.as_deref())),
    ];
    pairs.extend(
        variant
            .extra
            .iter()
            .map(|[label, value]| (label.clone(), escape_html(value))),
    );
    pairs.extend([
        (names[2].into(), esc(doc.meta.disclosure.as_deref())),
        (names[3].into(), signed_on.unwrap_or_default()),
        (names[4].into(), doc_number.unwrap_or_default()),
        (names[5].into(), escape_html(&published)),
        (names[6].into(), esc(doc.meta.publisher.as_deref())),
    ]);
    let label = |l: &str| escape_html(&variant_label(l, variant.colons));
    match variant.metadata {
        MetadataMarkup::ThTd => {
            let _ = writeln!(out, "    <table class=\"{class}\">");
            for (l, v) in &pairs {
                // A `th` holds the label without its colon.
                let written = variant_label(l, variant.colons);
                let bare = written.trim_end_matches([':', '：', ' ']);
                let _ = writeln!(
                    out,
                    "      <tr><th>{}</th><td>{v}</td></tr>",
                    escape_html(bare)
                );
            }
            out.push_str("    </table>\n");
        }
        MetadataMarkup::TdCells => {
            let _ = writeln!(out, "    <table class=\"{class}\">");
            for row in pairs.chunks(3) {
                out.push_str("      <tr>");
                for (l, v) in row {
                    let _ = write!(
                        out,
                        "<td class=\"bt\">{}</td><td class=\"nr\">{v}</td>",
                        label(l)
                    );
                }
                out.push_str("</tr>\n");
            }
            out.push_str("    </table>\n");
        }
        MetadataMarkup::Dl => {
            let _ = writeln!(out, "    <dl class=\"{class}\">");
            for (l, v) in &pairs {
                let _ = writeln!(out, "      <dt>{}</dt><dd>{v}</dd>", label(l));
            }
            out.push_str("    </dl>\n");
        }
        MetadataMarkup::Spans => {
            let _ = writeln!(out, "    <div class=\"{class}\">");
            for row in pairs.chunks(2) {
                out.push_str("      <p>");
                for (l, v) in row {
                    let _ = write!(
                        out,
                        "<span class=\"k\">{}</span><span class=\"v\">{v}</span>",
                        label(l)
                    );
                }
                out.push_str("</p>\n");
            }
            out.push_str("    </div>\n");
        }
        MetadataMarkup::Lines => {
            let _ = write!(out, "    <div class=\"{class}\">\n      ");
            let lines: Vec<String> = pairs
                .iter()
                .map(|(l, v)| format!("{}{v}", label(l)))
                .collect();
            out.push_str(&lines.join("<br>\n      "));
            out.push_str("\n    </div>\n");
        }
        MetadataMarkup::DateLine | MetadataMarkup::None => {}
    }
}

/// The links of a page whose reply is only in an attachment: inside the
/// body container, one `<p>` each, as its only content.
fn links_inside(out: &mut String, doc: &Document, indent: &str) {
    if doc.reply_attachment().is_none() {
        return;
    }
    for spec in &doc.attachments {
        let _ = writeln!(
            out,
            "{indent}<p><a href=\"{}\">{}</a></p>",
            escape_html(&attachment_path(&spec.file)),
            escape_html(&spec.name)
        );
    }
}

/// The links of a page that has text of its own: after the body container,
/// inside the article, each `附件：<a>` in a `div.attachments`. (An invention:
/// where the real portal puts such links is not confirmed.)
fn links_after(out: &mut String, doc: &Document, indent: &str) {
    if doc.attachments.is_empty() || doc.reply_attachment().is_some() {
        return;
    }
    let _ = writeln!(out, "{indent}<div class=\"attachments\">");
    for spec in &doc.attachments {
        let _ = writeln!(
            out,
            "{indent}  <p>附件：<a href=\"{}\">{}</a></p>",
            escape_html(&attachment_path(&spec.file)),
            escape_html(&spec.name)
        );
    }
    let _ = writeln!(out, "{indent}</div>");
}

/// The detail page of `doc` in `layout` as the server sends it: encoded in
/// the document's encoding, with the `Content-Type` its label calls for.
pub(crate) fn served_page(doc: &Document, layout: Layout) -> ServedPage {
    let html = detail_page(doc, layout);
    let encoding = match doc.encoding {
        PageEncoding::Utf8 => UTF_8,
        PageEncoding::Gbk => GBK,
        PageEncoding::Gb18030 => GB18030,
    };
    let (bytes, _, _) = encoding.encode(&html);
    let content_type = match doc.charset_label {
        CharsetLabel::Both | CharsetLabel::Http => {
            format!("text/html; charset={}", doc.encoding.label())
        }
        CharsetLabel::Meta | CharsetLabel::None => "text/html".to_string(),
        CharsetLabel::LyingUtf8 => "text/html; charset=utf-8".to_string(),
    };
    ServedPage {
        content_type,
        body: bytes.into_owned(),
    }
}

/// The first character of `text` that GBK cannot represent.
pub(crate) fn first_unmappable_in_gbk(text: &str) -> Option<char> {
    let (_, _, unmappable) = GBK.encode(text);
    if !unmappable {
        return None;
    }
    let mut buf = [0u8; 4];
    text.chars().find(|c| GBK.encode(c.encode_utf8(&mut buf)).2)
}

/// The 2019 layout's metadata table: twelve fields, label and value in
/// adjacent cells, two pairs a row. Which twelve is an invention (PORTAL.md
/// knows only that there were twelve); 成文日期 is a datetime and 发文字号 is
/// split over three lines, as on the real pages.
fn twelve_field_table(out: &mut String, doc: &Document) {
    let reply = doc.reply.as_ref();
    let signed_date = reply.map(|r| r.signed.date);
    let signed_on = match &doc.meta.signed_on {
        Some(value) if value.contains(':') => Some(value.clone()),
        Some(value) => Some(format!("{value} 09:30:00")),
        None => signed_date.map(|d| format!("{} 09:30:00", d.format("%Y-%m-%d"))),
    };
    let doc_number = doc
        .meta
        .doc_number
        .clone()
        .or_else(|| reply.and_then(|r| r.doc_number.as_ref().map(|n| n.written.clone())))
        .map(|n| {
            if n.contains('\n') {
                n.split('\n')
                    .map(|p| escape_html(p.trim()))
                    .collect::<Vec<_>>()
            } else {
                split_doc_number(&n)
                    .iter()
                    .map(|p| escape_html(p))
                    .collect()
            }
            .join("<br>\n")
        });
    let published = doc.published_on.format("%Y-%m-%d").to_string();
    let effective = signed_date.map(|d| d.format("%Y-%m-%d").to_string());
    let esc = |v: Option<&str>| escape_html(v.unwrap_or(""));
    let cells: [(&str, String); 12] = [
        ("索引号", esc(doc.meta.index_number.as_deref())),
        ("主题分类", esc(doc.meta.topic.as_deref())),
        ("体裁分类", "其他".to_string()),
        ("发布机构", esc(doc.meta.publisher.as_deref())),
        ("成文日期", esc(signed_on.as_deref())),
        ("发布日期", escape_html(&published)),
        ("发文字号", doc_number.unwrap_or_default()),
        ("公开属性", esc(doc.meta.disclosure.as_deref())),
        ("公开范围", "面向全社会".to_string()),
        ("有效性", "有效".to_string()),
        ("关键词", "建议提案 办理答复".to_string()),
        ("生效日期", esc(effective.as_deref())),
    ];
    out.push_str("    <table class=\"xxgk-table\">\n");
    for row in cells.chunks(2) {
        out.push_str("      <tr>");
        for (label, value) in row {
            let _ = write!(
                out,
                "<td class=\"xxgk-label\">{label}：</td><td class=\"xxgk-value\">{value}</td>"
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("    </table>\n");
}

fn metadata_block(out: &mut String, doc: &Document) {
    let reply = doc.reply.as_ref();
    let signed_on = doc
        .meta
        .signed_on
        .clone()
        .or_else(|| reply.map(|r| r.signed.date.format("%Y-%m-%d").to_string()));
    let doc_number = doc
        .meta
        .doc_number
        .clone()
        .or_else(|| reply.and_then(|r| r.doc_number.as_ref().map(|n| n.written.clone())));
    let published = doc.published_on.format("%Y-%m-%d").to_string();
    let cells: [(&str, &str, Option<&str>); 7] = [
        ("col-md-7", "索引号", doc.meta.index_number.as_deref()),
        ("col-md-5", "主题分类", doc.meta.topic.as_deref()),
        ("col-md-7", "公开属性", doc.meta.disclosure.as_deref()),
        ("col-md-5", "成文日期", signed_on.as_deref()),
        ("col-md-7", "发文字号", doc_number.as_deref()),
        ("col-md-5", "发布日期", Some(published.as_str())),
        ("col-md-7", "公开主体", doc.meta.publisher.as_deref()),
    ];
    out.push_str("    <div class=\"article-info\">\n      <div class=\"row\">\n");
    for (class, label, value) in cells {
        let value = escape_html(value.unwrap_or(""));
        // The real block sometimes puts a value on the line after its label;
        // 公开主体 does so here, so readers must trim.
        let value = if label == "公开主体" && !value.is_empty() {
            format!("\n          {value}\n        ")
        } else {
            value
        };
        let _ = writeln!(
            out,
            "        <div class=\"{class}\"><span>{label}：</span><span>{value}</span></div>"
        );
    }
    out.push_str("      </div>\n    </div>\n");
}

/// One row of the HTML list table.
pub(crate) struct ListRow {
    /// 索引号 cell.
    pub index_number: String,
    /// Link target.
    pub href: String,
    /// Title cell and link title.
    pub title: String,
    /// Description cell.
    pub description: String,
    /// Date cell, `YYYY-MM-DD`.
    pub date: String,
}

/// Human name of an HTML list column.
pub(crate) fn column_name(slug: &str) -> &str {
    match slug {
        "qzxtabljg-jytabljg" => "区政协提案办理结果",
        other => other,
    }
}

/// An HTML list page (2020 layout): `table.list` with one row per item.
pub(crate) fn list_page(column: &str, rows: &[ListRow], page: usize, pages: usize) -> String {
    let name = column_name(column);
    let mut out = String::with_capacity(4 * 1024);
    page_start(&mut out, name);
    let _ = writeln!(
        out,
        "  <div class=\"list-wrap\">\n    <h2>{}</h2>\n    <table class=\"list\">",
        escape_html(name)
    );
    for row in rows {
        let _ = writeln!(
            out,
            "      <tr><td class=\"col-20\">{}</td><td class=\"col-30\"><a href=\"{}\" title=\"{}\">{}</a></td><td class=\"col-35\">{}</td><td class=\"col-15\">{}</td></tr>",
            escape_html(&row.index_number),
            escape_html(&row.href),
            escape_html(&row.title),
            escape_html(&row.title),
            escape_html(&row.description),
            escape_html(&row.date),
        );
    }
    out.push_str("    </table>\n    <div class=\"page\">");
    let _ = write!(out, "第{page}页/共{pages}页");
    if page > 1 {
        let prev = if page == 2 {
            "index.html".to_string()
        } else {
            format!("index_{}.html", page - 1)
        };
        let _ = write!(out, " <a href=\"{prev}\">上一页</a>");
    }
    if page < pages {
        let _ = write!(out, " <a href=\"index_{}.html\">下一页</a>", page + 1);
    }
    out.push_str("</div>\n  </div>\n");
    page_end(&mut out);
    out
}

/// The not-found page.
pub(crate) fn not_found_page() -> String {
    let mut out = String::new();
    page_start(&mut out, "页面不存在");
    out.push_str(
        "  <div class=\"error\"><h1>404</h1><p>您访问的页面不存在或已被删除。</p></div>\n",
    );
    page_end(&mut out);
    out
}
