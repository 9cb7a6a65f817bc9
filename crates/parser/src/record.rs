//! The reply record built from what was read: the title chosen among the
//! page's heading, the document's title line and the list's title; each
//! field taken from the document's text or the page's metadata block (a
//! warning when they disagree); the record normalized and hashed.

use govwire_model::{
    HandlingCategory, HandlingResult, PortalProfile, RawPage, Reply, ReplyKind, Warning,
};

use crate::document::{Document, Label};
use crate::error::ParseError;
use crate::normalize::{
    find_date, normalize_doc_number, normalize_record, normalize_title, remove_spaces,
};
use crate::semantics::{self, TitleGenre};

/// Version string stamped into `Reply.parser_version`, so a record can be
/// traced to the code that read it and re-parsed when that code improves.
pub const PARSER_VERSION: &str = concat!("govwire-parser/", env!("CARGO_PKG_VERSION"));

/// The title: the page's title element, unless the document's own title line
/// shows it is truncated or not a title; the list's title as a last resort.
pub(crate) fn choose_title(
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

pub(crate) fn build_reply(
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

    let opening = doc.opening();
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
        id: id.into(),
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
        page_sha256: None,
    });
    reply.content_sha256 = reply.compute_content_sha256();
    Ok(reply)
}
