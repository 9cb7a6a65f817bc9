//! The corpus spec: one [`Document`] per page the fixture portal serves.
//!
//! A reply is written once, as a structured [`ReplySpec`]; its HTML (in
//! either layout) and its golden record both come from that spec, so the two
//! cannot drift apart. Pages that are kept as text (the one real reply, whose
//! lines come from the extracted text, and the non-reply documents) use a
//! [`TextSpec`] instead.
//!
//! The same types are the JSON the admin API accepts, so a scripted timeline
//! can post a document it built from scratch.

use chrono::{Datelike, NaiveDate};
use govwire_model::{HandlingCategory, HandlingResult, Proposal, ProposalKind, Reply, ReplyKind};
use serde::{Deserialize, Serialize};

use crate::text;

/// The portal the fixture reproduces; golden records carry it as `portal`.
pub const PORTAL_ID: &str = "shpt";

/// One page of the fixture portal: where it is listed, where it lives, how it
/// is laid out, and what it says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The portal's own id of the page (numeric, growing over time): the list
    /// API's `id` and the file name of the detail URL.
    pub item_id: String,
    /// Where the page is listed: a JSON list API channel id (`3` 区政府文件,
    /// `6` 委办局) or the slug of an HTML list column (`qzxtabljg-jytabljg`).
    pub channel: String,
    /// The column slug in the detail URL (`/zhengwu/<column>/…`).
    pub column: String,
    /// The year part of the detail URL.
    pub url_year: i32,
    /// The opaque number part of the detail URL (not a date; crawlers must not
    /// read meaning into it).
    pub url_node: String,
    /// 发布日期: the list's `display_date` and the metadata block's value.
    pub published_on: NaiveDate,
    /// How the detail page is laid out.
    pub layout: Layout,
    /// The character encoding of the page's bytes on the wire.
    #[serde(default, skip_serializing_if = "PageEncoding::is_utf8")]
    pub encoding: PageEncoding,
    /// Where the page declares its charset, and whether truthfully.
    #[serde(default, skip_serializing_if = "CharsetLabel::is_default")]
    pub charset_label: CharsetLabel,
    /// How list entries point at the page.
    #[serde(default, skip_serializing_if = "Link::is_relative")]
    pub link: Link,
    /// The HTML list's description cell (`td.col-35`); empty when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The portal's metadata block (`.article-info`), shown in the `current`
    /// layout.
    #[serde(default)]
    pub meta: Metadata,
    /// What a parser must make of the page: a reply, or not a reply.
    #[serde(default)]
    pub expect: Expect,
    /// Files the page links (PDF, DOC, DOCX under `corpus/attachments/`,
    /// served at `/files/<file>`); the golden record lists each one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentSpec>,
    /// The document, when it is a reply written as a structured spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplySpec>,
    /// The document, when it is kept as text lines (the real reply, the
    /// non-reply pages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextSpec>,
}

/// The detail-page layouts of `LAYOUTS.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// The official-document layout with the `.article-info` metadata block.
    Current,
    /// The reply layout without a metadata block: everything is in the body.
    BodyOnly,
    /// The 2019 layout: a twelve-field metadata table (`table.xxgk-table`,
    /// label and value in adjacent cells), 成文日期 as a datetime and the
    /// 发文字号 split over three lines, in the table and in the text.
    #[serde(rename = "twelve_field_2019")]
    TwelveField2019,
    /// The 2020 layout of the Hanweb CMS: title in `#ivs_title`, date line in
    /// `#ivs_date`, body in `div#ivs_content`, no metadata block.
    #[serde(rename = "ivs_content_2020")]
    IvsContent2020,
}

impl Layout {
    /// Every layout, for tests that render a document in each.
    pub const ALL: [Layout; 4] = [
        Layout::Current,
        Layout::BodyOnly,
        Layout::TwelveField2019,
        Layout::IvsContent2020,
    ];

    /// Whether the layout shows the portal's metadata (索引号, 主题分类,
    /// 公开属性, 公开主体), which then enters the golden record.
    pub fn shows_metadata(self) -> bool {
        matches!(self, Layout::Current | Layout::TwelveField2019)
    }
}

/// The character encoding of a page's bytes. Older Shanghai government pages
/// were GBK; GB18030 covers the rare characters of personal names GBK lacks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PageEncoding {
    /// UTF-8, as the portal serves today.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// GBK (a spec using it must be representable in GBK).
    #[serde(rename = "gbk")]
    Gbk,
    /// GB18030 (four-byte sequences for characters outside GBK).
    #[serde(rename = "gb18030")]
    Gb18030,
}

impl PageEncoding {
    /// Whether this is the default, UTF-8.
    pub fn is_utf8(&self) -> bool {
        *self == PageEncoding::Utf8
    }

    /// The charset label pages and headers write (`utf-8`, `gbk`, `gb18030`).
    pub fn label(self) -> &'static str {
        match self {
            PageEncoding::Utf8 => "utf-8",
            PageEncoding::Gbk => "gbk",
            PageEncoding::Gb18030 => "gb18030",
        }
    }
}

/// Where a page declares its charset, so parsers meet every case of the
/// web's rules (HTTP charset, then `<meta>`, then detection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CharsetLabel {
    /// In the HTTP `Content-Type` header and in a `<meta charset>` (the
    /// portal today).
    #[default]
    Both,
    /// In the HTTP header only.
    Http,
    /// In a `<meta charset>` only; the header says `text/html`.
    Meta,
    /// Nowhere: the reader must detect it.
    None,
    /// A lie: header and `<meta>` say `utf-8` whatever the bytes are (a
    /// server default over GBK files). Only meaningful for GBK and GB18030.
    LyingUtf8,
}

impl CharsetLabel {
    /// Whether this is the default (both, truthful).
    pub fn is_default(&self) -> bool {
        *self == CharsetLabel::Both
    }
}

/// A page as the server sends it: the `Content-Type` header and the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedPage {
    /// The `Content-Type` header, consistent with the document's
    /// [`CharsetLabel`].
    pub content_type: String,
    /// The page's bytes in the document's [`PageEncoding`].
    pub body: Vec<u8>,
}

/// How the list entries point at a page, so crawlers meet every URL form the
/// real portal uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// A site-relative path (the usual case).
    #[default]
    Relative,
    /// An absolute URL on the fixture's own host.
    Absolute,
    /// An absolute URL on another host: listed, never served here, not ours to
    /// fetch.
    External(String),
}

impl Link {
    /// Whether this is the default, site-relative form.
    pub fn is_relative(&self) -> bool {
        matches!(self, Link::Relative)
    }
}

/// What a parser must decide about a page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// The page is a reply and has a golden record.
    #[default]
    Reply,
    /// The page is something else (a notice, a news item, a normative
    /// document) and must take the parser's not-a-reply path.
    NotAReply,
}

/// The portal's metadata block. Each value is optional: an unknown value
/// renders as an empty value span, and the golden record holds `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Metadata {
    /// 索引号.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_number: Option<String>,
    /// 主题分类.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// 公开属性 as the metadata block shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disclosure: Option<String>,
    /// 公开主体.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
    /// 成文日期 cell as shown; for a structured reply it defaults to the signed
    /// date (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_on: Option<String>,
    /// 发文字号 cell as shown; for a structured reply it defaults to the doc
    /// number as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
}

/// A value as the page writes it and as the record normalizes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Written {
    /// As on the page (stray spaces, odd brackets kept).
    pub written: String,
    /// As the golden record holds it.
    pub normalized: String,
}

/// A date as the page writes it and the day it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrittenDate {
    /// As on the page (`2019年 10月14日`, `2026年07月03日`).
    pub written: String,
    /// The day (`YYYY-MM-DD`).
    pub date: NaiveDate,
}

/// Where the `办理结果：…` line sits in the text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultLine {
    /// First line of the text, before the banner (as on the real reply).
    #[default]
    Top,
    /// Right after the addressee line (common in the body-only layout).
    AfterAddressee,
}

/// One paragraph of the body: whole, or split in two (or more) lines where a
/// page broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Paragraph {
    /// A paragraph on one line.
    Whole(String),
    /// A paragraph broken by a page: each part is its own line on the page;
    /// the golden record joins them without a space.
    Split {
        /// The parts, in order; all but the last end without sentence-final
        /// punctuation.
        page_break: Vec<String>,
    },
}

impl Paragraph {
    /// The paragraph as the golden record holds it (parts joined).
    pub fn joined(&self) -> String {
        match self {
            Paragraph::Whole(text) => text.clone(),
            Paragraph::Split { page_break } => page_break.concat(),
        }
    }

    /// The paragraph as lines on the page.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Paragraph::Whole(text) => vec![text.clone()],
            Paragraph::Split { page_break } => page_break.clone(),
        }
    }
}

/// A section of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionSpec {
    /// The heading line (`一、工作推进情况`); absent for text before the first
    /// heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The paragraphs, in order; the closing courtesy ends the last section.
    pub paragraphs: Vec<Paragraph>,
}

/// The contact block (附注) as the page writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    /// The label before the name, colon included (`联系人：`, or
    /// `联系人姓名:` as some units write it).
    #[serde(default = "default_name_label")]
    pub name_label: String,
    /// 联系人.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 联系电话.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 联系地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 邮政编码 (often absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
}

fn default_name_label() -> String {
    "联系人：".into()
}

/// The printing line pair (印发机关, `…印发`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Printed {
    /// 印发机关.
    pub by: String,
    /// 印发日期, written and as a day.
    pub on: WrittenDate,
}

/// A reply written as a structured spec, element by element after GB/T
/// 9704-2012.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplySpec {
    /// 答复, 会办意见 or 再次答复.
    pub kind: ReplyKind,
    /// 办理结果 as written (`部分采纳`); absent on documents that carry none
    /// (co-handling opinions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_result: Option<String>,
    /// Where the 办理结果 line sits.
    #[serde(default)]
    pub handling_result_line: ResultLine,
    /// A `公开属性：…` line at the top of the text, as on the real reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_line: Option<String>,
    /// 发文机关标志 (`上海市普陀区人民政府文件`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    /// 发文字号, written and normalized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<Written>,
    /// 签发人, written as a `签发人：…` line after the doc number (rare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// Whether `签发人：…` shares the doc number's line (`普府〔2022〕55号
    /// 签发人：…`, as GB/T 9704 lays out documents to a higher organ) instead
    /// of standing on its own line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub signer_beside_number: bool,
    /// 标题, written (maybe with a stray space) and normalized.
    pub title: Written,
    /// 主送 without the colon (`许鸿蕨代表`, `区建管委`, `真如镇街道`).
    pub addressee: String,
    /// The suggestion or proposal, as the golden record holds it.
    pub proposal: Proposal,
    /// 正文.
    pub sections: Vec<SectionSpec>,
    /// 附件说明 lines as written, between the body and the signature
    /// (`附件：1. …`, then `2. …`); the golden record keeps each line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_notes: Vec<String>,
    /// 发文机关署名.
    pub signatory: String,
    /// 成文日期.
    pub signed: WrittenDate,
    /// 附注 lines other than the contact block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The contact block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ContactSpec>,
    /// 抄送机关, one per entry; rendered `抄送：A，B。`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// 印发机关和印发日期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed: Option<Printed>,
}

/// A file a page links, as `LAYOUTS.md` ("Attachments") renders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSpec {
    /// The link text; the golden record lists it as the attachment's name.
    pub name: String,
    /// The file under `corpus/attachments/`, served at `/files/<file>`.
    pub file: String,
    /// Whether the reply's text is only in this file (as on pages that show
    /// a title and a link to the signed PDF): the page then carries no text
    /// of its own, and the [`ReplySpec`] describes the file's text, which
    /// must be exactly its lines in the `current` layout.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub holds_reply: bool,
}

/// A page kept as text lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    /// The `<h1>` title, as the page shows it.
    pub title: String,
    /// The body lines, one `<p>` each.
    #[serde(default)]
    pub lines: Vec<String>,
    /// A text file (relative to the spec) whose non-empty lines are the body
    /// lines; resolved when the corpus loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A JSON file (relative to the spec) holding the golden record; resolved
    /// when the corpus loads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The golden record, for a text page that is a reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub golden: Option<Box<Reply>>,
}

impl Document {
    /// The portal's own id of the page.
    pub fn item_id(&self) -> &str {
        &self.item_id
    }

    /// The detail page's site-relative path:
    /// `/zhengwu/<column>/<YYYY>/<N>/<item id>.html`.
    pub fn path(&self) -> String {
        format!(
            "/zhengwu/{}/{}/{}/{}.html",
            self.column, self.url_year, self.url_node, self.item_id
        )
    }

    /// The attachment the reply's text is in, when the page itself shows
    /// only a title and links.
    pub fn reply_attachment(&self) -> Option<&AttachmentSpec> {
        self.attachments.iter().find(|a| a.holds_reply)
    }

    /// Whether the page is a reply (has a golden record).
    pub fn is_reply(&self) -> bool {
        self.expect == Expect::Reply
    }

    /// Whether the fixture serves the detail page itself (an external list
    /// entry is only listed).
    pub fn is_served(&self) -> bool {
        !matches!(self.link, Link::External(_))
    }

    /// The title as the page's `<h1>` and the list show it.
    pub fn title(&self) -> &str {
        match (&self.reply, &self.text) {
            (Some(reply), _) => &reply.title.written,
            (None, Some(text)) => &text.title,
            (None, None) => "",
        }
    }

    /// Sets 办理结果 (line and golden record). A value outside the contract's
    /// vocabulary gives a golden record with category `null` and a warning.
    pub fn set_handling_result(&mut self, raw: impl Into<String>) {
        let raw = raw.into();
        if let Some(reply) = &mut self.reply {
            reply.handling_result = Some(raw);
            return;
        }
        if let Some(text) = &mut self.text {
            let line = format!("办理结果：{raw}");
            match text.lines.iter().position(|l| l.starts_with("办理结果：")) {
                Some(i) => text.lines[i] = line,
                None => text.lines.insert(0, line),
            }
            if let Some(golden) = &mut text.golden {
                set_golden_handling_result(golden, Some(&raw));
            }
        }
    }

    /// Removes 办理结果 (line and golden record).
    pub fn clear_handling_result(&mut self) {
        if let Some(reply) = &mut self.reply {
            reply.handling_result = None;
            return;
        }
        if let Some(text) = &mut self.text {
            text.lines.retain(|l| !l.starts_with("办理结果："));
            if let Some(golden) = &mut text.golden {
                set_golden_handling_result(golden, None);
            }
        }
    }

    /// 抄送, one organ per entry.
    pub fn cc(&self) -> Vec<String> {
        match (&self.reply, &self.text) {
            (Some(reply), _) => reply.cc.clone(),
            (None, Some(text)) => text
                .lines
                .iter()
                .find(|l| l.starts_with("抄送："))
                .map(|l| split_cc_line(l))
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        }
    }

    /// Replaces 抄送 (line and golden record); an empty list removes the line.
    pub fn set_cc(&mut self, orgs: Vec<String>) {
        if let Some(reply) = &mut self.reply {
            reply.cc = orgs;
            return;
        }
        let Some(text) = &mut self.text else { return };
        let existing = text.lines.iter().position(|l| l.starts_with("抄送："));
        match (existing, orgs.is_empty()) {
            (Some(i), true) => {
                text.lines.remove(i);
            }
            (Some(i), false) => text.lines[i] = cc_line(&orgs),
            (None, true) => {}
            (None, false) => {
                let printed_by = text.golden.as_ref().and_then(|g| g.printed_by.clone());
                let at = printed_by
                    .and_then(|p| text.lines.iter().rposition(|l| *l == p))
                    .unwrap_or(text.lines.len());
                text.lines.insert(at, cc_line(&orgs));
            }
        }
        if let Some(golden) = &mut text.golden {
            golden.cc = orgs;
        }
    }

    /// Adds one organ to 抄送 (line and golden record).
    pub fn push_cc(&mut self, org: impl Into<String>) {
        let mut orgs = self.cc();
        orgs.push(org.into());
        self.set_cc(orgs);
    }

    /// Replaces the title as written; the golden title is its normalized form.
    pub fn set_title(&mut self, written: impl Into<String>) {
        let written = written.into();
        if let Some(reply) = &mut self.reply {
            reply.title = Written {
                normalized: text::normalize_title(&written),
                written,
            };
            return;
        }
        let Some(spec) = &mut self.text else { return };
        if let Some(i) = spec.lines.iter().position(|l| *l == spec.title) {
            spec.lines[i] = written.clone();
        }
        if let Some(golden) = &mut spec.golden {
            golden.title = text::normalize_title(&written);
        }
        spec.title = written;
    }

    /// Adds a paragraph at the end of the body's last section, before the
    /// closing courtesy (`感谢…`) when there is one.
    pub fn add_paragraph(&mut self, paragraph: impl Into<String>) {
        let paragraph = paragraph.into();
        if let Some(reply) = &mut self.reply {
            match reply.sections.last_mut() {
                Some(section) => {
                    let at = courtesy_index(&section.paragraphs);
                    section.paragraphs.insert(at, Paragraph::Whole(paragraph));
                }
                None => reply.sections.push(SectionSpec {
                    heading: None,
                    paragraphs: vec![Paragraph::Whole(paragraph)],
                }),
            }
            return;
        }
        let Some(spec) = &mut self.text else { return };
        let mut at = spec.lines.len();
        if let Some(golden) = &mut spec.golden {
            if let Some(section) = golden.body.sections.last_mut() {
                let courtesy = section
                    .paragraphs
                    .iter()
                    .rposition(|p| p.starts_with("感谢"));
                match courtesy {
                    Some(c) => {
                        if let Some(line) =
                            spec.lines.iter().rposition(|l| *l == section.paragraphs[c])
                        {
                            at = line;
                        }
                        section.paragraphs.insert(c, paragraph.clone());
                    }
                    None => {
                        if let Some(line) = golden
                            .signatory
                            .as_ref()
                            .and_then(|s| spec.lines.iter().rposition(|l| l == s))
                        {
                            at = line;
                        }
                        section.paragraphs.push(paragraph.clone());
                    }
                }
            }
        }
        spec.lines.insert(at, paragraph);
    }

    /// Moves the page's publication date (the list's `display_date`).
    pub fn set_published_on(&mut self, date: NaiveDate) {
        self.published_on = date;
    }

    /// The golden record of the page in its own layout; `None` for pages that
    /// are not replies.
    pub fn golden(&self) -> Option<Reply> {
        self.golden_as(self.layout)
    }

    /// The golden record of the page rendered in `layout`: in the `current`
    /// layout `index_number`, `topic`, `publisher` and `disclosure` come from
    /// the metadata block; in `body_only` only what the text carries.
    pub fn golden_as(&self, layout: Layout) -> Option<Reply> {
        if !self.is_reply() {
            return None;
        }
        let mut golden = match (&self.reply, &self.text) {
            (Some(reply), _) => crate::golden::reply_record(self, reply, layout),
            (None, Some(text)) => {
                let mut golden = text.golden.as_deref()?.clone();
                if layout.shows_metadata() {
                    golden.index_number = self.meta.index_number.clone();
                    golden.topic = self.meta.topic.clone();
                    golden.publisher = self.meta.publisher.clone();
                    if self.meta.disclosure.is_some() {
                        golden.disclosure = self.meta.disclosure.clone();
                    }
                }
                golden
            }
            (None, None) => return None,
        };
        // What a reader must say about the bytes comes first: it is found
        // before anything else on the page; then that the text came from an
        // attachment, which is decided before the text is read.
        let mut warnings = crate::golden::encoding_warnings(self);
        warnings.extend(crate::golden::attachment_warnings(self));
        warnings.append(&mut golden.warnings);
        golden.attachments = crate::golden::attachment_records(self);
        golden.warnings = warnings;
        Some(golden)
    }

    /// The page's text lines in `layout`, one `<p>` each. When the reply's
    /// text is only in an attachment, the page's lines are its links' texts
    /// (each `<p>` holds one link).
    pub fn lines_as(&self, layout: Layout) -> Vec<String> {
        if self.reply_attachment().is_some() {
            return self.attachments.iter().map(|a| a.name.clone()).collect();
        }
        match (&self.reply, &self.text) {
            (Some(reply), _) => crate::render::reply_lines(self, reply, layout),
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
        crate::render::detail_page(self, layout)
    }

    /// The detail page as the server sends it, in its own layout: bytes in
    /// the document's encoding and the `Content-Type` its label calls for.
    pub fn served(&self) -> ServedPage {
        self.served_as(self.layout)
    }

    /// The detail page as the server sends it, rendered in `layout`.
    pub fn served_as(&self, layout: Layout) -> ServedPage {
        crate::render::served_page(self, layout)
    }

    /// A small non-reply page (a news item) for tests and demos that need
    /// many list entries: `item_id` and `published_on` set the list order.
    pub fn news_item(
        item_id: impl Into<String>,
        channel: impl Into<String>,
        published_on: NaiveDate,
        title: impl Into<String>,
    ) -> Document {
        let item_id = item_id.into();
        let title = title.into();
        Document {
            column: "zwdt-qjdt".into(),
            url_year: published_on.year(),
            url_node: "1".into(),
            channel: channel.into(),
            published_on,
            layout: Layout::BodyOnly,
            encoding: PageEncoding::Utf8,
            charset_label: CharsetLabel::Both,
            link: Link::Relative,
            description: None,
            meta: Metadata::default(),
            expect: Expect::NotAReply,
            attachments: Vec::new(),
            reply: None,
            text: Some(TextSpec {
                lines: vec![
                    format!("{} 来源: 上海普陀", published_on.format("%Y年%m月%d日")),
                    format!("{title}。"),
                ],
                title,
                file: None,
                expected: None,
                golden: None,
            }),
            item_id,
        }
    }
}

/// A small edit, as the admin API's `PATCH /_admin/documents/{id}` takes it
/// (`{"handling_result": "部分采纳"}`). Fields left out are not touched.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    /// New 办理结果 as written; `null` removes it.
    #[serde(
        default,
        deserialize_with = "some_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub handling_result: Option<Option<String>>,
    /// New title as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New 抄送 list (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<Vec<String>>,
    /// One organ added to 抄送.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_cc: Option<String>,
    /// A paragraph added at the end of the body, before the closing courtesy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_paragraph: Option<String>,
    /// New 发布日期.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_on: Option<NaiveDate>,
}

/// Present-but-null becomes `Some(None)`, so a patch can remove a value.
fn some_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl DocumentPatch {
    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &DocumentPatch::default()
    }

    /// Applies the patch to `doc`.
    pub fn apply(&self, doc: &mut Document) {
        match &self.handling_result {
            Some(Some(raw)) => doc.set_handling_result(raw.clone()),
            Some(None) => doc.clear_handling_result(),
            None => {}
        }
        if let Some(title) = &self.title {
            doc.set_title(title.clone());
        }
        if let Some(cc) = &self.cc {
            doc.set_cc(cc.clone());
        }
        if let Some(org) = &self.push_cc {
            doc.push_cc(org.clone());
        }
        if let Some(paragraph) = &self.add_paragraph {
            doc.add_paragraph(paragraph.clone());
        }
        if let Some(date) = self.published_on {
            doc.set_published_on(date);
        }
    }
}

fn courtesy_index(paragraphs: &[Paragraph]) -> usize {
    match paragraphs.last() {
        Some(last) if last.joined().starts_with("感谢") => paragraphs.len() - 1,
        _ => paragraphs.len(),
    }
}

fn set_golden_handling_result(golden: &mut Reply, raw: Option<&str>) {
    golden
        .warnings
        .retain(|w| w.field != "handling_result.category");
    golden.handling_result = raw.map(|raw| {
        let category = HandlingCategory::from_raw(raw);
        if category.is_none() {
            golden.warnings.push(govwire_model::Warning::new(
                "handling_result.category",
                format!("办理结果 `{raw}` is not in the vocabulary."),
            ));
        }
        HandlingResult {
            raw: raw.to_string(),
            category,
        }
    });
}

/// The organs of a `抄送：A，B。` line.
fn split_cc_line(line: &str) -> Vec<String> {
    line.trim_start_matches("抄送：")
        .trim_end_matches('。')
        .split(['，', '、'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// The `抄送：A，B。` line for `orgs`.
pub(crate) fn cc_line(orgs: &[String]) -> String {
    format!("抄送：{}。", orgs.join("，"))
}

impl ReplySpec {
    /// Problems that make the spec disagree with itself or with the
    /// contract's rules; empty when it is sound.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let p = &self.proposal;
        if self.title.normalized != text::normalize_title(&self.title.written) {
            out.push(format!(
                "title.normalized `{}` is not the normalized form of `{}`",
                self.title.normalized, self.title.written
            ));
        }
        if let Some(number) = &self.doc_number {
            match text::normalize_doc_number(&number.written) {
                Some(n) if n == number.normalized => {}
                Some(n) => out.push(format!(
                    "doc_number.normalized `{}` should be `{n}`",
                    number.normalized
                )),
                None => out.push(format!(
                    "doc_number.written `{}` is not shaped like a doc number",
                    number.written
                )),
            }
        }
        if text::parse_written_date(&self.signed.written) != Some(self.signed.date) {
            out.push(format!(
                "signed.written `{}` does not say {}",
                self.signed.written, self.signed.date
            ));
        }
        if let Some(printed) = &self.printed {
            if text::parse_written_date(&printed.on.written) != Some(printed.on.date) {
                out.push(format!(
                    "printed.on.written `{}` does not say {}",
                    printed.on.written, printed.on.date
                ));
            }
        }
        if let Some(raw) = &self.handling_result {
            if HandlingCategory::from_raw(raw).is_none() {
                out.push(format!("handling_result `{raw}` is not in the vocabulary"));
            }
        }
        if self.addressee.is_empty() || self.addressee.ends_with('：') {
            out.push("addressee must be non-empty and without its colon".into());
        }
        let title = &self.title.normalized;
        let kind_ok = match self.kind {
            ReplyKind::Answer => {
                title.ends_with("答复") && !title.contains("再次") && !title.contains("跟踪")
            }
            ReplyKind::CoHandlingOpinion => title.contains("会办意见"),
            ReplyKind::FollowUp => title.contains("再次答复") || title.contains("跟踪办理"),
        };
        if !kind_ok {
            out.push(format!(
                "title `{title}` does not say reply kind {:?}",
                self.kind
            ));
        }
        // Sections and paragraphs follow the body rules, so a parser that
        // applies them finds exactly this body.
        match self.sections.first() {
            None => out.push("the body has no sections".into()),
            Some(first) if first.heading.is_some() => {
                out.push("the first section must be the opening (no heading)".into())
            }
            Some(_) => {}
        }
        for (i, section) in self.sections.iter().enumerate() {
            if i > 0 {
                match &section.heading {
                    Some(h) if text::is_heading(h) => {}
                    other => out.push(format!("section {i} heading {other:?} is not `一、…`")),
                }
            }
            if section.paragraphs.is_empty() {
                out.push(format!("section {i} has no paragraphs"));
            }
            for paragraph in &section.paragraphs {
                let lines = paragraph.lines();
                if let Paragraph::Split { page_break } = paragraph {
                    if page_break.len() < 2 {
                        out.push("a page_break paragraph needs at least two parts".into());
                    }
                }
                for (j, line) in lines.iter().enumerate() {
                    let last = j + 1 == lines.len();
                    if line.trim().is_empty() || line.contains('\n') {
                        out.push(format!("section {i}: an empty or multi-line paragraph"));
                    }
                    if text::is_heading(line) {
                        out.push(format!(
                            "section {i}: paragraph `{line}` looks like a heading"
                        ));
                    }
                    if last && !text::ends_sentence(line) {
                        out.push(format!(
                            "section {i}: paragraph `{line}` ends without sentence-final punctuation (a parser would join it to the next)"
                        ));
                    }
                    if !last && text::ends_sentence(line) {
                        out.push(format!(
                            "section {i}: page-break part `{line}` ends with sentence-final punctuation (a parser could not rejoin it)"
                        ));
                    }
                }
            }
        }
        let opening: String = self
            .sections
            .first()
            .and_then(|s| s.paragraphs.first())
            .map(|p| p.joined())
            .unwrap_or_default();
        let compact = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let opening_c = compact(&opening);
        let title_c = compact(&self.title.written);
        if let Some(subject) = &p.subject {
            if !opening.contains(&format!("“{subject}”"))
                && !opening.contains(&format!("《{subject}》"))
            {
                out.push(format!(
                    "the opening does not quote the subject `{subject}` in “” or 《》"
                ));
            }
        }
        if let Some(meeting) = &p.meeting {
            if !title_c.contains(meeting.as_str()) && !opening_c.contains(meeting.as_str()) {
                out.push(format!(
                    "meeting `{meeting}` is neither in the title nor in the opening"
                ));
            }
            let (term, session) = text::meeting_term_session(meeting);
            if (term, session) != (p.term, p.session) {
                out.push(format!(
                    "meeting `{meeting}` says term {term:?} session {session:?}, spec says {:?} {:?}",
                    p.term, p.session
                ));
            }
            let level = if meeting.starts_with('市') || meeting.starts_with("上海市") {
                Some(govwire_model::Level::Municipal)
            } else if meeting.starts_with('区') || meeting.starts_with("普陀区") {
                Some(govwire_model::Level::District)
            } else {
                None
            };
            if level != p.level {
                out.push(format!(
                    "meeting `{meeting}` says level {level:?}, spec says {:?}",
                    p.level
                ));
            }
            let kind = if meeting.contains("人大") || meeting.contains("人民代表大会") {
                Some(ProposalKind::DeputySuggestion)
            } else if meeting.contains("政协") {
                Some(ProposalKind::MemberProposal)
            } else {
                None
            };
            if kind != p.kind {
                out.push(format!(
                    "meeting `{meeting}` says kind {kind:?}, spec says {:?}",
                    p.kind
                ));
            }
        }
        if let Some(number) = &p.number {
            if !title_c.contains(number.as_str()) && !opening_c.contains(number.as_str()) {
                out.push(format!(
                    "number `{number}` is neither in the title nor in the opening"
                ));
            }
        }
        for proposer in &p.proposers {
            if !self.addressee.contains(proposer.as_str()) && !opening.contains(proposer.as_str()) {
                out.push(format!(
                    "proposer `{proposer}` is neither the addressee nor named in the opening"
                ));
            }
        }
        if let Some(n) = p.co_proposers {
            let says = |written: &str| {
                ["名", "位"]
                    .iter()
                    .any(|unit| opening.contains(&format!("其他{written}{unit}")))
            };
            let han = text::chinese_numeral(n);
            if !says(&n.to_string()) && !han.as_deref().is_some_and(says) {
                out.push(format!(
                    "co_proposers {n}: the opening does not say `其他{n}名` (or in Chinese numerals)"
                ));
            }
        }
        for (i, line) in self.attachment_notes.iter().enumerate() {
            let ok = if i == 0 {
                line.starts_with("附件") && line.chars().take(5).any(|c| c == '：' || c == ':')
            } else {
                text::is_numbered_item(line) && !text::ends_sentence(line)
            };
            if !ok {
                out.push(format!(
                    "attachment note `{line}`: the first must be `附件：…`, the rest `2. …` without final punctuation"
                ));
            }
        }
        if self.signer_beside_number && (self.signer.is_none() || self.doc_number.is_none()) {
            out.push("signer_beside_number needs both a signer and a doc number".into());
        }
        if self.kind == ReplyKind::CoHandlingOpinion {
            let all: String = self
                .sections
                .iter()
                .flat_map(|s| &s.paragraphs)
                .map(Paragraph::joined)
                .collect();
            if !all.contains("以上意见供你单位统一答复") {
                out.push(
                    "a co-handling opinion must say `以上意见供你单位统一答复…时参考。`".into(),
                );
            }
        }
        out
    }
}

impl Document {
    /// Problems with the linked files: each must be a served file with a
    /// name, at most one holds the reply, and that one's text must be the
    /// reply spec's lines exactly.
    fn attachment_problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for spec in &self.attachments {
            if spec.name.trim().is_empty() {
                out.push(format!("attachment `{}` needs a name", spec.file));
            }
            if crate::attachments::attachment(&spec.file).is_none() {
                out.push(format!(
                    "attachment `{}` is not a file under corpus/attachments/",
                    spec.file
                ));
            }
        }
        if self.attachments.iter().filter(|a| a.holds_reply).count() > 1 {
            out.push("at most one attachment can hold the reply".into());
        }
        let Some(holder) = self.reply_attachment() else {
            return out;
        };
        let Some(reply) = &self.reply else {
            out.push("an attachment that holds the reply needs a [reply] spec".into());
            return out;
        };
        if let Some(file) = crate::attachments::attachment(&holder.file) {
            let expected = crate::render::reply_lines(self, reply, Layout::Current);
            let actual = crate::corpus::text_lines(file.text);
            if let Some(at) =
                (0..expected.len().max(actual.len())).find(|&i| expected.get(i) != actual.get(i))
            {
                out.push(format!(
                    "attachment `{}` line {} is `{}`, the reply spec says `{}`",
                    holder.file,
                    at + 1,
                    actual.get(at).map_or("(none)", String::as_str),
                    expected.get(at).map_or("(none)", String::as_str),
                ));
            }
        }
        out
    }

    /// Problems that would make the page or its golden record wrong; empty
    /// when the document is sound. The embedded corpus has none, and the admin
    /// API refuses a document that has any.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.item_id.is_empty() || !self.item_id.chars().all(|c| c.is_ascii_digit()) {
            out.push(format!(
                "item_id `{}` must be a numeric string",
                self.item_id
            ));
        }
        let slug_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !slug_ok(&self.column) {
            out.push(format!("column `{}` must be a lowercase slug", self.column));
        }
        if !slug_ok(&self.channel) {
            out.push(format!(
                "channel `{}` must be a channel id or a lowercase column slug",
                self.channel
            ));
        }
        if self.url_node.is_empty() || !self.url_node.chars().all(|c| c.is_ascii_digit()) {
            out.push(format!("url_node `{}` must be numeric", self.url_node));
        }
        if !(1990..=2100).contains(&self.url_year) {
            out.push(format!(
                "url_year {} is not a plausible year",
                self.url_year
            ));
        }
        if self.charset_label == CharsetLabel::LyingUtf8 && self.encoding == PageEncoding::Utf8 {
            out.push("charset_label `lying_utf8` needs a non-UTF-8 encoding to lie about".into());
        }
        if self.encoding == PageEncoding::Gbk {
            for layout in Layout::ALL {
                if let Some(c) = crate::render::first_unmappable_in_gbk(&self.render_as(layout)) {
                    out.push(format!(
                        "encoding `gbk` cannot represent `{c}` (use `gb18030`)"
                    ));
                    break;
                }
            }
        }
        if let Link::External(url) = &self.link {
            if !url.starts_with("https://") && !url.starts_with("http://") {
                out.push(format!(
                    "external link `{url}` must be an absolute http(s) URL"
                ));
            }
        }
        out.extend(self.attachment_problems());
        match (&self.reply, &self.text) {
            (Some(reply), None) => {
                if self.expect != Expect::Reply {
                    out.push("a [reply] document must expect `reply`".into());
                }
                out.extend(reply.problems());
                if let (Some(meta), Some(line)) = (&self.meta.disclosure, &reply.disclosure_line) {
                    if meta != line {
                        out.push(format!(
                            "meta.disclosure `{meta}` disagrees with the text's 公开属性 `{line}`"
                        ));
                    }
                }
            }
            (None, Some(text)) => {
                if text.title.trim().is_empty() {
                    out.push("text.title is empty".into());
                }
                if self.is_served() && text.lines.is_empty() {
                    out.push(
                        "a served text page needs lines (or a `file` resolved at load)".into(),
                    );
                }
                if text
                    .lines
                    .iter()
                    .any(|l| l.trim().is_empty() || l.contains('\n'))
                {
                    out.push("text lines must be non-empty single lines".into());
                }
                match (self.expect, &text.golden) {
                    (Expect::Reply, None) => {
                        out.push("a text page that expects `reply` needs a golden record".into())
                    }
                    (Expect::NotAReply, Some(_)) => {
                        out.push("a `not_a_reply` page cannot have a golden record".into())
                    }
                    _ => {}
                }
                if let Some(golden) = &text.golden {
                    if golden.portal != PORTAL_ID {
                        out.push(format!(
                            "golden portal `{}` is not `{PORTAL_ID}`",
                            golden.portal
                        ));
                    }
                }
            }
            (Some(_), Some(_)) => {
                out.push("a document has either [reply] or [text], not both".into())
            }
            (None, None) => out.push("a document needs [reply] or [text]".into()),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use govwire_model::HandlingCategory;

    use super::*;

    fn doc(item_id: &str) -> Document {
        crate::corpus()
            .into_iter()
            .find(|d| d.item_id == item_id)
            .unwrap_or_else(|| panic!("corpus document {item_id}"))
    }

    fn structured() -> Document {
        doc("192466")
    }

    fn real() -> Document {
        doc("160455")
    }

    fn golden(doc: &Document) -> Reply {
        doc.golden().expect("a reply has a golden record")
    }

    #[test]
    fn a_page_break_part_that_ends_a_sentence_is_reported() {
        let mut d = structured();
        let reply = d.reply.as_mut().expect("structured");
        reply.sections[1].paragraphs.push(Paragraph::Split {
            page_break: vec!["前半句。".into(), "后半句。".into()],
        });
        let problems = d.problems();
        assert!(
            problems.iter().any(|p| p.contains("page-break part")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_reply_spec_that_disagrees_with_the_attachment_holding_its_text_is_reported() {
        let mut d = doc("204610");
        assert!(d.problems().is_empty(), "{:?}", d.problems());
        d.set_handling_result("部分采纳");
        let problems = d.problems();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("line 1") && p.contains("办理结果：解决采纳")),
            "{problems:?}"
        );
        let mut d = doc("204610");
        d.attachments[0].file = "missing.pdf".into();
        assert!(d
            .problems()
            .iter()
            .any(|p| p.contains("not a file under corpus/attachments/")));
    }

    #[test]
    fn a_page_whose_reply_is_in_an_attachment_shows_only_its_title_and_links() {
        let d = doc("204610");
        let golden = golden(&d);
        for layout in Layout::ALL {
            let html = d.render_as(layout);
            assert!(
                html.contains("<p><a href=\"/files/pugzj-2026-18.pdf\">答复全文</a></p>"),
                "{layout:?}"
            );
            assert!(!html.contains("王建国代表"), "{layout:?}");
        }
        assert_eq!(golden.attachments.len(), 1);
        assert_eq!(golden.attachments[0].url, "/files/pugzj-2026-18.pdf");
        assert!(golden.attachments[0]
            .text
            .as_deref()
            .is_some_and(|t| t.contains("王建国代表：")));
        assert_eq!(golden.warnings.len(), 1);
        assert_eq!(golden.warnings[0].field, "body");
        assert_eq!(golden.addressee.as_deref(), Some("王建国代表"));
    }

    #[test]
    fn a_page_with_text_of_its_own_links_its_attachments_after_the_text() {
        let d = doc("204655");
        for layout in Layout::ALL {
            let html = d.render_as(layout);
            let link = html
                .find("<p>附件：<a href=\"/files/pumz-2026-33-table.docx\">")
                .unwrap_or_else(|| panic!("no link in {layout:?}"));
            let signatory = html.find("<p>上海市普陀区民政局</p>").expect("signatory");
            assert!(signatory < link, "{layout:?}");
        }
        let golden = golden(&d);
        assert_eq!(golden.attachments.len(), 1);
        assert_eq!(
            golden.attachments[0].sha256.as_deref().map(str::len),
            Some(64)
        );
        assert!(golden.warnings.is_empty());
    }

    #[test]
    fn a_paragraph_without_final_punctuation_is_reported() {
        let mut d = structured();
        let reply = d.reply.as_mut().expect("structured");
        reply.sections[1]
            .paragraphs
            .push(Paragraph::Whole("没有句号".into()));
        assert!(d
            .problems()
            .iter()
            .any(|p| p.contains("without sentence-final")));
    }

    #[test]
    fn a_wrongly_normalized_doc_number_or_title_is_reported() {
        let mut d = structured();
        let reply = d.reply.as_mut().expect("structured");
        reply.doc_number = Some(Written {
            written: "普府[2025]19号".into(),
            normalized: "普府[2025]19号".into(),
        });
        reply.title.normalized = reply.title.written.clone();
        let problems = d.problems();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("should be `普府〔2025〕19号`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("title.normalized")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_meeting_that_disagrees_with_term_and_session_is_reported() {
        let mut d = structured();
        d.reply.as_mut().expect("structured").proposal.session = Some(5);
        assert!(d
            .problems()
            .iter()
            .any(|p| p.contains("term Some(17) session Some(4)")));
    }

    #[test]
    fn setting_the_handling_result_changes_page_and_golden_together() {
        for mut d in [structured(), real()] {
            d.set_handling_result("部分采纳");
            let g = golden(&d);
            let result = g.handling_result.expect("set");
            assert_eq!(result.raw, "部分采纳");
            assert_eq!(result.category, Some(HandlingCategory::PartiallyAdopted));
            let lines = d.lines_as(d.layout);
            assert_eq!(
                lines.iter().filter(|l| l.starts_with("办理结果：")).count(),
                1
            );
            assert!(lines.contains(&"办理结果：部分采纳".to_string()));
            assert!(d.render().contains("<p>办理结果：部分采纳</p>"));
        }
    }

    #[test]
    fn an_unknown_handling_result_gives_a_null_category_and_a_warning() {
        for mut d in [structured(), real()] {
            d.set_handling_result("另行研究");
            let g = golden(&d);
            assert_eq!(g.handling_result.and_then(|h| h.category), None);
            assert_eq!(g.warnings.len(), 1);
            assert_eq!(g.warnings[0].field, "handling_result.category");
        }
    }

    #[test]
    fn clearing_the_handling_result_removes_line_and_value() {
        for mut d in [structured(), real()] {
            d.clear_handling_result();
            assert_eq!(golden(&d).handling_result, None);
            assert!(!d
                .lines_as(d.layout)
                .iter()
                .any(|l| l.starts_with("办理结果")));
        }
    }

    #[test]
    fn pushing_a_cc_rewrites_the_cc_line_and_the_record() {
        let mut d = real();
        d.push_cc("区人大常委会");
        let g = golden(&d);
        assert_eq!(
            g.cc,
            vec![
                "市政府办公厅建议提案处",
                "市人大常委会代表工作委员会",
                "区人大常委会"
            ]
        );
        assert!(d.lines_as(d.layout).contains(
            &"抄送：市政府办公厅建议提案处，市人大常委会代表工作委员会，区人大常委会。".to_string()
        ));

        let mut d = doc("179342");
        assert!(golden(&d).cc.is_empty());
        d.push_cc("市卫生健康委");
        assert_eq!(golden(&d).cc, vec!["市卫生健康委"]);
        assert!(d
            .lines_as(d.layout)
            .contains(&"抄送：市卫生健康委。".to_string()));
    }

    #[test]
    fn a_cc_line_added_to_a_text_reply_goes_before_the_printing_lines() {
        let mut d = real();
        d.set_cc(Vec::new());
        assert!(golden(&d).cc.is_empty());
        assert!(!d.lines_as(d.layout).iter().any(|l| l.starts_with("抄送")));
        d.push_cc("区政府办公室");
        let lines = d.lines_as(d.layout);
        let n = lines.len();
        assert_eq!(lines[n - 3], "抄送：区政府办公室。");
        assert_eq!(lines[n - 2], "上海市普陀区人民政府办公室");
    }

    #[test]
    fn an_added_paragraph_goes_before_the_closing_courtesy() {
        for mut d in [structured(), real()] {
            d.add_paragraph("新增一段说明。");
            let g = golden(&d);
            let last = g.body.sections.last().expect("sections");
            let n = last.paragraphs.len();
            assert_eq!(last.paragraphs[n - 2], "新增一段说明。");
            assert!(last.paragraphs[n - 1].starts_with("感谢"));
            let lines = d.lines_as(d.layout);
            let at = lines
                .iter()
                .position(|l| l == "新增一段说明。")
                .expect("line added");
            assert!(lines[at + 1].starts_with("感谢"));
        }
    }

    #[test]
    fn a_new_title_is_shown_as_written_and_recorded_normalized() {
        for mut d in [structured(), real()] {
            d.set_title("关于某事的 答复");
            assert_eq!(d.title(), "关于某事的 答复");
            assert_eq!(golden(&d).title, "关于某事的答复");
            assert!(d.render().contains("<h1>关于某事的 答复</h1>"));
        }
    }

    #[test]
    fn a_patch_applies_each_of_its_fields() {
        let mut d = structured();
        let patch: DocumentPatch = serde_json::from_str(
            r#"{"handling_result":"解决采纳","cc":["甲单位"],"push_cc":"乙单位","add_paragraph":"补充说明。","published_on":"2025-08-01"}"#,
        )
        .expect("a valid patch");
        patch.apply(&mut d);
        let g = golden(&d);
        assert_eq!(
            g.handling_result.map(|h| h.raw).as_deref(),
            Some("解决采纳")
        );
        assert_eq!(g.cc, vec!["甲单位", "乙单位"]);
        assert_eq!(d.published_on.to_string(), "2025-08-01");
        let removal: DocumentPatch =
            serde_json::from_str(r#"{"handling_result":null}"#).expect("a valid patch");
        assert!(!removal.is_empty());
        removal.apply(&mut d);
        assert_eq!(golden(&d).handling_result, None);
        assert!(serde_json::from_str::<DocumentPatch>(r#"{"color":"red"}"#).is_err());
    }

    #[test]
    fn the_identity_rule_uses_the_doc_number_or_else_the_item_id() {
        assert_eq!(golden(&structured()).id, "shpt:普府〔2025〕19号");
        assert_eq!(golden(&doc("156820")).id, "shpt:156820");
    }

    #[test]
    fn metadata_fields_enter_the_golden_record_only_in_the_current_layout() {
        let d = structured();
        let current = d.golden_as(Layout::Current).expect("reply");
        assert_eq!(current.index_number.as_deref(), Some("SY310107202506019"));
        assert_eq!(current.disclosure.as_deref(), Some("主动公开"));
        let body_only = d.golden_as(Layout::BodyOnly).expect("reply");
        assert_eq!(body_only.index_number, None);
        assert_eq!(body_only.topic, None);
        assert_eq!(body_only.publisher, None);
        assert_eq!(body_only.disclosure, None);
    }
}
