//! A real browser for tests of govwire's HTML pages (the analytics report,
//! the archive's pages): headless Chromium renders a page, and a test reads
//! the DOM it built or looks at a screenshot of it.
//!
//! Test tooling, like the rest of this crate: a missing browser or a failed
//! run panics with what to do, so the test fails (never skips) saying so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// How long one run of the browser may take.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

/// The browser: `$CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on
/// the PATH. Missing, it panics saying how to install it (`make tools`).
pub fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "CHROMIUM names {}, which is not a file; unset it or run `make tools`",
            path.display()
        );
        return path;
    }
    let system = PathBuf::from("/usr/bin/chromium");
    if system.is_file() {
        return system;
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("chromium"))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "Chromium is not installed (looked at $CHROMIUM, /usr/bin/chromium and the PATH); \
                 govwire's browser tests need it: run `make tools` (scripts/ensure-tools.sh \
                 installs chromium and fonts-wqy-zenhei)"
            )
        })
}

/// The DOM Chromium built from `target` (a URL, or the path of a local
/// file), serialized as HTML.
pub async fn dump_dom(target: &str) -> String {
    browse(&["--dump-dom".to_string()], target).await
}

/// Writes a PNG screenshot of `target` (a URL, or the path of a local
/// file) to `out`, in a window of `width` × `height` CSS pixels; the
/// directory of `out` is created if needed, an older file replaced.
pub async fn screenshot(target: &str, out: &Path, width: u32, height: u32) {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let _ = std::fs::remove_file(out);
    browse(
        &[
            format!("--screenshot={}", out.display()),
            format!("--window-size={width},{height}"),
        ],
        target,
    )
    .await;
    assert!(
        out.is_file(),
        "Chromium wrote no screenshot at {}",
        out.display()
    );
}

/// Width and height of a PNG, from its IHDR chunk.
pub fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "not a PNG"
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

/// The workspace's target directory (`$CARGO_TARGET_DIR`, else `target/`
/// at the workspace's root), where browser tests leave pages and
/// screenshots for a person to look at.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// `target` as Chromium takes it: a URL as it is, a path as a `file://`
/// URL of the canonical path.
fn as_url(target: &str) -> String {
    if target.contains("://") {
        return target.to_string();
    }
    let path = Path::new(target)
        .canonicalize()
        .unwrap_or_else(|e| panic!("cannot open {target} in the browser: {e}"));
    format!("file://{}", path.display())
}

/// Runs headless Chromium on `target` with `args`, in a profile of its
/// own; returns its standard output.
async fn browse(args: &[String], target: &str) -> String {
    let url = as_url(target);
    let profile = profile_dir();
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(BROWSER_DEADLINE, command.output()).await;
    let _ = std::fs::remove_dir_all(&profile);
    let output = output
        .unwrap_or_else(|_| panic!("Chromium did not finish {url} within {BROWSER_DEADLINE:?}"))
        .expect("Chromium starts");
    assert!(
        output.status.success(),
        "Chromium failed on {url} ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the DOM is UTF-8")
}

/// A fresh directory for one run's browser profile, so runs in parallel
/// never share one.
fn profile_dir() -> PathBuf {
    static RUNS: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!(
        "govwire-chromium-{}-{}-{nanos:08x}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
