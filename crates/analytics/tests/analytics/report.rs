//! The report of the whole corpus, opened in a real browser (headless
//! Chromium): the page it renders holds the charts and the totals, and a
//! screenshot of it is written beside it for a person to look at.

use chrono::{TimeZone, Utc};
use govwire_analytics::report;
use govwire_fixture_portal::browser::{dump_dom, png_size, screenshot, target_dir};
use govwire_store::testing::fresh_sqlite;

use crate::support::{body, corpus_events};

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
    let page = page.to_str().unwrap();

    let dom = dump_dom(page).await;
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
    screenshot(page, &shot, 1200, 3000).await;
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
