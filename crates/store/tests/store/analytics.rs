//! The analytics projection: idempotent on event ids, never moved back by a
//! late event, and the aggregates it answers.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use govwire_model::{HandlingCategory, HandlingResult, Level, ProposalKind, Reply, ReplyKind};
use govwire_store::testing::TestDb;
use govwire_store::{AnalyticsEvent, AnalyticsTotals, Count, MonthCount};

use crate::support::{on_both_backends, real_reply, reply_numbered};

on_both_backends!(
    an_event_applied_twice_is_counted_once,
    an_older_update_arriving_after_a_newer_one_does_not_move_the_reply_back,
    a_withdrawn_reply_counts_as_withdrawn_until_restored_whatever_the_arrival_order,
    the_aggregates_count_each_reply_by_its_current_record,
);

const PUBLISHED: &str = "govwire.reply.published";
const UPDATED: &str = "govwire.reply.updated";
const WITHDRAWN: &str = "govwire.reply.withdrawn";
const RESTORED: &str = "govwire.reply.restored";

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn date(s: &str) -> Option<NaiveDate> {
    Some(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

fn words(list: &[&str]) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for w in list {
        *out.entry((*w).to_string()).or_insert(0) += 1;
    }
    out
}

fn version(reply: &Reply, n: u32) -> Reply {
    let mut r = reply.clone();
    r.version = n;
    r
}

/// Applies one event; returns whether it was new.
async fn apply(
    db: &TestDb,
    id: &str,
    event_type: &str,
    reply: &Reply,
    title_words: &[&str],
    at: DateTime<Utc>,
) -> bool {
    let title_words = words(title_words);
    db.store
        .apply_analytics_event(
            &AnalyticsEvent {
                event_id: id,
                event_type,
                time: at,
                reply,
                title_words: &title_words,
            },
            at + Duration::seconds(1),
        )
        .await
        .unwrap()
}

fn key(k: Option<&str>, count: u64) -> Count {
    Count {
        key: k.map(str::to_string),
        count,
    }
}

async fn an_event_applied_twice_is_counted_once(db: &TestDb) {
    let v1 = version(&real_reply(), 1);
    assert!(apply(db, "ev-1", PUBLISHED, &v1, &["创新园", "建设"], t(0)).await);
    let before = db.all_counts().await;
    let analytics = db.store.analytics(10).await.unwrap();

    assert!(
        !apply(db, "ev-1", PUBLISHED, &v1, &["创新园", "建设"], t(5)).await,
        "a redelivery is not new"
    );
    assert_eq!(db.all_counts().await, before);
    assert_eq!(db.store.analytics(10).await.unwrap(), analytics);
    assert_eq!(
        analytics.totals,
        AnalyticsTotals {
            replies: 1,
            active: 1,
            withdrawn: 0,
            events: 1
        }
    );
    assert_eq!(analytics.event_months.len(), 1);
    assert_eq!(analytics.event_months[0].published, 1);
    assert_eq!(analytics.title_words.len(), 2);
}

async fn an_older_update_arriving_after_a_newer_one_does_not_move_the_reply_back(db: &TestDb) {
    let base = real_reply();
    let v1 = version(&base, 1);
    let mut v2 = version(&base, 2);
    v2.title = "关于加装电梯的答复".into();
    v2.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    let mut v3 = version(&base, 3);
    v3.title = "关于河道整治的答复".into();
    v3.handling_result = Some(HandlingResult {
        raw: "留作参考".into(),
        category: Some(HandlingCategory::ForReference),
    });

    apply(db, "ev-1", PUBLISHED, &v1, &["创新园"], t(0)).await;
    apply(db, "ev-3", UPDATED, &v3, &["河道", "整治"], t(20)).await;
    // Version 2 arrives last (it was held and redelivered).
    assert!(apply(db, "ev-2", UPDATED, &v2, &["加装", "电梯"], t(10)).await);

    let analytics = db.store.analytics(10).await.unwrap();
    assert_eq!(analytics.totals.replies, 1);
    assert_eq!(analytics.totals.events, 3);
    assert_eq!(
        analytics.result_categories,
        [key(Some("for_reference"), 1)],
        "the newest version's result stands"
    );
    let title_words: Vec<&str> = analytics
        .title_words
        .iter()
        .map(|w| w.word.as_str())
        .collect();
    assert_eq!(title_words, ["整治", "河道"], "the newest title's words");
    assert_eq!(analytics.event_months[0].updated, 2);
}

async fn a_withdrawn_reply_counts_as_withdrawn_until_restored_whatever_the_arrival_order(
    db: &TestDb,
) {
    let v1 = version(&real_reply(), 1);
    let other = version(&reply_numbered(56), 1);
    apply(db, "pub-1", PUBLISHED, &v1, &["创新园"], t(0)).await;
    apply(db, "pub-2", PUBLISHED, &other, &["代表"], t(0)).await;
    apply(db, "wd-1", WITHDRAWN, &v1, &["创新园"], t(10)).await;
    let totals = db.store.analytics(10).await.unwrap().totals;
    assert_eq!((totals.active, totals.withdrawn), (1, 1));

    apply(db, "rs-1", RESTORED, &v1, &["创新园"], t(20)).await;
    let totals = db.store.analytics(10).await.unwrap().totals;
    assert_eq!((totals.active, totals.withdrawn), (2, 0));

    // A copy of the withdrawal under a new id, arriving late, does not undo
    // the newer restoration.
    apply(db, "wd-1-copy", WITHDRAWN, &v1, &["创新园"], t(10)).await;
    let analytics = db.store.analytics(10).await.unwrap();
    assert_eq!(
        (analytics.totals.active, analytics.totals.withdrawn),
        (2, 0)
    );
    assert_eq!(analytics.totals.events, 5);
    let month = &analytics.event_months[0];
    assert_eq!(
        (month.published, month.withdrawn, month.restored),
        (2, 2, 1)
    );

    // A withdrawal heard of before the reply's publication still counts.
    let third = version(&reply_numbered(57), 1);
    apply(db, "wd-3", WITHDRAWN, &third, &["代表"], t(30)).await;
    apply(db, "pub-3", PUBLISHED, &third, &["代表"], t(5)).await;
    let totals = db.store.analytics(10).await.unwrap().totals;
    assert_eq!((totals.replies, totals.active, totals.withdrawn), (3, 2, 1));
}

async fn the_aggregates_count_each_reply_by_its_current_record(db: &TestDb) {
    // Four replies: two adopted municipal answers signed and published 5
    // and 20 days apart, a planned district follow-up without a publication
    // date, and one from another portal with no result and 100 days'
    // delay.
    let mut a = version(&reply_numbered(1), 1);
    a.signed_on = date("2022-08-01");
    a.published_on = date("2022-08-06");
    let mut b = version(&reply_numbered(2), 1);
    b.signed_on = date("2022-08-01");
    b.published_on = date("2022-08-21");
    b.issuer = Some("上海市普陀区教育局".into());
    let mut c = version(&reply_numbered(3), 1);
    c.published_on = None;
    c.reply_kind = Some(ReplyKind::FollowUp);
    c.proposal.level = Some(Level::District);
    c.proposal.kind = Some(ProposalKind::MemberProposal);
    c.proposal.meeting = Some("区十五届政协五次会议".into());
    c.handling_result = Some(HandlingResult {
        raw: "列入计划拟解决".into(),
        category: Some(HandlingCategory::Planned),
    });
    let mut d = version(&reply_numbered(4), 1);
    d.portal = "pudong".into();
    d.id = "pudong:4".into();
    d.signed_on = date("2022-06-01");
    d.published_on = date("2022-09-09");
    d.handling_result = None;
    d.issuer = None;

    apply(db, "a", PUBLISHED, &a, &["电梯", "加装", "电梯"], t(0)).await;
    apply(db, "b", PUBLISHED, &b, &["电梯", "小区"], t(0)).await;
    apply(db, "c", PUBLISHED, &c, &["河道"], t(0)).await;
    apply(db, "d", PUBLISHED, &d, &[], t(0)).await;
    // An update a month later (China Standard Time) re-dates reply a.
    let mut a2 = version(&a, 2);
    a2.published_on = date("2022-09-01");
    apply(
        db,
        "a2",
        UPDATED,
        &a2,
        &["电梯", "加装", "电梯"],
        t(60 * 24 * 30),
    )
    .await;

    let x = db.store.analytics(2).await.unwrap();
    assert_eq!(
        x.totals,
        AnalyticsTotals {
            replies: 4,
            active: 4,
            withdrawn: 0,
            events: 5
        }
    );
    assert_eq!(x.portals, [key(Some("shpt"), 3), key(Some("pudong"), 1)]);
    assert_eq!(
        x.published_months,
        [
            MonthCount {
                month: "2022-08".into(),
                count: 1
            },
            MonthCount {
                month: "2022-09".into(),
                count: 2
            }
        ]
    );
    assert_eq!(x.published_unknown, 1);
    assert_eq!(
        x.result_categories,
        [
            key(Some("adopted"), 2),
            key(Some("planned"), 1),
            key(None, 1)
        ]
    );
    assert_eq!(
        x.reply_kinds,
        [key(Some("answer"), 3), key(Some("follow_up"), 1)]
    );
    assert_eq!(
        x.proposal_kinds,
        [
            key(Some("deputy_suggestion"), 3),
            key(Some("member_proposal"), 1)
        ]
    );
    assert_eq!(
        x.proposal_levels,
        [key(Some("municipal"), 3), key(Some("district"), 1)]
    );
    assert_eq!(
        x.meetings,
        [
            key(Some("市十五届人大六次会议"), 3),
            key(Some("区十五届政协五次会议"), 1)
        ]
    );
    assert_eq!(
        x.issuers,
        [
            key(Some("上海市普陀区人民政府"), 2),
            key(Some("上海市普陀区教育局"), 1),
            key(None, 1)
        ]
    );

    // Delays: a 31 days (re-dated), b 20, d 100; c has no publication date.
    assert_eq!((x.delay.with_dates, x.delay.without_dates), (3, 1));
    let buckets: Vec<u64> = x.delay.buckets.iter().map(|b| b.count).collect();
    assert_eq!(buckets, [0, 0, 1, 1, 0, 1]);
    assert_eq!(
        (x.delay.median_days, x.delay.p90_days),
        (Some(31), Some(100))
    );

    let months: Vec<(&str, u64, u64)> = x
        .event_months
        .iter()
        .map(|m| (m.month.as_str(), m.published, m.updated))
        .collect();
    assert_eq!(months, [("2026-07", 4, 0), ("2026-08", 0, 1)]);

    // Top two words: 电梯 three times in two replies, then 加装 (once), ahead
    // of 小区 and 河道 by code point.
    let top: Vec<(&str, u64, u64)> = x
        .title_words
        .iter()
        .map(|w| (w.word.as_str(), w.count, w.replies))
        .collect();
    assert_eq!(top, [("电梯", 3, 2), ("加装", 1, 1)]);
}
