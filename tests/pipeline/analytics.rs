//! The analytics subscriber's numbers against the archive's, after the
//! fixture's replies went through the whole pipeline.

use std::collections::BTreeMap;

use govwire_model::Reply;
use serde_json::Value;

use super::harness::{wait_until, Pipeline};
use super::DEADLINE;

/// Waits until analytics has counted every reply, then checks its totals,
/// its handling-result mix and its months of publication against what the
/// archive holds, and that the report shows the total.
pub async fn assert_analytics_agree_with_the_archive(pipeline: &Pipeline, goldens: &[Reply]) {
    let analytics = || async {
        let (status, body) = pipeline.analytics_get("/analytics").await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).expect("the aggregates are JSON")
    };
    wait_until(DEADLINE, "analytics counted every reply", || async {
        analytics().await["totals"]["replies"] == goldens.len()
    })
    .await;
    let numbers = analytics().await;

    let mut results: BTreeMap<String, u64> = BTreeMap::new();
    let mut months: BTreeMap<String, u64> = BTreeMap::new();
    let mut unknown_month = 0;
    for golden in goldens {
        let archived = pipeline.archived_reply(&golden.id).await.expect("archived");
        let category = archived["handling_result"]["category"]
            .as_str()
            .unwrap_or("null")
            .to_string();
        *results.entry(category).or_default() += 1;
        match archived["published_on"].as_str() {
            Some(date) => *months.entry(date[..7].to_string()).or_default() += 1,
            None => unknown_month += 1,
        }
    }
    let counted = |list: &Value, key: &str| -> BTreeMap<String, u64> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c[key].as_str().unwrap_or("null").to_string(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(numbers["totals"]["withdrawn"], 0);
    assert_eq!(
        counted(&numbers["result_categories"], "key"),
        results,
        "the handling-result mix agrees with the archive"
    );
    assert_eq!(
        counted(&numbers["published_months"], "month"),
        months,
        "replies per month agree with the archive"
    );
    assert_eq!(numbers["published_unknown"], unknown_month);
    assert!(
        !months.is_empty(),
        "the fixture's replies carry their dates"
    );

    let (status, report) = pipeline.analytics_get("/report").await;
    assert_eq!(status, 200);
    assert!(report.contains("<svg"), "the report has its charts");
    assert!(
        report.contains(&goldens.len().to_string()),
        "the report shows the total"
    );
}
