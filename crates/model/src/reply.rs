//! The reply record: one official reply to a deputy's suggestion or a
//! member's proposal, normalized after GB/T 9704-2012 and the portal's
//! disclosure metadata.
//!
//! Field names and enumeration values are a public contract: subscribers we
//! never meet read them. Fields may be added; none may be renamed.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{PortalId, ReplyId};

/// Version of the record's shape. Bumped when a field is added or its meaning
/// changes; carried in every event's `dataschema`.
pub const SCHEMA_VERSION: &str = "1";

/// One reply, as govwire publishes and archives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reply {
    /// Identity, assigned when the reply is first seen and never changed:
    /// `<portal>:<doc_number>` when the document has a doc number, otherwise
    /// `<portal>:<item id>` (the portal's own id of the page).
    pub id: ReplyId,
    /// The portal's short id from its profile (`shpt` for www.shpt.gov.cn).
    pub portal: PortalId,
    /// 标题: the document's title, whitespace between CJK characters removed.
    pub title: String,
    /// 发文字号, normalized as `机关代字〔YYYY〕N号` (U+3014/U+3015, no spaces).
    pub doc_number: Option<String>,
    /// 发文机关标志: the banner as written (`上海市普陀区人民政府文件`).
    pub issuer_banner: Option<String>,
    /// The issuing organ: the banner without its trailing `文件`; without a
    /// banner, the signatory.
    pub issuer: Option<String>,
    /// 签发人, where the document shows one (rare on replies).
    pub signer: Option<String>,
    /// 主送机关: the addressee as written, without the trailing colon
    /// (`许鸿蕨代表`, `真如镇街道`).
    pub addressee: Option<String>,
    /// What kind of reply this is.
    pub reply_kind: Option<ReplyKind>,
    /// The suggestion or proposal this document replies to.
    pub proposal: Proposal,
    /// 办理结果, as written and as a category.
    pub handling_result: Option<HandlingResult>,
    /// 公开属性 as written (主动公开, 主动公开·全文, 全部公开, …).
    pub disclosure: Option<String>,
    /// 索引号 (or 索取号) from the portal's metadata.
    pub index_number: Option<String>,
    /// 主题分类 from the portal's metadata.
    pub topic: Option<String>,
    /// 公开主体 / 发布机构 from the portal's metadata.
    pub publisher: Option<String>,
    /// 发文机关署名: the organ that signs at the end.
    pub signatory: Option<String>,
    /// 成文日期, `YYYY-MM-DD` as written on the document (China Standard Time).
    pub signed_on: Option<NaiveDate>,
    /// The 附注 contact block.
    pub contact: Option<Contact>,
    /// Other 附注 lines; empty if none.
    pub notes: Vec<String>,
    /// 抄送机关: one organ per entry.
    pub cc: Vec<String>,
    /// 印发机关.
    pub printed_by: Option<String>,
    /// 印发日期, `YYYY-MM-DD`.
    pub printed_on: Option<NaiveDate>,
    /// 附件说明 lines; empty if none.
    pub attachment_notes: Vec<String>,
    /// Files the page links as attachments.
    pub attachments: Vec<Attachment>,
    /// 正文: the body as sections of paragraphs.
    pub body: Body,
    /// What the parser could not find or had to guess; empty when it is sure.
    pub warnings: Vec<Warning>,

    // ---- provenance: where and when govwire saw it, and which version ----
    /// Where this version was fetched.
    #[serde(default)]
    pub url: Option<String>,
    /// Every URL the reply has been seen at, first seen first.
    #[serde(default)]
    pub urls: Vec<String>,
    /// 发布日期 from the portal's list or metadata, `YYYY-MM-DD`.
    #[serde(default)]
    pub published_on: Option<NaiveDate>,
    /// When govwire fetched the page this version was read from (RFC 3339, UTC).
    #[serde(default)]
    pub fetched_at: Option<DateTime<Utc>>,
    /// SHA-256 (hex) of the record's canonical JSON without `id`, `portal`,
    /// provenance and `warnings`; see [`Reply::compute_content_sha256`].
    #[serde(default)]
    pub content_sha256: String,
    /// How many distinct contents the reply has had, counting this one (1, 2,
    /// 3…). `0` only in the parser's output, before the notifier versions it.
    #[serde(default)]
    pub version: u32,
    /// Version of the parser that produced this record.
    #[serde(default)]
    pub parser_version: String,
    /// SHA-256 (hex) of the page's bytes as fetched: the key under which
    /// govwire keeps the page (`govwire reparse` reads it again). Absent in
    /// records read before pages were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_sha256: Option<String>,
}

/// The provenance fields of [`Reply`]: they say where and when, not what, so
/// they take no part in the content hash or in change detection.
pub const PROVENANCE_FIELDS: &[&str] = &[
    "url",
    "urls",
    "published_on",
    "fetched_at",
    "content_sha256",
    "version",
    "parser_version",
    "page_sha256",
];

/// Fields left out of the content hash besides provenance.
pub const NON_CONTENT_FIELDS: &[&str] = &["id", "portal", "warnings"];

impl Reply {
    /// The record's content as JSON: everything but `id`, `portal`,
    /// provenance and `warnings`.
    pub fn content_value(&self) -> Value {
        let mut value = serde_json::to_value(self).expect("a Reply always serializes");
        if let Value::Object(map) = &mut value {
            for key in PROVENANCE_FIELDS.iter().chain(NON_CONTENT_FIELDS) {
                map.remove(*key);
            }
        }
        value
    }

    /// SHA-256 of the canonical JSON of [`Reply::content_value`].
    pub fn compute_content_sha256(&self) -> String {
        // The canonical JSON of `content_value()`, written straight from the
        // record (a test holds the two equal).
        let skip: Vec<&str> = PROVENANCE_FIELDS
            .iter()
            .chain(NON_CONTENT_FIELDS)
            .copied()
            .collect();
        let bytes =
            crate::canonical_ser::to_canonical_vec(self, &skip).expect("a Reply always serializes");
        crate::canonical::sha256_hex(bytes)
    }

    /// The changes from `previous` to `self`, one per changed top-level or
    /// nested field (dotted path), content fields only. `body` is reported as
    /// one field.
    pub fn changes_since(&self, previous: &Reply) -> Vec<FieldChange> {
        let mut changes = Vec::new();
        diff_values(
            "",
            &previous.content_value(),
            &self.content_value(),
            &mut changes,
        );
        changes
    }
}

fn diff_values(path: &str, before: &Value, after: &Value, out: &mut Vec<FieldChange>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) if path != "body" => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff_values(
                    &child,
                    b.get(key).unwrap_or(&Value::Null),
                    a.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        _ => out.push(FieldChange {
            field: path.to_string(),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

/// One changed value between two versions of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    /// Dotted path of the changed value (`handling_result.category`,
    /// `proposal.subject`, `cc`, `body`).
    pub field: String,
    /// The value in the previous version (`null` if absent).
    pub before: Value,
    /// The value in this version (`null` if absent).
    pub after: Value,
}

/// What kind of reply a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyKind {
    /// 答复: the handling unit's reply to the deputy or member.
    Answer,
    /// 会办意见: a co-handling unit's opinion written to the lead unit.
    CoHandlingOpinion,
    /// 再次答复 / 跟踪办理情况: a follow-up reply.
    FollowUp,
}

/// The suggestion or proposal a reply answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    /// 人大代表建议 or 政协委员提案.
    pub kind: Option<ProposalKind>,
    /// 市 (municipal) or 区 (district).
    pub level: Option<Level>,
    /// The meeting as written, spaces removed (`区十五届政协五次会议`).
    pub meeting: Option<String>,
    /// The congress's or committee's term (届), as a number.
    pub term: Option<u32>,
    /// The session (次会议) within the term, as a number.
    pub session: Option<u32>,
    /// The suggestion's or proposal's number as written (`0184`, `142072`).
    pub number: Option<String>,
    /// The suggestion's or proposal's own title, from the quotes or 《》 that
    /// hold it.
    pub subject: Option<String>,
    /// The named deputies or members.
    pub proposers: Vec<String>,
    /// Co-signers beyond those named ("与其他4名委员联名" → 4); `null` when the
    /// document does not say.
    pub co_proposers: Option<u32>,
}

/// Whether the proposal came from a people's congress deputy or a CPPCC
/// member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalKind {
    /// 人大代表建议.
    DeputySuggestion,
    /// 政协委员提案.
    MemberProposal,
}

/// Administrative level of the meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 市: the municipal congress or committee.
    Municipal,
    /// 区: the district congress or committee.
    District,
}

/// 办理结果.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HandlingResult {
    /// The words as written (`解决采纳`).
    pub raw: String,
    /// The category; `null` (with a warning) for words not in the vocabulary.
    pub category: Option<HandlingCategory>,
}

/// Category of a handling result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingCategory {
    /// 解决采纳, 解决或采纳, 已解决.
    Adopted,
    /// 部分采纳.
    PartiallyAdopted,
    /// 计划解决, 列入计划拟解决, 正在解决或列入计划解决.
    Planned,
    /// 留作参考.
    ForReference,
    /// 因条件限制无法解决.
    CannotSolve,
}

impl HandlingCategory {
    /// The category of a handling result as written, if the words are known.
    ///
    /// The words may come with what pages put around them: surrounding
    /// quotes (`“解决采纳”`), trailing punctuation (`解决采纳。`), or a class
    /// mark before them or in brackets after them (`A类（解决采纳）`,
    /// `A类：解决采纳`, `解决采纳（A类）`). A class mark alone (`B类`) is not
    /// in the vocabulary: districts define their classes differently.
    pub fn from_raw(raw: &str) -> Option<Self> {
        let words: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        Self::from_words(&words).or_else(|| Self::from_words(core_words(&words)))
    }

    /// The category of exactly these words.
    fn from_words(words: &str) -> Option<Self> {
        match words {
            "解决采纳" | "解决或采纳" | "已解决" | "采纳" => Some(Self::Adopted),
            "部分采纳" => Some(Self::PartiallyAdopted),
            "计划解决" | "列入计划拟解决" | "正在解决或列入计划解决" | "列入计划解决" => {
                Some(Self::Planned)
            }
            "留作参考" => Some(Self::ForReference),
            "因条件限制无法解决" | "无法解决" => Some(Self::CannotSolve),
            _ => None,
        }
    }
}

/// Quotes and punctuation pages put around a handling result.
const WRAPPING: &[char] = &[
    '“', '”', '"', '‘', '’', '\'', '「', '」', '『', '』', '《', '》', '。', '.', '，', ',', '；',
    ';', '！', '!', '：', ':', '、', '-', '—',
];

/// What follows a class mark (`A类`, `Ａ类`, `甲类`) at the start of `s`.
fn after_class_mark(s: &str) -> Option<&str> {
    let mut chars = s.chars();
    let letter = chars.next()?;
    let is_class = letter.is_ascii_alphabetic()
        || ('Ａ'..='Ｚ').contains(&letter)
        || ('ａ'..='ｚ').contains(&letter)
        || matches!(letter, '甲' | '乙' | '丙' | '丁');
    if !is_class {
        return None;
    }
    chars.as_str().strip_prefix('类')
}

/// The handling result's own words: without surrounding quotes and
/// punctuation, and without a class mark before them or in brackets after
/// them (`A类（解决采纳）` → `解决采纳`, `解决采纳（A类）` → `解决采纳`).
fn core_words(words: &str) -> &str {
    let mut s = words.trim_matches(WRAPPING);
    if let Some(rest) = after_class_mark(s) {
        s = rest.trim_matches(WRAPPING);
        if let Some(inner) = s
            .strip_prefix(['（', '('])
            .and_then(|r| r.strip_suffix(['）', ')']))
        {
            s = inner.trim_matches(WRAPPING);
        }
    } else if let Some(open) = s.rfind(['（', '(']) {
        let inner = s[open..]
            .trim_start_matches(['（', '('])
            .trim_end_matches(['）', ')']);
        if after_class_mark(inner).is_some_and(str::is_empty) {
            s = s[..open].trim_matches(WRAPPING);
        }
    }
    s
}

/// The 附注 contact block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Contact {
    /// 联系人.
    pub name: Option<String>,
    /// 联系电话.
    pub phone: Option<String>,
    /// 联系地址.
    pub address: Option<String>,
    /// 邮政编码.
    pub postcode: Option<String>,
}

/// A file the page links as an attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Attachment {
    /// The link text or file name.
    pub name: String,
    /// Absolute URL of the file.
    pub url: String,
    /// SHA-256 (hex) of the file's bytes, once fetched.
    pub sha256: Option<String>,
    /// Text extracted from the file, once fetched.
    pub text: Option<String>,
}

/// 正文.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Body {
    /// Sections in document order; text before the first heading is a
    /// section whose heading is `null`.
    pub sections: Vec<Section>,
}

/// A section of the body, opened by a heading such as `一、工作推进情况`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Section {
    /// The heading line as written; `null` for text before the first heading.
    pub heading: Option<String>,
    /// Paragraphs in order, page-break splits joined, characters as written.
    pub paragraphs: Vec<String>,
}

/// Something the parser could not find or had to guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Warning {
    /// The record field concerned (dotted path), or `page` for the page as a
    /// whole.
    pub field: String,
    /// What happened, in a sentence.
    pub message: String,
}

impl Warning {
    /// A warning about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Reply {
        serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .expect("the real reply's record deserializes")
    }

    #[test]
    fn the_real_record_round_trips_through_the_type_unchanged_except_provenance() {
        let reply = sample();
        let mut value = serde_json::to_value(&reply).unwrap();
        for key in PROVENANCE_FIELDS {
            value.as_object_mut().unwrap().remove(*key);
        }
        let expected: Value = serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .unwrap();
        assert_eq!(value, expected);
    }

    #[test]
    fn content_hash_ignores_provenance_and_warnings_but_not_content() {
        let a = sample();
        let mut b = a.clone();
        b.url = Some("https://example.org/x.html".into());
        b.version = 7;
        b.warnings.push(Warning::new("page", "guessed"));
        assert_eq!(a.compute_content_sha256(), b.compute_content_sha256());
        b.cc.pop();
        assert_ne!(a.compute_content_sha256(), b.compute_content_sha256());
    }

    #[test]
    fn changes_name_the_dotted_path_of_each_changed_value() {
        let a = sample();
        let mut b = a.clone();
        b.handling_result = Some(HandlingResult {
            raw: "部分采纳".into(),
            category: Some(HandlingCategory::PartiallyAdopted),
        });
        b.body.sections[0].paragraphs[0].push('x');
        let fields: Vec<String> = b.changes_since(&a).into_iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            vec!["body", "handling_result.category", "handling_result.raw"]
        );
    }

    #[test]
    fn handling_results_map_to_the_contract_vocabulary() {
        assert_eq!(
            HandlingCategory::from_raw("解决或采纳"),
            Some(HandlingCategory::Adopted)
        );
        assert_eq!(
            HandlingCategory::from_raw("列入计划拟解决"),
            Some(HandlingCategory::Planned)
        );
        assert_eq!(
            HandlingCategory::from_raw("因条件限制无法解决"),
            Some(HandlingCategory::CannotSolve)
        );
        assert_eq!(HandlingCategory::from_raw("另行研究"), None);
    }

    #[test]
    fn handling_results_are_read_through_quotes_punctuation_and_class_marks() {
        for raw in [
            "解决采纳。",
            "“解决采纳”",
            "\"解决采纳\"",
            "A类（解决采纳）",
            "A类(解决采纳)",
            "Ａ类：解决采纳",
            "解决采纳（A类）",
            " 解决采纳； ",
        ] {
            assert_eq!(
                HandlingCategory::from_raw(raw),
                Some(HandlingCategory::Adopted),
                "{raw}"
            );
        }
        assert_eq!(
            HandlingCategory::from_raw("B类（列入计划拟解决）"),
            Some(HandlingCategory::Planned)
        );
        assert_eq!(
            HandlingCategory::from_raw("“部分采纳”。"),
            Some(HandlingCategory::PartiallyAdopted)
        );
        // A class mark alone names no category of the vocabulary.
        for raw in ["B类", "A类", "（解决采纳）另行研究", "类解决采纳", ""] {
            assert_eq!(HandlingCategory::from_raw(raw), None, "{raw}");
        }
    }
}
