//! Attachment files the fixture portal serves at `/files/<name>`: the PDF
//! and DOCX files under `corpus/attachments/`, embedded at build time, with
//! the content type their kind calls for, an `ETag` and `304 Not Modified`
//! on a matching `If-None-Match`, so crawlers fetch them as they fetch
//! pages. Each file's extracted text is committed beside it as
//! `<name>.txt` (what `govwire-extract` must read from it).

use axum::body::Body;
use axum::extract::Path;
use axum::http::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tracing::error;

/// One embedded attachment.
#[derive(Debug, Clone, Copy)]
pub struct AttachmentFile {
    /// File name under `corpus/attachments/` and in the URL `/files/<name>`.
    pub name: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// The text extraction must yield (`<name>.txt`).
    pub text: &'static str,
}

macro_rules! attachment {
    ($name:literal) => {
        AttachmentFile {
            name: $name,
            bytes: include_bytes!(concat!("../../../corpus/attachments/", $name)),
            text: include_str!(concat!("../../../corpus/attachments/", $name, ".txt")),
        }
    };
}

/// Every attachment the fixture serves.
pub static ATTACHMENTS: &[AttachmentFile] = &[
    attachment!("pugzj-2026-18.pdf"),
    attachment!("pumz-2026-33-table.docx"),
];

/// The embedded attachment named `name`.
pub fn attachment(name: &str) -> Option<&'static AttachmentFile> {
    ATTACHMENTS.iter().find(|a| a.name == name)
}

/// The site-relative URL the fixture serves `name` at.
pub fn attachment_path(name: &str) -> String {
    format!("/files/{name}")
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type_of(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("pdf") => "application/pdf",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

fn etag_of(bytes: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(bytes));
    format!("\"{}\"", &digest[..32])
}

/// `GET /files/{file}`.
pub(crate) async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(found) = attachment(&file) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let etag = etag_of(found.bytes);
    let not_modified = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag)
        });
    let builder = Response::builder().header(ETAG, &etag);
    let built = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .status(StatusCode::OK)
            .header(CONTENT_TYPE, content_type_of(found.name))
            .body(Body::from(found.bytes))
    };
    built.unwrap_or_else(|error| {
        error!(%error, "Failed to build a response.");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_under_corpus_attachments_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/attachments");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".txt") || name.ends_with(".md") {
                continue;
            }
            assert!(attachment(&name).is_some(), "{name} is not in ATTACHMENTS");
        }
    }

    #[test]
    fn content_types_follow_the_extension() {
        assert_eq!(content_type_of("a.PDF"), "application/pdf");
        assert_eq!(content_type_of("a.doc"), "application/msword");
        assert!(content_type_of("a.docx").contains("wordprocessingml"));
    }
}
