//! Extraction of the committed test files (see `tests/data/README.md`) with
//! the real tools; `make tools` installs them.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use govwire_extract::{detect_kind, extract_text, AttachmentKind, ExtractError, ExtractLimits};

fn data(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("test file {} unreadable: {e}", path.display()))
}

/// Extracts with the default limits, failing the test with the error's own
/// words (a missing tool says how to install it).
async fn text_of(name: &str, content_type: Option<&str>) -> String {
    match extract_text(&data(name), content_type, name, &ExtractLimits::default()).await {
        Ok(text) => text,
        Err(error) => panic!("extracting {name} failed: {error}"),
    }
}

const EXPECTED_LINES: &[&str] = &[
    "关于区政协十五届五次会议第155072号提案的答复",
    "陈思远委员：",
    "您提出的《关于优化苏州河沿岸慢行步道的建议》提案收悉。现答复如下：",
    "一、步道贯通情况",
    "二、下一步工作",
    "我委将结合您的建议，增设无障碍坡道和休憩座椅。",
    "上海市普陀区建设和管理委员会",
    "2026年6月15日",
];

fn non_empty_lines(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

#[tokio::test]
async fn a_chinese_pdf_with_an_unembedded_cid_font_yields_its_text_across_pages() {
    let text = text_of("reply.pdf", Some("application/pdf")).await;
    assert!(
        !text.contains('\u{FFFD}'),
        "replacement characters in {text}"
    );
    assert!(
        !text.contains('\x0c'),
        "page breaks must become line breaks"
    );
    let lines = non_empty_lines(&text);
    for expected in EXPECTED_LINES {
        assert!(
            lines.contains(expected),
            "missing line {expected} in {lines:#?}"
        );
    }
    // Reading order: the second page follows the first.
    let first = lines.iter().position(|l| *l == "一、步道贯通情况");
    let second = lines.iter().position(|l| *l == "二、下一步工作");
    assert!(first < second, "pages out of order: {lines:#?}");
    // A paragraph wrapped over two lines keeps every character.
    assert!(
        lines.concat().contains("苏州河普陀段42公里岸线已于2020年底基本贯通，沿线设置驿站18处，〔2022〕年起逐段完善照明设施。"),
        "{lines:#?}"
    );
}

#[tokio::test]
async fn a_docx_yields_one_line_per_paragraph() {
    let text = text_of("reply.docx", None).await;
    let lines = non_empty_lines(&text);
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert_eq!(lines[0], EXPECTED_LINES[0]);
    assert_eq!(
        lines[4],
        "苏州河普陀段42公里岸线已于2020年底基本贯通，沿线设置驿站18处，〔2022〕年起逐段完善照明设施。"
    );
    assert_eq!(lines[8], "2026年6月15日");
}

#[tokio::test]
async fn a_word97_doc_written_by_libreoffice_yields_its_chinese_text() {
    let text = text_of("reply.doc", Some("application/msword")).await;
    let lines = non_empty_lines(&text);
    for expected in EXPECTED_LINES {
        assert!(
            lines.contains(expected),
            "missing line {expected} in {lines:#?}"
        );
    }
}

#[tokio::test]
async fn a_corrupt_pdf_is_a_tool_failure_with_its_message() {
    let err = extract_text(
        &data("corrupt.pdf"),
        None,
        "corrupt.pdf",
        &ExtractLimits::default(),
    )
    .await
    .expect_err("garbage after a PDF header has no text");
    match err {
        ExtractError::ToolFailed { tool, stderr, .. } => {
            assert_eq!(tool, "pdftotext");
            assert!(!stderr.is_empty());
        }
        // poppler may also read garbage as an empty document.
        ExtractError::NoText { kind } => assert_eq!(kind, "PDF"),
        other => panic!("unexpected error: {other}"),
    }
}

#[tokio::test]
async fn a_corrupt_docx_is_reported_corrupt() {
    let err = extract_text(
        &data("corrupt.docx"),
        None,
        "corrupt.docx",
        &ExtractLimits::default(),
    )
    .await
    .expect_err("a broken zip has no text");
    assert!(
        matches!(err, ExtractError::Corrupt { kind: "DOCX", .. }),
        "unexpected error: {err}"
    );
}

#[tokio::test]
async fn a_pdf_without_a_text_layer_says_it_holds_no_text() {
    let err = extract_text(
        &data("scanned.pdf"),
        None,
        "scan.pdf",
        &ExtractLimits::default(),
    )
    .await
    .expect_err("a drawn box is no text");
    assert!(matches!(err, ExtractError::NoText { kind: "PDF" }), "{err}");
}

#[tokio::test]
async fn text_longer_than_the_cap_is_refused_not_cut() {
    let limits = ExtractLimits {
        max_output_bytes: 64,
        ..ExtractLimits::default()
    };
    for name in ["reply.pdf", "reply.docx"] {
        let err = extract_text(&data(name), None, name, &limits)
            .await
            .expect_err("the text is longer than 64 bytes");
        assert!(
            matches!(err, ExtractError::OutputTooLarge { limit: 64 }),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn a_file_over_the_input_limit_is_refused_before_any_tool_runs() {
    let limits = ExtractLimits {
        max_input_bytes: 100,
        pdftotext: PathBuf::from("/nonexistent/pdftotext"),
        ..ExtractLimits::default()
    };
    let err = extract_text(&data("reply.pdf"), None, "reply.pdf", &limits)
        .await
        .expect_err("the file is over 100 bytes");
    assert!(
        matches!(err, ExtractError::TooLarge { limit: 100, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_tool_that_hangs_is_killed_at_the_timeout() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let tool = dir.path().join("slow-pdftotext");
    let pid_file = dir.path().join("pid");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 600\n",
            pid_file.display()
        ),
    )
    .expect("write the slow tool");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755))
            .expect("make the slow tool executable");
    }
    let limits = ExtractLimits {
        timeout: Duration::from_millis(500),
        pdftotext: tool.clone(),
        ..ExtractLimits::default()
    };
    let started = Instant::now();
    let err = extract_text(&data("reply.pdf"), None, "reply.pdf", &limits)
        .await
        .expect_err("the tool never finishes");
    assert!(matches!(err, ExtractError::Timeout { .. }), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the call waited for the tool instead of killing it"
    );
    // The process is gone (killed and reaped), not left sleeping.
    let pid = std::fs::read_to_string(&pid_file).expect("the tool wrote its pid");
    let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
    assert!(
        !proc_dir.exists(),
        "the slow tool (pid {}) still runs",
        pid.trim()
    );
}

#[tokio::test]
async fn a_missing_tool_says_how_to_install_it() {
    let limits = ExtractLimits {
        pdftotext: PathBuf::from("/nonexistent/pdftotext"),
        ..ExtractLimits::default()
    };
    let err = extract_text(&data("reply.pdf"), None, "reply.pdf", &limits)
        .await
        .expect_err("the tool does not exist");
    match &err {
        ExtractError::ToolMissing { tool, hint } => {
            assert_eq!(tool, "/nonexistent/pdftotext");
            assert_eq!(*hint, "install poppler-utils (make tools)");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("poppler-utils"));
}

#[tokio::test]
async fn empty_and_unknown_files_are_refused_with_their_reason() {
    let limits = ExtractLimits::default();
    assert!(matches!(
        extract_text(b"", None, "a.pdf", &limits).await,
        Err(ExtractError::Empty)
    ));
    let err = extract_text(b"col1,col2", Some("text/csv"), "表.csv", &limits)
        .await
        .expect_err("CSV is not a document kind");
    assert!(err.to_string().contains("表.csv"), "{err}");
}

#[test]
fn committed_files_are_detected_by_their_magic_bytes_whatever_their_name() {
    assert_eq!(
        detect_kind(&data("reply.pdf"), None, "x"),
        Some(AttachmentKind::Pdf)
    );
    assert_eq!(
        detect_kind(&data("reply.docx"), None, "x"),
        Some(AttachmentKind::Docx)
    );
    assert_eq!(
        detect_kind(&data("reply.doc"), None, "x"),
        Some(AttachmentKind::Doc)
    );
}

/// The fixture corpus's attachments (`corpus/attachments/`) extract to the
/// texts committed beside them, which the golden records hold.
#[tokio::test]
async fn the_corpus_attachments_extract_to_their_committed_texts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/attachments");
    for name in ["pugzj-2026-18.pdf", "pumz-2026-33-table.docx"] {
        let bytes = std::fs::read(dir.join(name)).expect("corpus attachment");
        let expected_path = dir.join(format!("{name}.txt"));
        let text = extract_text(&bytes, None, name, &ExtractLimits::default())
            .await
            .unwrap_or_else(|e| panic!("extracting {name} failed: {e}"));
        if std::env::var_os("GOVWIRE_WRITE_ATTACHMENT_TEXTS").is_some() {
            std::fs::write(&expected_path, &text).expect("write the expected text");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{} unreadable ({e}); GOVWIRE_WRITE_ATTACHMENT_TEXTS=1 writes it",
                expected_path.display()
            )
        });
        assert_eq!(text, expected, "{name}");
    }
}
