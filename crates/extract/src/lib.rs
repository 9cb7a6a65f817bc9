//! govwire's attachment reader: the text of the PDF, DOC and DOCX files that
//! reply pages link, so a reply whose text is only in a linked file still
//! yields a record.
//!
//! Official PDFs often use CJK fonts that pure-Rust extractors turn into
//! replacement characters, so PDF text comes from poppler's `pdftotext` and
//! Word 97 text from `antiword` (or `catdoc` when antiword cannot read the
//! file), each run as a subprocess under a timeout (killed when it runs over)
//! and an output cap. DOCX is a zip of XML and is read in Rust.
//!
//! The parser crate does no I/O; the parser stage calls [`extract_text`] for
//! each attachment before it parses a page. `scripts/ensure-tools.sh` (run by
//! `make tools`, and so by `make test`, `make run` and `make demo`) installs
//! the tools.

mod docx;
mod process;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use tracing::{debug, warn};

/// What to tell an operator whose machine lacks poppler's `pdftotext`.
pub const PDFTOTEXT_HINT: &str = "install poppler-utils (make tools)";
/// What to tell an operator whose machine lacks `antiword` and `catdoc`.
pub const DOC_TOOLS_HINT: &str = "install antiword or catdoc (make tools)";

/// Bounds on one extraction, so a hostile or broken file costs a known amount
/// of time and memory, and the tools that run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractLimits {
    /// Longest a tool may run on one file before it is killed.
    pub timeout: Duration,
    /// Largest text accepted from one file, in bytes (a file that yields more
    /// is refused rather than cut, so a record never carries half a text
    /// without saying so).
    pub max_output_bytes: usize,
    /// Largest file accepted, in bytes; also bounds the XML read from a DOCX,
    /// so a zip bomb cannot fill memory.
    pub max_input_bytes: usize,
    /// The `pdftotext` program (a name looked up in `PATH`, or a path).
    pub pdftotext: PathBuf,
    /// The `antiword` program, tried first for DOC files.
    pub antiword: PathBuf,
    /// The `catdoc` program, tried for DOC files antiword cannot read.
    pub catdoc: PathBuf,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_output_bytes: 4 * 1024 * 1024,
            max_input_bytes: 32 * 1024 * 1024,
            pdftotext: PathBuf::from("pdftotext"),
            antiword: PathBuf::from("antiword"),
            catdoc: PathBuf::from("catdoc"),
        }
    }
}

/// The kinds of file whose text govwire reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentKind {
    /// PDF (`%PDF` magic).
    Pdf,
    /// Office Open XML word-processing document (a zip holding
    /// `word/document.xml`).
    Docx,
    /// Word 97-2003 document (an OLE2 compound file).
    Doc,
}

impl AttachmentKind {
    /// The kind's usual name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            AttachmentKind::Pdf => "PDF",
            AttachmentKind::Docx => "DOCX",
            AttachmentKind::Doc => "DOC",
        }
    }
}

/// Why an attachment's text could not be read. The message is what the
/// record's warning and the attachment's `error` say.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The file has no bytes (it could not be fetched, or the server sent
    /// nothing).
    #[error("the file is empty")]
    Empty,
    /// The file is larger than [`ExtractLimits::max_input_bytes`].
    #[error("the file has {bytes} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The file's size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Neither the bytes, the content type nor the name say PDF, DOC or DOCX.
    #[error("`{name}` is not a PDF, DOC or DOCX file (content type {content_type})")]
    UnknownKind {
        /// The attachment's name.
        name: String,
        /// The content type as sent, or `none`.
        content_type: String,
    },
    /// The program that reads this kind of file is not installed.
    #[error("`{tool}` is not installed: {hint}")]
    ToolMissing {
        /// The program looked for.
        tool: String,
        /// How to install it.
        hint: &'static str,
    },
    /// The program ran longer than [`ExtractLimits::timeout`] and was killed.
    #[error("`{tool}` ran longer than {seconds:.1} s and was killed")]
    Timeout {
        /// The program.
        tool: String,
        /// The limit, in seconds.
        seconds: f64,
    },
    /// The program exited with an error (a corrupt or encrypted file).
    #[error("`{tool}` failed ({status}): {stderr}")]
    ToolFailed {
        /// The program.
        tool: String,
        /// Its exit status.
        status: String,
        /// The start of what it wrote to stderr.
        stderr: String,
    },
    /// The file's text is longer than [`ExtractLimits::max_output_bytes`].
    #[error("the text is longer than the limit of {limit} bytes")]
    OutputTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The file is not what its kind says (a broken zip, XML that does not
    /// parse).
    #[error("the {kind} file is corrupt: {reason}")]
    Corrupt {
        /// The kind the file was read as.
        kind: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The file was read but holds no text (a scanned image without a text
    /// layer).
    #[error("the {kind} file holds no text (a scanned image?)")]
    NoText {
        /// The kind the file was read as.
        kind: &'static str,
    },
    /// Running the program failed for another reason (no temporary
    /// directory, no processes left).
    #[error("running `{tool}` failed: {source}")]
    Io {
        /// The program.
        tool: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The kind of an attachment: by its magic bytes first, then its content
/// type, then its name's extension. `None` when nothing says PDF, DOC or
/// DOCX.
pub fn detect_kind(bytes: &[u8], content_type: Option<&str>, name: &str) -> Option<AttachmentKind> {
    if bytes.starts_with(b"%PDF") {
        return Some(AttachmentKind::Pdf);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Some(AttachmentKind::Doc);
    }
    if bytes.starts_with(b"PK\x03\x04") && docx::is_docx(bytes) {
        return Some(AttachmentKind::Docx);
    }
    let by_type = content_type.and_then(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/pdf" | "application/x-pdf" => Some(AttachmentKind::Pdf),
            "application/msword" => Some(AttachmentKind::Doc),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
                Some(AttachmentKind::Docx)
            }
            _ => None,
        }
    });
    by_type.or_else(|| {
        let path = name.split(['?', '#']).next().unwrap_or_default();
        let ext = path.rsplit_once('.')?.1.trim().to_ascii_lowercase();
        match ext.as_str() {
            "pdf" => Some(AttachmentKind::Pdf),
            "doc" => Some(AttachmentKind::Doc),
            "docx" => Some(AttachmentKind::Docx),
            _ => None,
        }
    })
}

/// The text of one attachment: PDF through `pdftotext`, DOC through
/// `antiword` (then `catdoc`), DOCX read directly (one line per paragraph).
/// Page breaks become line breaks; trailing blank space is trimmed.
///
/// `name` (the link text or file name) serves kind detection by extension
/// and messages. Every failure is an [`ExtractError`] and a log line.
pub async fn extract_text(
    bytes: &[u8],
    content_type: Option<&str>,
    name: &str,
    limits: &ExtractLimits,
) -> Result<String, ExtractError> {
    let result = extract(bytes, content_type, name, limits).await;
    match &result {
        Ok(text) => debug!(
            name,
            chars = text.chars().count(),
            "Extracted attachment text."
        ),
        Err(error) => {
            warn!(%error, name, bytes = bytes.len(), "Failed to extract attachment text.")
        }
    }
    result
}

async fn extract(
    bytes: &[u8],
    content_type: Option<&str>,
    name: &str,
    limits: &ExtractLimits,
) -> Result<String, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(ExtractError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_input_bytes,
        });
    }
    let kind = detect_kind(bytes, content_type, name).ok_or_else(|| ExtractError::UnknownKind {
        name: name.to_string(),
        content_type: content_type.unwrap_or("none").to_string(),
    })?;
    let text = match kind {
        AttachmentKind::Pdf => {
            let out = process::run(
                &limits.pdftotext,
                &[
                    OsStr::new("-enc"),
                    OsStr::new("UTF-8"),
                    OsStr::new("-"),
                    OsStr::new("-"),
                ],
                process::Input::Stdin(bytes),
                PDFTOTEXT_HINT,
                limits,
            )
            .await?;
            String::from_utf8_lossy(&out).into_owned()
        }
        AttachmentKind::Doc => doc_text(bytes, limits).await?,
        AttachmentKind::Docx => {
            let owned = bytes.to_vec();
            let max_xml = limits.max_input_bytes;
            let max_out = limits.max_output_bytes;
            tokio::task::spawn_blocking(move || docx::text(&owned, max_xml, max_out))
                .await
                .map_err(|error| ExtractError::Corrupt {
                    kind: "DOCX",
                    reason: format!("the reader stopped: {error}"),
                })??
        }
    };
    let text = tidy(&text);
    if text.trim().is_empty() {
        return Err(ExtractError::NoText { kind: kind.name() });
    }
    Ok(text)
}

/// A DOC file's text: antiword first (UTF-8 output), catdoc when antiword is
/// missing or refuses the file.
async fn doc_text(bytes: &[u8], limits: &ExtractLimits) -> Result<String, ExtractError> {
    let file = tempfile::Builder::new()
        .prefix("govwire-attachment-")
        .suffix(".doc")
        .tempfile()
        .map_err(|source| ExtractError::Io {
            tool: "antiword".into(),
            source,
        })?;
    tokio::fs::write(file.path(), bytes)
        .await
        .map_err(|source| ExtractError::Io {
            tool: "antiword".into(),
            source,
        })?;
    let path = file.path().as_os_str();
    let antiword = process::run(
        &limits.antiword,
        &[
            OsStr::new("-m"),
            OsStr::new("UTF-8.txt"),
            OsStr::new("-w"),
            OsStr::new("0"),
            path,
        ],
        process::Input::None,
        DOC_TOOLS_HINT,
        limits,
    )
    .await;
    let first_error = match antiword {
        Ok(out) => return Ok(String::from_utf8_lossy(&out).into_owned()),
        Err(error @ (ExtractError::Timeout { .. } | ExtractError::OutputTooLarge { .. })) => {
            return Err(error)
        }
        Err(error) => error,
    };
    debug!(error = %first_error, "antiword could not read the file; trying catdoc.");
    let catdoc = process::run(
        &limits.catdoc,
        &[
            OsStr::new("-d"),
            OsStr::new("utf-8"),
            OsStr::new("-w"),
            path,
        ],
        process::Input::None,
        DOC_TOOLS_HINT,
        limits,
    )
    .await;
    match catdoc {
        Ok(out) => Ok(String::from_utf8_lossy(&out).into_owned()),
        // Both missing: say so once. Otherwise antiword's complaint unless
        // catdoc is the one that ran and failed.
        Err(ExtractError::ToolMissing { .. }) => Err(first_error),
        Err(error) => Err(error),
    }
}

/// Page breaks (form feeds) become line breaks; each line loses trailing
/// spaces; leading and trailing blank lines go.
fn tidy(text: &str) -> String {
    let text = text.replace("\n\x0c", "\n").replace('\x0c', "\n");
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.trim_end_matches(['\r', ' ', '\t']))
        .collect();
    let start = lines.iter().position(|l| !l.trim().is_empty());
    let end = lines.iter().rposition(|l| !l.trim().is_empty());
    match (start, end) {
        (Some(s), Some(e)) => lines[s..=e].join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_win_over_a_wrong_content_type_and_name() {
        assert_eq!(
            detect_kind(b"%PDF-1.7 ...", Some("application/msword"), "x.docx"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            detect_kind(
                &[0xD0, 0xCF, 0x11, 0xE0, 0, 0],
                Some("application/pdf"),
                "x.pdf"
            ),
            Some(AttachmentKind::Doc)
        );
    }

    #[test]
    fn content_type_comes_before_the_extension() {
        assert_eq!(
            detect_kind(b"???", Some("application/pdf; charset=binary"), "x.doc"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(
            detect_kind(b"???", Some("application/octet-stream"), "附件1.DOCX"),
            Some(AttachmentKind::Docx)
        );
        assert_eq!(
            detect_kind(b"???", None, "https://x/a.doc?v=2"),
            Some(AttachmentKind::Doc)
        );
        assert_eq!(detect_kind(b"???", None, "表格.xls"), None);
    }

    #[test]
    fn tidy_turns_page_breaks_into_lines_and_drops_outer_blank_lines() {
        assert_eq!(tidy("\n\n第一页  \n\x0c第二页\n\x0c"), "第一页\n第二页");
        assert_eq!(tidy(" \n\x0c\n"), "");
    }
}
