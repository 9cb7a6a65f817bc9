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
//! - [`decode_html`] (`decode`): bytes to text by the web's rules (BOM,
//!   HTTP charset, `<meta>`, detection), GBK/GB18030 included, a contradicted
//!   declaration overridden with a warning. Public: every reader of a
//!   portal's HTML in govwire decodes with it.
//! - `html`: the profile's `detail` selectors: title, metadata block, body
//!   container (found by text density, with a warning, when no selector
//!   matches; the title and the disclosure metadata likewise found by their
//!   look and vocabulary), the container's text as lines, attachment links
//!   ([`file_links`], public: the crawler finds the files to fetch with it).
//!   [`check_nesting`] refuses HTML too deep to build a tree of.
//! - `attachments`: the record's attachment list, and the reply read from
//!   an attachment's text when the page holds only a title and links.
//! - `document`: the official-document structure read from the lines
//!   (GB/T 9704-2012): banner, doc number, title, addressee, body sections,
//!   signatory, signed date, contact block, 抄送, printing line.
//! - `semantics`: reply kind, the proposal answered, and what a page
//!   answers; `verdict`: the reply/non-reply decision.
//! - `record`: the title chosen, fields merged from the text and the
//!   metadata block, the record built.
//! - [`normalize`]: doc numbers, dates, Chinese numerals, meetings, titles.
//! - [`ParseError`] (`error`): why a page could not be read.

mod attachments;
mod decode;
mod document;
mod error;
mod html;
pub mod normalize;
mod record;
mod semantics;
mod verdict;

use govwire_model::{PageOutcome, ParsedPage, PortalProfile, RawPage, Warning};
use tracing::{debug, info, warn};

pub use crate::decode::{decode_html, Decoded};
use crate::document::{label_of, Label};
pub use crate::error::ParseError;
use crate::html::Container;
pub use crate::html::{file_links, FileLink, LinkError};
pub use crate::normalize::normalize_record;
pub use crate::record::PARSER_VERSION;
use crate::record::{build_reply, choose_title};
use crate::verdict::{decide, Decision};

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
    // Said after what building the record finds, so the record's warnings
    // read: what the document lacks, then how the page had to be read.
    let mut found_without_selectors = Vec::new();
    fallback_warnings(&dom, &doc, title.as_deref(), &mut found_without_selectors);
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
            let number_like = doc.number_like.clone();
            let mut reply =
                build_reply(page, profile, title, doc, dom.attachments, &info, warnings)?;
            reply.warnings.append(&mut found_without_selectors);
            unread_warnings(&mut reply, &dom.info, number_like);
            PageOutcome::Reply {
                reply: Box::new(reply),
            }
        }
    };
    let page_sha256 = page.body_sha256();
    let mut outcome = outcome;
    if let PageOutcome::Reply { reply } = &mut outcome {
        reply.page_sha256 = Some(page_sha256.clone());
    }
    Ok(ParsedPage {
        portal: profile.id.clone(),
        section: page.section.clone(),
        item_id: page.item_id.clone(),
        url: page.url.clone(),
        page_sha256,
        outcome,
        reparsed_by: None,
    })
}

/// Says where the title and the metadata were found without the profile's
/// selectors, and which metadata labels govwire does not understand, so the
/// operator knows to fix the profile.
fn fallback_warnings(
    dom: &html::PageDom,
    doc: &document::Document,
    title: Option<&str>,
    warnings: &mut Vec<Warning>,
) {
    if let Some(element) = &dom.title_found {
        warnings.push(Warning::new(
            "title",
            format!("No title selector of the profile matched; the title was taken from <{element}>, an element that looks like a title."),
        ));
    } else if dom.title.is_none()
        && title.is_some()
        && title
            == doc
                .title_line
                .as_deref()
                .map(normalize::normalize_title)
                .as_deref()
    {
        warnings.push(Warning::new(
            "title",
            "No title selector of the profile matched; the title was taken from the document's title line.",
        ));
    }
    if let Some(found) = &dom.info_found {
        let what = match &found.matched {
            None => "No metadata selector of the profile matched".to_string(),
            Some(element) => format!(
                "The profile's metadata selector matched <{element}>, which holds no label govwire reads"
            ),
        };
        let labels: Vec<&str> = dom
            .info
            .iter()
            .filter(|(name, value)| label_of(name).is_some() && !value.is_empty())
            .map(|(name, _)| name.as_str())
            .collect();
        warnings.push(Warning::new(
            "metadata",
            format!(
                "{what}; the disclosure metadata ({}) was read from <{}> without the profile's selector.",
                labels.join(", "),
                found.block
            ),
        ));
    }
    if let Some(element) = &dom.published_elsewhere {
        warnings.push(Warning::new(
            "metadata",
            format!("The profile's metadata block has no 发布日期; the one in <{element}> was read without the profile's selector."),
        ));
    }
    if !dom.unknown_labels.is_empty() {
        let labels: Vec<String> = dom
            .unknown_labels
            .iter()
            .map(|l| format!("`{l}`"))
            .collect();
        warnings.push(Warning::new(
            "metadata",
            format!(
                "The page's metadata has labels govwire does not understand: {}; their values are not in the record.",
                labels.join(", ")
            ),
        ));
    }
}

/// Says what the page evidently carries that the record lacks: a doc number
/// written in the head or the metadata, a 成文日期 or 发布日期 that is no
/// date govwire reads.
fn unread_warnings(
    reply: &mut govwire_model::Reply,
    info: &[(String, String)],
    number_like: Option<String>,
) {
    if reply.doc_number.is_none() && !reply.warnings.iter().any(|w| w.field == "doc_number") {
        let seen = info
            .iter()
            .find_map(|(name, value)| {
                normalize::doc_number_like(value)
                    .map(|n| (format!("metadata's {name}"), n.to_string()))
            })
            .or_else(|| number_like.map(|n| ("document's head".to_string(), n)));
        if let Some((place, number)) = seen {
            reply.warnings.push(Warning::new(
                "doc_number",
                format!("The {place} shows `{number}`, written like a doc number, but no doc number was read; the record has none."),
            ));
        }
    }
    for (name, value) in info {
        let field = match label_of(name) {
            Some(Label::SignedOn) => "signed_on",
            Some(Label::PublishedOn) => "published_on",
            _ => continue,
        };
        if !value.trim().is_empty() && normalize::find_date(value).is_none() {
            reply.warnings.push(Warning::new(
                field,
                format!(
                    "The metadata's {name} `{value}` is no date govwire can read; it was not read."
                ),
            ));
        }
    }
}
