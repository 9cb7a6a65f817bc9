//! The parser stage's step before parsing: the text of each attachment a
//! page carries, extracted with `govwire-extract` (which runs `pdftotext`,
//! `antiword`, `catdoc`; the parser itself does no I/O).

use govwire_extract::{extract_text, ExtractLimits};
use govwire_model::RawPage;
use tracing::warn;

/// Fills `text` (or `error`) of every attachment of `page` whose file was
/// fetched and not yet read. A file that fails is logged and keeps the
/// reason in its `error`; the parser turns it into a warning on the record.
pub async fn extract_attachments(page: &mut RawPage, limits: &ExtractLimits) {
    for attachment in &mut page.attachments {
        if attachment.text.is_some() || attachment.error.is_some() || attachment.body.is_empty() {
            continue;
        }
        match extract_text(
            &attachment.body,
            attachment.content_type.as_deref(),
            &attachment.url,
            limits,
        )
        .await
        {
            Ok(text) => attachment.text = Some(text),
            Err(error) => {
                warn!(
                    %error,
                    url = %page.url,
                    attachment = %attachment.url,
                    "Failed to extract an attachment's text."
                );
                attachment.error = Some(format!("text extraction failed: {error}"));
            }
        }
    }
}
