//! The report of the whole corpus, opened in a real browser (headless
//! Chromium): the page it renders holds the charts and the totals, and a
//! screenshot of it is written beside it for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use govwire_analytics::report;
use govwire_store::testing::fresh_sqlite;

use crate::support::{body, corpus_events};

/// How long one run of the browser may take.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

/// The browser: `$CHROMIUM`, else `/usr/bin/chromium`, else `chromium` on
/// the PATH. Missing, the test fails saying how to install it.
fn chromium() -> PathBuf {
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
                 the report's browser test needs it: run `make tools` (scripts/ensure-tools.sh \
                 installs chromium and fonts-wqy-zenhei)"
            )
        })
}

/// The workspace's target directory, where the report and its screenshot
/// are left for a person to look at.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

/// Runs headless Chromium on `url` with `args`; returns its standard
/// output.
async fn browse(args: &[String], url: &str) -> String {
    let profile = tempfile_dir();
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
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(BROWSER_DEADLINE, command.output())
        .await
        .unwrap_or_else(|_| panic!("Chromium did not finish within {BROWSER_DEADLINE:?}"))
        .expect("Chromium starts");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "Chromium failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the DOM is UTF-8")
}

/// A fresh directory for the browser's profile.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "govwire-analytics-chromium-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "not a PNG"
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_report_renders_its_charts_and_totals_in_a_browser() {
    let db = fresh_sqlite().await;
    for event in corpus_events() {
        govwire_analytics::handle_event(&db.store, &body(&event))
            .await
            .unwrap();
    }
    let analytics = db.store.analytics(30).await.unwrap();
    db.cleanup().await;
    let html = report::render(
        &analytics,
        Utc.with_ymd_and_hms(2026, 7, 20, 1, 30, 0).unwrap(),
    );

    let dir = target_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("analytics-report.html");
    std::fs::write(&page, &html).unwrap();
    let page = page.canonicalize().unwrap();
    let url = format!("file://{}", page.display());

    let dom = browse(&["--dump-dom".to_string()], &url).await;
    let charts = [
        "每月发布的答复数",
        "办理结果构成",
        "答复单位排名",
        "从成文到发布的天数分布",
        "每月的答复更新与撤回",
        "答复类型",
        "建议或提案",
        "市级或区级",
    ];
    assert_eq!(dom.matches("<svg").count(), charts.len(), "{dom}");
    assert_eq!(dom.matches("role=\"img\"").count(), charts.len());
    for title in charts {
        assert!(
            dom.contains(&format!("-title\">{title}</title>")),
            "no chart {title}"
        );
    }
    let t = analytics.totals;
    for (id, value) in [
        ("total-replies", t.replies),
        ("total-active", t.active),
        ("total-withdrawn", t.withdrawn),
        ("total-events", t.events),
    ] {
        assert!(
            dom.contains(&format!("<dd id=\"{id}\">{value}</dd>")),
            "{id} is not {value}"
        );
    }
    assert!(dom.contains("生成于"));
    assert!(dom.contains("2026-07-20 09:30（北京时间）"));
    assert!(!dom.contains("暂无数据"), "the corpus fills every chart");

    let shot = dir.join("analytics-report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,3000".to_string(),
        ],
        &url,
    )
    .await;
    let png = std::fs::read(&shot).expect("Chromium wrote the screenshot");
    assert_eq!(png_size(&png), (1200, 3000));
    assert!(
        png.len() > 50_000,
        "a screenshot of {} bytes is too small to hold the charts",
        png.len()
    );
}

#[test]
fn an_empty_store_reports_no_data_instead_of_charts() {
    let empty = govwire_store::Analytics {
        totals: govwire_store::AnalyticsTotals {
            replies: 0,
            active: 0,
            withdrawn: 0,
            events: 0,
        },
        portals: vec![],
        published_months: vec![],
        published_unknown: 0,
        result_categories: vec![],
        reply_kinds: vec![],
        proposal_kinds: vec![],
        proposal_levels: vec![],
        meetings: vec![],
        issuers: vec![],
        delay: govwire_store::DelayDistribution {
            with_dates: 0,
            without_dates: 0,
            negative: 0,
            median_days: None,
            p90_days: None,
            buckets: vec![],
        },
        event_months: vec![],
        title_words: vec![],
    };
    let html = report::render(&empty, Utc::now());
    assert!(!html.contains("<svg"));
    assert_eq!(html.matches("暂无数据").count(), 7, "one per section");
    assert!(html.contains("<dd id=\"total-replies\">0</dd>"));
}
