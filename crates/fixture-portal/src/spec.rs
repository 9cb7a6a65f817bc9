//! The corpus spec: one [`Document`] per page the fixture portal serves, as
//! plain data, with the helpers that follow from it alone.
//!
//! A reply is written once, as a structured [`ReplySpec`]; its HTML (in
//! every layout, [`Document::render_as`]) and its golden record
//! ([`Document::golden_as`]) both come from that spec, so the two cannot
//! drift apart. Pages that are kept as text (the one real reply, whose lines
//! come from the extracted text, and the non-reply documents) use a
//! [`TextSpec`] instead.
//!
//! The same types are the JSON the admin API accepts, so a scripted timeline
//! can post a document it built from scratch.

use std::cmp::Ordering;

use chrono::{Datelike, NaiveDate};
use govwire_model::{Proposal, Reply, ReplyKind};
use serde::{Deserialize, Serialize};

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
    /// How the page is marked up when its layout is
    /// [`Layout::Unprofiled`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<Variant>,
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
    /// A page of a layout the shipped profile does not describe (its
    /// [`Variant`] says how): metadata and title in markup no selector of
    /// the profile names, as a CMS of the same family plausibly serves
    /// them. Not in [`Layout::ALL`]: other documents are not rendered in it,
    /// since its golden record carries the warnings the variant calls for.
    Unprofiled,
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
    /// 公开属性, 公开主体), which then enters the golden record. An
    /// unprofiled page shows it unless its variant has no metadata block
    /// ([`Document::shows_metadata_as`]).
    pub fn shows_metadata(self) -> bool {
        matches!(
            self,
            Layout::Current | Layout::TwelveField2019 | Layout::Unprofiled
        )
    }
}

/// How a page of the [`Layout::Unprofiled`] layout is marked up: each a
/// variant a CMS of the portal's family plausibly serves, none of it named
/// by the shipped profile's selectors. INVENTED, as `LAYOUTS.md` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// How the metadata block is marked up.
    pub metadata: MetadataMarkup,
    /// The class of the metadata block's element (one no profile names).
    #[serde(default = "default_metadata_class")]
    pub metadata_class: String,
    /// Which names the labels go by.
    #[serde(default)]
    pub labels: LabelNames,
    /// How the labels are written: a full-width colon, or a half-width one
    /// with spaces inside and before it (`索 引 号 :`).
    #[serde(default)]
    pub colons: Colons,
    /// Whether the 发文字号 and 成文日期 values are broken over lines by
    /// `<br>` (`普绿容<br>〔2019〕<br>44号`, `2019年<br>10月14日`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub broken_values: bool,
    /// The 成文日期 as this page shows it, when it is no date (`见正文`);
    /// otherwise the signed date is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_on_shown: Option<String>,
    /// Pairs shown after 主题分类 beyond the seven fields: labels govwire
    /// knows but does not read (体裁分类, 有效性), or labels it does not
    /// know at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<[String; 2]>,
    /// Whether an element the profile's metadata selector names
    /// (`div.article-info`) stands above the metadata holding only the
    /// page's print and close buttons, as a template that kept the class
    /// for another use would.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decoy_info: bool,
    /// How the title is shown.
    pub title: TitleMarkup,
    /// The body container.
    #[serde(default)]
    pub body: BodyMarkup,
    /// The warnings a reader following the profile must give on this page
    /// about how it had to be read, in order: the golden record carries
    /// them after those about the page's bytes, its attachments and the
    /// reply itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<govwire_model::Warning>,
}

fn default_metadata_class() -> String {
    "zwgk-meta".into()
}

/// How an unprofiled page marks its metadata up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataMarkup {
    /// `<table>` rows of one `<th>` label and one `<td>` value.
    ThTd,
    /// `<table>` rows of `<td>` label and value cells, three pairs a row,
    /// with classes no profile names.
    TdCells,
    /// A definition list: `<dt>` label, `<dd>` value.
    Dl,
    /// Labelled spans: `<span class="k">索引号：</span><span class="v">…
    /// </span>`, two pairs a line.
    Spans,
    /// `label：value` lines separated by `<br>` in one element.
    Lines,
    /// Only a date line: `发布日期：2020-07-16　来源：上海普陀` (the 2020
    /// layout's, in an element the profile does not name).
    DateLine,
    /// No metadata block at all.
    None,
}

/// The names an unprofiled page's labels go by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabelNames {
    /// 索引号, 主题分类, 公开属性, 成文日期, 发文字号, 发布日期, 公开主体.
    #[default]
    Standard,
    /// The disclosure catalogue's: 索取号, 主题分类, 公开方式, 生成日期, 文号,
    /// 发布日期, 发布机构.
    Catalogue,
}

/// How an unprofiled page writes the colon after a label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colons {
    /// `索引号：`.
    #[default]
    FullWidth,
    /// `索 引 号 :`: a half-width colon, a space before it and spaces
    /// between the characters of every other label.
    HalfWidthSpaced,
}

/// How an unprofiled page shows the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleMarkup {
    /// Only in a `<div class="title">` above the metadata.
    DivTitle,
    /// In a centred first paragraph of the body (`<p align="center">`).
    Centred,
    /// Only as the body's first line (no title element at all).
    FirstLine,
}

/// The body container of an unprofiled page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyMarkup {
    /// `.article-content > .TRS_Editor`, as the other layouts.
    #[default]
    TrsEditor,
    /// `div#ivs_content`, the 2020 layout's.
    IvsContent,
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
            variant: None,
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

/// Numeric order of item ids (`9` before `10`), falling back to text order.
pub(crate) fn compare_ids(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if numeric(a) && numeric(b) {
        let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    } else {
        a.cmp(b)
    }
}

/// The `抄送：A，B。` line for `orgs`.
pub(crate) fn cc_line(orgs: &[String]) -> String {
    format!("抄送：{}。", orgs.join("，"))
}

/// The non-empty lines of an extracted text, each its own paragraph on the
/// page (trailing carriage returns dropped, nothing else changed).
pub fn text_lines(content: &str) -> Vec<String> {
    content
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}
