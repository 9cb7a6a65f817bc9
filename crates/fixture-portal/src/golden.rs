//! Golden records: what a correct parser makes of a document's page
//! ([`Document::golden_as`]), derived from the same spec the page is rendered
//! from.

use govwire_model::{
    Attachment, Body, Contact, HandlingCategory, HandlingResult, Reply, Section, Warning,
};
use sha2::{Digest, Sha256};

use crate::attachments::{attachment, attachment_path};
use crate::spec::{
    CharsetLabel, Document, Layout, MetadataMarkup, PageEncoding, Paragraph, ReplySpec, PORTAL_ID,
};

impl Document {
    /// Whether the page in `layout` shows the portal's metadata (索引号,
    /// 主题分类, 公开属性, 公开主体): an unprofiled page does unless its
    /// variant shows no metadata block or only a date line.
    pub fn shows_metadata_as(&self, layout: Layout) -> bool {
        match (layout, &self.variant) {
            (Layout::Unprofiled, Some(variant)) => !matches!(
                variant.metadata,
                MetadataMarkup::None | MetadataMarkup::DateLine
            ),
            (Layout::Unprofiled, None) => false,
            _ => layout.shows_metadata(),
        }
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
            (Some(reply), _) => reply_record(self, reply, layout),
            (None, Some(text)) => {
                let mut golden = text.golden.as_deref()?.clone();
                if self.shows_metadata_as(layout) {
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
        let mut warnings = encoding_warnings(self);
        warnings.extend(attachment_warnings(self));
        warnings.append(&mut golden.warnings);
        // Then how an unprofiled page had to be read, as its variant says.
        if let (Some(variant), Layout::Unprofiled) = (&self.variant, layout) {
            warnings.extend(variant.warnings.iter().cloned());
        }
        golden.attachments = attachment_records(self);
        golden.warnings = warnings;
        Some(golden)
    }
}

/// What a reader following the web's rules must report about the bytes of
/// `doc`'s page: nothing when the charset is declared truthfully (or the
/// page is UTF-8); a detection when nothing declares it; a contradicted
/// declaration when it lies. Browsers' detection names GB18030 bytes GBK (the
/// GBK decoder reads GB18030's four-byte sequences too).
pub(crate) fn encoding_warnings(doc: &Document) -> Vec<Warning> {
    if doc.encoding == PageEncoding::Utf8 {
        return Vec::new();
    }
    match doc.charset_label {
        CharsetLabel::Both | CharsetLabel::Http | CharsetLabel::Meta => Vec::new(),
        CharsetLabel::None => vec![Warning::new(
            "page",
            "The page declares no charset; decoded as GBK by detection.",
        )],
        CharsetLabel::LyingUtf8 => vec![Warning::new(
            "page",
            "The page declares charset UTF-8 in the HTTP Content-Type header but its bytes are not UTF-8; decoded as GBK by detection.",
        )],
    }
}

/// The record's attachment list: each linked file in page order, with its
/// site-relative URL (`/files/<file>`; a record read from a running portal
/// carries the absolute URL, which tests compare by its path), the SHA-256
/// of its bytes and the text extraction must yield from it.
pub(crate) fn attachment_records(doc: &Document) -> Vec<Attachment> {
    doc.attachments
        .iter()
        .map(|spec| {
            let file = attachment(&spec.file);
            Attachment {
                name: spec.name.clone(),
                url: attachment_path(&spec.file),
                sha256: file.map(|f| hex::encode(Sha256::digest(f.bytes))),
                text: file
                    .map(|f| f.text.to_string())
                    .filter(|t| !t.trim().is_empty()),
            }
        })
        .collect()
}

/// What a parser must say when the page holds no text of its own and the
/// reply was read from an attachment (the URL site-relative, as in
/// [`attachment_records`]).
pub(crate) fn attachment_warnings(doc: &Document) -> Vec<Warning> {
    doc.reply_attachment()
        .map(|spec| {
            Warning::new(
                "body",
                format!(
                    "The page holds no document text of its own; the reply was read from the attachment `{}` ({}).",
                    spec.name,
                    attachment_path(&spec.file)
                ),
            )
        })
        .into_iter()
        .collect()
}

/// The record of `reply` (part of `doc`) rendered in `layout`, following the
/// contract: identity from the doc number or the item id, issuer from the
/// banner or the signatory, metadata fields only where the layout shows them,
/// provenance left at its defaults.
pub(crate) fn reply_record(doc: &Document, reply: &ReplySpec, layout: Layout) -> Reply {
    let doc_number = reply.doc_number.as_ref().map(|n| n.normalized.clone());
    let id = match &doc_number {
        Some(number) => format!("{PORTAL_ID}:{number}"),
        None => format!("{PORTAL_ID}:{}", doc.item_id),
    };
    let issuer = match &reply.banner {
        Some(banner) => Some(banner.strip_suffix("文件").unwrap_or(banner).to_string()),
        None => Some(reply.signatory.clone()),
    };
    let mut warnings = Vec::new();
    let handling_result = reply.handling_result.as_ref().map(|raw| {
        let category = HandlingCategory::from_raw(raw);
        if category.is_none() {
            warnings.push(Warning::new(
                "handling_result.category",
                format!("办理结果 `{raw}` is not in the vocabulary."),
            ));
        }
        HandlingResult {
            raw: raw.clone(),
            category,
        }
    });
    let (index_number, topic, publisher, disclosure) = if doc.shows_metadata_as(layout) {
        (
            doc.meta.index_number.clone(),
            doc.meta.topic.clone(),
            doc.meta.publisher.clone(),
            doc.meta
                .disclosure
                .clone()
                .or_else(|| reply.disclosure_line.clone()),
        )
    } else {
        (None, None, None, reply.disclosure_line.clone())
    };
    let contact = reply.contact.as_ref().and_then(|c| {
        let contact = Contact {
            name: c.name.clone(),
            phone: c.phone.clone(),
            address: c.address.clone(),
            postcode: c.postcode.clone(),
        };
        (contact != Contact::default()).then_some(contact)
    });
    let sections = reply
        .sections
        .iter()
        .map(|s| Section {
            heading: s.heading.clone(),
            paragraphs: s.paragraphs.iter().map(Paragraph::joined).collect(),
        })
        .collect();
    Reply {
        id: id.into(),
        portal: PORTAL_ID.into(),
        title: reply.title.normalized.clone(),
        doc_number,
        issuer_banner: reply.banner.clone(),
        issuer,
        signer: reply.signer.clone(),
        addressee: Some(reply.addressee.clone()),
        reply_kind: Some(reply.kind),
        proposal: reply.proposal.clone(),
        handling_result,
        disclosure,
        index_number,
        topic,
        publisher,
        signatory: Some(reply.signatory.clone()),
        signed_on: Some(reply.signed.date),
        contact,
        notes: reply.notes.clone(),
        cc: reply.cc.clone(),
        printed_by: reply.printed.as_ref().map(|p| p.by.clone()),
        printed_on: reply.printed.as_ref().map(|p| p.on.date),
        attachment_notes: reply.attachment_notes.clone(),
        attachments: Vec::new(),
        body: Body { sections },
        warnings,
        url: None,
        urls: Vec::new(),
        published_on: None,
        fetched_at: None,
        content_sha256: String::new(),
        version: 0,
        parser_version: String::new(),
        page_sha256: None,
    }
}
