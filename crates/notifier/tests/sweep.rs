//! The sweep against a real store, with the clock passed in: withdrawals
//! only after enough 404s over the grace period and never on a 5xx, one
//! event per change, restoration, and section degradation and recovery.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use govwire_model::{PageOutcome, ParsedPage, Reply};
use govwire_notifier::{
    decide, reply_keys, sweep_once, HealthPolicy, SweepReport, SweepSettings, WithdrawalPolicy,
};
use govwire_store::testing::{fresh_postgres, fresh_sqlite, TestDb};
use govwire_store::{CrawlItem, SectionPollRecord};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn settings() -> SweepSettings {
    SweepSettings {
        interval: Duration::from_secs(60),
        withdrawal: WithdrawalPolicy {
            after_misses: 2,
            grace: Duration::from_secs(3600),
        },
        health: HealthPolicy {
            empty_polls: 2,
            failed_polls: 3,
            failing_for: Duration::from_secs(30 * 60),
            parse_failures: 3,
        },
    }
}

fn page() -> ParsedPage {
    let reply: Reply = serde_json::from_str(include_str!(
        "../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .unwrap();
    ParsedPage {
        portal: "shpt".into(),
        section: "3".into(),
        item_id: "160455".into(),
        url: "http://portal.test/zhengwu/x/2022/1/160455.html".into(),
        page_sha256: "0".repeat(64),
        outcome: PageOutcome::Reply {
            reply: Box::new(reply),
        },
        reparsed_by: None,
    }
}

/// Records the page's reply as the notifier would; returns its id.
async fn publish(db: &TestDb) -> String {
    let page = page();
    let PageOutcome::Reply { reply } = &page.outcome else {
        unreachable!()
    };
    let reply = (**reply).clone();
    let keys = reply_keys(&page, &reply);
    let decision = db
        .store
        .apply_reply(&keys, |known| decide(&page, reply, known, t(0)))
        .await
        .unwrap();
    decision.reply_id.unwrap()
}

async fn crawled(db: &TestDb, status: u16, misses: u32) {
    db.store
        .upsert_crawl_item(&CrawlItem {
            portal: "shpt".into(),
            section: "3".into(),
            item_id: "160455".into(),
            url: "http://portal.test/zhengwu/x/2022/1/160455.html".into(),
            title: None,
            published_on: None,
            etag: None,
            last_modified: None,
            body_sha256: Some("abc".into()),
            first_seen_at: t(0),
            last_fetched_at: Some(t(0)),
            last_changed_at: Some(t(0)),
            next_visit_at: Some(t(60)),
            last_status: Some(status),
            consecutive_missing: misses,
        })
        .await
        .unwrap();
}

async fn sweep(db: &TestDb, minutes: i64) -> SweepReport {
    sweep_once(&db.store, &settings(), t(minutes))
        .await
        .unwrap()
}

async fn outbox_types(db: &TestDb) -> Vec<String> {
    db.store
        .pending_outbox(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

async fn a_reply_is_withdrawn_once_after_the_grace_period_and_restored_once(db: TestDb) {
    let id = publish(&db).await;
    crawled(&db, 200, 0).await;
    assert_eq!(sweep(&db, 1).await, SweepReport::default());

    crawled(&db, 404, 1).await;
    assert_eq!(sweep(&db, 2).await.withdrawn, 0, "one miss");
    crawled(&db, 404, 2).await;
    assert_eq!(sweep(&db, 30).await.withdrawn, 0, "inside the grace period");
    // A 5xx on the latest visit: never a withdrawal, however long.
    crawled(&db, 503, 2).await;
    assert_eq!(sweep(&db, 500).await.withdrawn, 0, "a 5xx is not a miss");
    crawled(&db, 404, 3).await;
    let report = sweep(&db, 501).await;
    assert_eq!(report.withdrawn, 1);
    assert_eq!(
        sweep(&db, 502).await,
        SweepReport::default(),
        "exactly once"
    );
    let status = db.store.reply_status(&id).await.unwrap().unwrap();
    assert_eq!(status.withdrawn_at, Some(t(501)));
    assert!(
        status.withdrawn_reason.as_deref().unwrap().contains("404"),
        "{status:?}"
    );
    let pending = db.store.pending_outbox(100).await.unwrap();
    let withdrawn = pending
        .iter()
        .find(|e| e.event_type == "govwire.reply.withdrawn")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&withdrawn.body).unwrap();
    assert_eq!(body["subject"], id.as_str());
    assert_eq!(body["data"]["reply"]["version"], 1);
    assert!(body["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("3 visits"));

    crawled(&db, 304, 0).await;
    assert_eq!(sweep(&db, 503).await.restored, 1);
    assert_eq!(sweep(&db, 504).await, SweepReport::default());
    assert_eq!(
        db.store
            .reply_status(&id)
            .await
            .unwrap()
            .unwrap()
            .withdrawn_at,
        None
    );

    // Gone again: a second withdrawal, with an event of its own.
    crawled(&db, 410, 2).await;
    assert_eq!(sweep(&db, 600).await.withdrawn, 0);
    assert_eq!(sweep(&db, 661).await.withdrawn, 1);
    assert_eq!(
        outbox_types(&db).await,
        vec![
            "govwire.reply.published",
            "govwire.reply.withdrawn",
            "govwire.reply.restored",
            "govwire.reply.withdrawn",
        ]
    );
    assert_eq!(
        db.store
            .reply_status(&id)
            .await
            .unwrap()
            .unwrap()
            .withdrawals,
        2
    );
    db.cleanup().await;
}

async fn a_section_that_empties_is_degraded_once_and_recovers_once(db: TestDb) {
    let poll = |minutes: i64, listed: u32| SectionPollRecord {
        portal: "shpt".into(),
        section: "3".into(),
        at: t(minutes),
        listed,
        new_items: 0,
        errors: 0,
        error: None,
        not_modified: false,
    };
    db.store.record_section_poll(&poll(0, 15)).await.unwrap();
    db.store.record_section_poll(&poll(1, 0)).await.unwrap();
    assert_eq!(sweep(&db, 1).await.degraded, 0, "one empty poll");
    db.store.record_section_poll(&poll(2, 0)).await.unwrap();
    assert_eq!(sweep(&db, 2).await.degraded, 1);
    db.store.record_section_poll(&poll(3, 0)).await.unwrap();
    assert_eq!(
        sweep(&db, 3).await,
        SweepReport::default(),
        "announced once"
    );
    let health = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    assert!(health
        .degraded_reason
        .as_deref()
        .unwrap()
        .contains("no entries"));

    db.store.record_section_poll(&poll(4, 15)).await.unwrap();
    assert_eq!(sweep(&db, 4).await.recovered, 1);
    assert_eq!(sweep(&db, 5).await, SweepReport::default());

    // Pages that all fail to parse: degraded again, under a new event id.
    for minute in 6..9 {
        db.store
            .record_parse_outcome("shpt", "3", false, t(minute))
            .await
            .unwrap();
    }
    assert_eq!(sweep(&db, 9).await.degraded, 1);
    let pending = db.store.pending_outbox(100).await.unwrap();
    let ids: std::collections::HashSet<&str> =
        pending.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), 3, "three distinct events");
    assert_eq!(
        outbox_types(&db).await,
        vec![
            "govwire.portal.degraded",
            "govwire.portal.recovered",
            "govwire.portal.degraded",
        ]
    );
    db.cleanup().await;
}

async fn a_section_failing_for_half_an_hour_is_degraded_naming_the_cause(db: TestDb) {
    let failed = |minutes: i64| SectionPollRecord {
        portal: "shpt".into(),
        section: "3".into(),
        at: t(minutes),
        listed: 0,
        new_items: 0,
        errors: 0,
        error: Some(
            "robots.txt of https://www.shpt.gov.cn could not be read, so nothing is fetched \
             from the portal until it can be: https://www.shpt.gov.cn/robots.txt is \
             unreachable: its host name could not be resolved (DNS)"
                .into(),
        ),
        not_modified: false,
    };
    // Two failed polls, fewer than the three that degrade by count.
    db.store.record_section_poll(&failed(0)).await.unwrap();
    db.store.record_section_poll(&failed(15)).await.unwrap();
    assert_eq!(sweep(&db, 29).await.degraded, 0, "29 minutes of failures");
    assert_eq!(sweep(&db, 30).await.degraded, 1, "30 minutes of failures");
    let health = db.store.section_health("shpt", "3").await.unwrap().unwrap();
    let reason = health.degraded_reason.unwrap();
    assert!(
        reason.starts_with("the last 2 polls failed, over 30 minutes (robots.txt of"),
        "{reason}"
    );
    assert!(reason.contains("could not be resolved (DNS)"), "{reason}");
    assert!(!reason.contains("disallow"), "{reason}");
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_failing_for_half_an_hour_is_degraded_naming_the_cause_on_sqlite() {
    a_section_failing_for_half_an_hour_is_degraded_naming_the_cause(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_failing_for_half_an_hour_is_degraded_naming_the_cause_on_postgres() {
    a_section_failing_for_half_an_hour_is_degraded_naming_the_cause(fresh_postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_withdrawn_once_after_the_grace_period_and_restored_once_on_sqlite() {
    a_reply_is_withdrawn_once_after_the_grace_period_and_restored_once(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_withdrawn_once_after_the_grace_period_and_restored_once_on_postgres() {
    a_reply_is_withdrawn_once_after_the_grace_period_and_restored_once(fresh_postgres().await)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_that_empties_is_degraded_once_and_recovers_once_on_sqlite() {
    a_section_that_empties_is_degraded_once_and_recovers_once(fresh_sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_that_empties_is_degraded_once_and_recovers_once_on_postgres() {
    a_section_that_empties_is_degraded_once_and_recovers_once(fresh_postgres().await).await;
}
