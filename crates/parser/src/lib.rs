//! govwire's parser: turns one fetched detail page ([`RawPage`]) into a typed
//! reply record ([`Reply`]) or the verdict that the page is not a reply.
//!
//! A reply read wrong misleads every subscriber silently, which is worse than
//! no event; so the parser reports what it had to guess in the record's
//! `warnings`, and refuses (with a [`ParseError`]) a page that looks like a
//! reply but lacks its title or body.
//!
//! Architecture invariant: the parser does no I/O. No network, no files, no
//! clock: everything it knows comes from the [`RawPage`] and the
//! [`PortalProfile`], so the same page and profile always give the same
//! record.
//!
//! The layers, in the order a page goes through them:
//!
//! - `decode`: bytes to text by the web's rules (BOM, HTTP charset, `<meta>`,
//!   detection), GBK/GB18030 included, a contradicted declaration overridden
//!   with a warning.
//! - `html`: the profile's `detail` selectors: title, metadata block, body
//!   container (found by text density, with a warning, when no selector
//!   matches), the container's text as lines, attachment links.
//! - `document`: the official-document structure read from the lines
//!   (GB/T 9704-2012): banner, doc number, title, addressee, body sections,
//!   signatory, signed date, contact block, 抄送, printing line.
//! - `semantics`: reply kind, the proposal answered, and the reply/non-reply
//!   decision.
//! - [`normalize`]: doc numbers, dates, Chinese numerals, meetings, titles.

mod attachments;
mod decode;
mod document;
mod html;
pub mod normalize;
mod semantics;

use govwire_model::{
    HandlingCategory, HandlingResult, PageOutcome, ParsedPage, PortalProfile, RawPage, Reply,
    ReplyKind, Warning,
};
use tracing::{debug, info, warn};

use crate::document::{label_of, Document, Label};
use crate::html::Container;
pub use crate::normalize::normalize_record;
use crate::normalize::{find_date, normalize_doc_number, normalize_title, remove_spaces};
use crate::semantics::TitleGenre;

/// Version string stamped into `Reply.parser_version`, so a record can be
/// traced to the code that read it and re-parsed when that code improves.
pub const PARSER_VERSION: &str = concat!("govwire-parser/", env!("CARGO_PKG_VERSION"));

/// Why a page could not be turned into a record. Every variant means the same
/// page will fail the same way again: retrying does not help, a person has to
/// look (at the page or at the profile).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The page has no bytes, or only whitespace.
    #[error("the page is empty")]
    Empty,
    /// The bytes are not text in any encoding govwire can recognise (an
    /// image or archive served in place of a page).
    #[error("the page cannot be decoded as text: {reason}")]
    Undecodable {
        /// What made the bytes unreadable.
        reason: String,
    },
    /// The HTML is built as no portal page is (elements nested thousands of
    /// levels deep), and reading it would take unbounded time.
    #[error("the page's HTML is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// A selector in the portal profile's `detail` section does not parse.
    #[error("the profile's selector `{selector}` is invalid: {reason}")]
    InvalidSelector {
        /// The selector as written in the profile.
        selector: String,
        /// The selector parser's complaint.
        reason: String,
    },
    /// The page looks like a reply but lacks something no record can do
    /// without (its title, its body, an identity).
    #[error("the page looks like a reply but has no {field}: {reason}")]
    MissingRequiredField {
        /// The record field that is missing (`title`, `body`, `id`).
        field: &'static str,
        /// What was looked for and where.
        reason: String,
    },
}

/// Refuses HTML nested so deep (thousands of levels; portal pages nest a few
/// dozen) that building its tree would take time growing with the square of
/// the depth: [`ParseError::Malformed`]. It reads the tags without building
/// anything, in time linear in the page, so every reader of HTML (the
/// parser itself, the crawler's list pages and link finding) calls it before
/// parsing. `html` is decoded text (`text.as_bytes()`) or the page's bytes in
/// an ASCII-compatible encoding (UTF-8, GBK, GB18030).
pub fn check_nesting(html: &[u8]) -> Result<(), ParseError> {
    html::check_nesting(html)
}

/// Parses one page with the portal's profile (its `detail` section holds the
/// selectors and boilerplate).
///
/// Returns a [`PageOutcome::Reply`] holding an unversioned record (`version`
/// 0, `content_sha256` computed), a [`PageOutcome::NotAReply`] for notices,
/// news and list pages, or an error when the page looks like a reply but its
/// title or body is missing, or cannot be read at all.
pub fn parse_page(page: &RawPage, profile: &PortalProfile) -> Result<ParsedPage, ParseError> {
    let result = parse(page, profile);
    match &result {
        Err(error) => warn!(
            %error,
            url = %page.url,
            portal = %profile.id,
            item_id = %page.item_id,
            "Failed to parse page."
        ),
        Ok(parsed) => match &parsed.outcome {
            PageOutcome::NotAReply { reason } => debug!(
                url = %page.url,
                portal = %profile.id,
                %reason,
                "Page is not a reply."
            ),
            PageOutcome::Reply { reply } => {
                for w in &reply.warnings {
                    debug!(url = %page.url, field = %w.field, message = %w.message, "Parser warning.");
                }
                info!(
                    url = %page.url,
                    id = %reply.id,
                    warnings = reply.warnings.len(),
                    "Parsed reply."
                );
            }
        },
    }
    result
}

fn parse(page: &RawPage, profile: &PortalProfile) -> Result<ParsedPage, ParseError> {
    if page.portal != profile.id {
        warn!(
            page_portal = %page.portal,
            profile = %profile.id,
            url = %page.url,
            "Page was fetched for another portal than the profile it is parsed with."
        );
    }
    let decoded = decode::decode(&page.body, page.content_type.as_deref(), &page.url)?;
    debug!(encoding = decoded.encoding.name(), url = %page.url, "Page decoded.");
    let mut dom = html::read_dom(&decoded.text, &profile.detail, &page.url)?;
    let mut warnings = decoded.warnings;
    let linked = std::mem::take(&mut dom.attachments);
    dom.attachments = attachments::merge(linked, &page.attachments, &mut warnings);
    if let Some((attachment, lines)) = attachments::body_from_attachment(
        &dom.lines,
        dom.title.as_deref(),
        &dom.attachments,
        &profile.detail,
    ) {
        warnings.push(Warning::new(
            "body",
            format!(
                "The page holds no document text of its own; the reply was read from the attachment `{}` ({}).",
                attachment.name, attachment.url
            ),
        ));
        dom.lines = lines;
    }
    let had_lines = !dom.lines.is_empty();
    let mut doc = document::read_document(std::mem::take(&mut dom.lines), dom.title.as_deref());
    warnings.append(&mut doc.warnings);

    let title = choose_title(
        dom.title.as_deref(),
        doc.title_line.as_deref(),
        page.list_title.as_deref(),
        &mut warnings,
    );
    let info: Vec<(Label, String)> = dom
        .info
        .iter()
        .filter_map(|(name, value)| label_of(name).map(|label| (label, value.clone())))
        .collect();

    let outcome = match decide(title.as_deref(), &doc, &dom, had_lines, &info) {
        Decision::NotAReply(reason) => PageOutcome::NotAReply { reason },
        Decision::Missing { field, reason } => {
            return Err(ParseError::MissingRequiredField { field, reason })
        }
        Decision::Reply => {
            let title = title.ok_or_else(|| ParseError::MissingRequiredField {
                field: "title",
                reason: "no title element, title line or list title".into(),
            })?;
            if let Container::Detected(element) = &dom.container {
                let message = match &dom.overridden {
                    Some(selector) => format!(
                        "The profile's body selector `{selector}` matched only an element made mostly of links to other pages; the main content was taken from <{element}>, the element with the densest text."
                    ),
                    None => format!(
                        "No body selector of the profile matched; the main content was taken from <{element}>, the element with the densest text."
                    ),
                };
                warnings.push(Warning::new("body", message));
            }
            let reply = build_reply(page, profile, title, doc, dom.attachments, &info, warnings)?;
            PageOutcome::Reply {
                reply: Box::new(reply),
            }
        }
    };
    Ok(ParsedPage {
        portal: profile.id.clone(),
        section: page.section.clone(),
        item_id: page.item_id.clone(),
        url: page.url.clone(),
        page_sha256: page.body_sha256(),
        outcome,
    })
}

/// The title: the page's title element, unless the document's own title line
/// shows it is truncated or not a title; the list's title as a last resort.
fn choose_title(
    heading: Option<&str>,
    line: Option<&str>,
    list: Option<&str>,
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    let heading = heading.map(normalize_title).filter(|t| !t.is_empty());
    let line = line.map(normalize_title).filter(|t| !t.is_empty());
    match (heading, line) {
        (Some(h), Some(l)) => {
            if remove_spaces(&h) == remove_spaces(&l) {
                return Some(h);
            }
            let truncated = remove_spaces(&h);
            let truncated = truncated.trim_end_matches(['…', '.', '。']);
            if !truncated.is_empty() && remove_spaces(&l).starts_with(truncated) {
                return Some(l);
            }
            if semantics::mentions_proposal(&h) && semantics::title_genre(&h) != TitleGenre::Other {
                warnings.push(Warning::new(
                    "title",
                    format!("The page heading `{h}` and the document's title line `{l}` differ; the heading was used."),
                ));
                Some(h)
            } else {
                warnings.push(Warning::new(
                    "title",
                    format!("The page heading `{h}` does not read as the document's title; the title line `{l}` was used."),
                ));
                Some(l)
            }
        }
        (Some(h), None) => Some(h),
        (None, Some(l)) => Some(l),
        (None, None) => {
            let list = list.map(normalize_title).filter(|t| !t.is_empty())?;
            warnings.push(Warning::new(
                "title",
                "The page has no title element or title line; the list's title was used.",
            ));
            Some(list)
        }
    }
}

/// The parser's verdict before the record is built.
enum Decision {
    /// The page is a reply with a title and a body.
    Reply,
    /// The page is something else; why.
    NotAReply(String),
    /// The page looks like a reply but lacks a required field.
    Missing {
        /// The missing field.
        field: &'static str,
        /// What was looked for.
        reason: String,
    },
}

/// Whether the page is a reply, decided by its features: a title that ends
/// like a reply (`…的答复`, `…会办意见`); or one that speaks of a suggestion
/// or proposal, with the reply formula (`…收悉`, `答复如下`, a `办理结果`) or
/// an addressee; or the formula and an addressee together. A handling
/// document about one proposal (`…提案的办理意见`, `…建议办理情况的报告`)
/// needs both. And whatever the title, a reply answers a deputy's
/// suggestion or a member's proposal: a page whose title, addressee and
/// opening say it answers something else (an application for government
/// information, a 区长信箱 letter, a 12345 call), or name no suggestion,
/// proposal, deputy, member or meeting at all, is not one.
fn decide(
    title: Option<&str>,
    doc: &Document,
    dom: &html::PageDom,
    had_lines: bool,
    info: &[(Label, String)],
) -> Decision {
    let genre = title.map_or(TitleGenre::Unknown, semantics::title_genre);
    let has_text = doc
        .sections
        .iter()
        .any(|s| !s.paragraphs.is_empty() || s.heading.is_some());
    let opening = doc
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .next()
        .map(String::as_str);
    let formula = doc
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .take(3)
        .any(|p| semantics::has_formula(p))
        || doc
            .labels
            .iter()
            .chain(info)
            .any(|(l, v)| *l == Label::HandlingResult && !v.is_empty());
    let addressee = doc.addressee.is_some();
    let title_text = title.unwrap_or("(none)");

    if genre == TitleGenre::Other {
        return Decision::NotAReply(format!(
            "the title `{title_text}` names a notice or other document, not a reply"
        ));
    }
    if genre == TitleGenre::Handling && !(formula && addressee) {
        return Decision::NotAReply(format!(
            "the title `{title_text}` names a handling document (办理意见, 办理情况的报告) and the text lacks {}",
            if addressee {
                "a reply formula (…收悉, 答复如下, 办理结果)"
            } else {
                "an addressee"
            }
        ));
    }
    let looks_like_reply = genre == TitleGenre::Reply
        || genre == TitleGenre::Handling
        || (title.is_some_and(semantics::mentions_proposal) && (formula || addressee))
        || (formula && addressee);
    if !looks_like_reply {
        let reason = if !had_lines {
            format!("the page holds no text and its title `{title_text}` names no reply")
        } else {
            format!(
                "the title `{title_text}` names no reply and the text has {}",
                match (formula, addressee) {
                    (false, false) => "neither an addressee nor a reply formula (…收悉, 答复如下, 办理结果)",
                    (true, false) => "a reply formula but no addressee",
                    (false, true) => "an addressee but no reply formula",
                    (true, true) => "an addressee and a reply formula but no mention of a suggestion or proposal",
                }
            )
        };
        return Decision::NotAReply(reason);
    }
    match semantics::what_it_answers(title, doc.addressee.as_deref(), opening) {
        semantics::Answers::Proposal => {}
        semantics::Answers::Other { what, evidence } => {
            return Decision::NotAReply(format!(
                "the page answers {what}, not a deputy's suggestion or a member's proposal: {evidence}"
            ));
        }
        // Without text, nothing says what a reply-like title answers; the
        // missing body is the page's fault to report.
        semantics::Answers::Unknown if opening.is_some() => {
            return Decision::NotAReply(format!(
                "the page replies to something, but neither its title `{title_text}`, its addressee nor its opening names a suggestion, proposal, deputy, member or meeting"
            ));
        }
        semantics::Answers::Unknown => {}
    }
    if !has_text || doc.sections.iter().all(|s| s.paragraphs.is_empty()) {
        return Decision::Missing {
            field: "body",
            reason: match &dom.container {
                Container::None => "no element of the page holds text".to_string(),
                Container::Profile(sel) | Container::Detected(sel) => {
                    format!("the body container `{sel}` holds no paragraphs")
                }
            },
        };
    }
    Decision::Reply
}

/// The first non-empty value of `label`.
fn value_of(pairs: &[(Label, String)], label: Label) -> Option<String> {
    pairs
        .iter()
        .find(|(l, v)| *l == label && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
}

/// `primary`, else `secondary`; a warning when both are present and differ.
fn merge(
    field: &str,
    primary: Option<String>,
    secondary: Option<String>,
    (primary_name, secondary_name): (&str, &str),
    warnings: &mut Vec<Warning>,
) -> Option<String> {
    match (primary, secondary) {
        (Some(p), Some(s)) => {
            if remove_spaces(&p) != remove_spaces(&s) {
                warnings.push(Warning::new(
                    field,
                    format!("The {primary_name} says `{p}` but the {secondary_name} says `{s}`; the {primary_name} was used."),
                ));
            }
            Some(p)
        }
        (p, s) => p.or(s),
    }
}

fn build_reply(
    page: &RawPage,
    profile: &PortalProfile,
    title: String,
    doc: Document,
    attachments: Vec<govwire_model::Attachment>,
    info: &[(Label, String)],
    mut warnings: Vec<Warning>,
) -> Result<Reply, ParseError> {
    const TEXT: &str = "document's text";
    const META: &str = "page's metadata block";

    // Doc number: the document's own line first.
    let info_number = value_of(info, Label::DocNumber).and_then(|raw| {
        let normalized = normalize_doc_number(&raw);
        if normalized.is_none() {
            warnings.push(Warning::new(
                "doc_number",
                format!(
                    "The metadata block's 发文字号 `{raw}` is not a doc number; it was ignored."
                ),
            ));
        }
        normalized
    });
    let text_number = doc.doc_number.clone().or_else(|| {
        value_of(&doc.labels, Label::DocNumber).and_then(|raw| normalize_doc_number(&raw))
    });
    let doc_number = merge(
        "doc_number",
        text_number,
        info_number,
        (TEXT, META),
        &mut warnings,
    );

    let info_signed = value_of(info, Label::SignedOn).and_then(|v| find_date(&v).map(|m| m.date));
    let signed_on = match (doc.signed_on, info_signed) {
        (Some(text), Some(meta)) if text != meta => {
            warnings.push(Warning::new(
                "signed_on",
                format!("The document is signed {text} but the metadata block's 成文日期 is {meta}; the document's date was used."),
            ));
            Some(text)
        }
        (text, meta) => text.or(meta),
    };
    if signed_on.is_none() {
        warnings.push(Warning::new(
            "signed_on",
            "No signed date (成文日期) after the body nor in the metadata block.",
        ));
    }

    // Disclosure metadata: the metadata block first, then the text.
    let mut from_metadata = |field: &str, label: Label| {
        merge(
            field,
            value_of(info, label),
            value_of(&doc.labels, label),
            (META, TEXT),
            &mut warnings,
        )
    };
    let disclosure = from_metadata("disclosure", Label::Disclosure);
    let index_number = from_metadata("index_number", Label::IndexNumber);
    let topic = from_metadata("topic", Label::Topic);
    let publisher = from_metadata("publisher", Label::Publisher);
    let handling_raw = merge(
        "handling_result.raw",
        value_of(&doc.labels, Label::HandlingResult),
        value_of(info, Label::HandlingResult),
        (TEXT, META),
        &mut warnings,
    );
    let handling_result = handling_raw.map(|raw| {
        let category = HandlingCategory::from_raw(&raw);
        if category.is_none() {
            warnings.push(Warning::new(
                "handling_result.category",
                format!("办理结果 `{raw}` is not in the vocabulary."),
            ));
        }
        HandlingResult { raw, category }
    });
    let published_on = value_of(info, Label::PublishedOn)
        .and_then(|v| find_date(&v).map(|m| m.date))
        .or_else(|| {
            value_of(&doc.labels, Label::PublishedOn).and_then(|v| find_date(&v).map(|m| m.date))
        })
        .or(doc.published_on)
        .or(page.published_on);
    let signer = doc
        .signer
        .clone()
        .or_else(|| value_of(&doc.labels, Label::Signer))
        .or_else(|| value_of(info, Label::Signer));

    if doc.addressee.is_none() {
        warnings.push(Warning::new(
            "addressee",
            "No addressee line (`…代表：`, `…委员：`, a unit) before the body.",
        ));
    }
    if doc.signatory.is_none() {
        warnings.push(Warning::new(
            "signatory",
            "No signing organ found between the body and the signed date.",
        ));
    }

    let reply_kind = semantics::reply_kind(&title).or_else(|| {
        let addressed_to_person = doc
            .addressee
            .as_deref()
            .is_some_and(|a| a.contains("代表") || a.contains("委员"));
        if addressed_to_person {
            warnings.push(Warning::new(
                "reply_kind",
                "The title names no kind of reply; taken as an answer because it is addressed to a deputy or member.",
            ));
            Some(ReplyKind::Answer)
        } else {
            warnings.push(Warning::new(
                "reply_kind",
                "The title names no kind of reply (答复, 会办意见, 再次答复).",
            ));
            None
        }
    });

    let opening = doc
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .next()
        .map(String::as_str);
    let proposal =
        semantics::read_proposal(&title, opening, doc.addressee.as_deref(), &mut warnings);

    let issuer = doc
        .banner
        .as_deref()
        .map(|b| b.strip_suffix("文件").unwrap_or(b).trim().to_string())
        .filter(|b| !b.is_empty())
        .or_else(|| doc.signatory.clone());

    let id = match &doc_number {
        Some(number) => format!("{}:{number}", profile.id),
        None if !page.item_id.trim().is_empty() => {
            format!("{}:{}", profile.id, page.item_id.trim())
        }
        None => {
            return Err(ParseError::MissingRequiredField {
                field: "id",
                reason: "the document has no doc number and the page no item id".into(),
            })
        }
    };

    let mut reply = normalize_record(Reply {
        id,
        portal: profile.id.clone(),
        title,
        doc_number,
        issuer_banner: doc.banner,
        issuer,
        signer,
        addressee: doc.addressee,
        reply_kind,
        proposal,
        handling_result,
        disclosure,
        index_number,
        topic,
        publisher,
        signatory: doc.signatory,
        signed_on,
        contact: doc.contact,
        notes: doc.notes,
        cc: doc.cc,
        printed_by: doc.printed_by,
        printed_on: doc.printed_on,
        attachment_notes: doc.attachment_notes,
        attachments,
        body: govwire_model::Body {
            sections: doc.sections,
        },
        warnings,
        url: Some(page.url.clone()),
        urls: vec![page.url.clone()],
        published_on,
        fetched_at: Some(page.fetched_at),
        content_sha256: String::new(),
        version: 0,
        parser_version: PARSER_VERSION.to_string(),
    });
    reply.content_sha256 = reply.compute_content_sha256();
    Ok(reply)
}
