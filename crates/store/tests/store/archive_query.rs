//! The archive as a person reads it: filters, keyset pages, search,
//! versions with their changes, the feed, exports and re-indexing.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use govwire_model::text::{normalize, search_tokens};
use govwire_model::{
    FieldChange, HandlingCategory, HandlingResult, Level, ProposalKind, Reply, ReplyKind,
};
use govwire_store::testing::{fresh_postgres, fresh_sqlite, TestDb};
use govwire_store::{ArchiveStatus, Cursor, ReplyFilter, ResultFilter, Store};

use crate::support::{on_both_backends, reply_numbered};

on_both_backends!(
    each_filter_alone_and_combined_selects_exactly_its_replies,
    keyset_pages_cover_every_reply_once_while_new_replies_arrive,
    a_search_needs_every_token_and_shows_where_it_matched,
    hostile_queries_are_only_words,
    versions_carry_their_changes_stored_or_computed,
    the_feed_shows_the_newest_versions_first_filtered,
    exports_give_current_or_every_version_since_a_day,
    reindexing_fills_the_index_of_replies_archived_without_it,
    the_list_follows_the_current_version,
);

const PUBLISHED: &str = "govwire.reply.published";
const UPDATED: &str = "govwire.reply.updated";

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Reply `n` (the real reply under another number), version 1, changed by
/// `edit`.
fn reply(n: u32, edit: impl FnOnce(&mut Reply)) -> Reply {
    let mut r = reply_numbered(n);
    r.version = 1;
    r.url = Some(format!("https://www.shpt.gov.cn/zhengwu/{n}.html"));
    r.published_on = Some(day("2022-08-10"));
    edit(&mut r);
    r.content_sha256 = r.compute_content_sha256();
    r
}

async fn archive(store: &Store, r: &Reply, at: DateTime<Utc>) {
    let event = format!("ev-{}-{}", r.id, r.version);
    let kind = if r.version == 1 { PUBLISHED } else { UPDATED };
    assert!(store.archive_event(&event, kind, r, at).await.unwrap());
}

async fn ids(store: &Store, filter: &ReplyFilter) -> Vec<String> {
    let page = store.query_replies(filter, None, 200).await.unwrap();
    assert_eq!(page.total as usize, page.rows.len(), "{filter:?}");
    page.rows.into_iter().map(|r| r.reply_id).collect()
}

fn id(n: u32) -> String {
    format!("shpt:普府〔2022〕{n}号")
}

fn set(ns: &[u32]) -> BTreeSet<String> {
    ns.iter().map(|n| id(*n)).collect()
}

async fn id_set(store: &Store, filter: &ReplyFilter) -> BTreeSet<String> {
    ids(store, filter).await.into_iter().collect()
}

async fn each_filter_alone_and_combined_selects_exactly_its_replies(db: &TestDb) {
    let store = &db.store;
    // 1: the real reply as it is (adopted answer to a municipal deputy).
    archive(store, &reply(1, |_| {}), t(1)).await;
    // 2: another portal, published earlier.
    archive(
        store,
        &reply(2, |r| {
            r.portal = "jiading".into();
            r.published_on = Some(day("2021-03-01"));
        }),
        t(2),
    )
    .await;
    // 3: a co-handling opinion without a result, district member proposal.
    archive(
        store,
        &reply(3, |r| {
            r.handling_result = None;
            r.reply_kind = Some(ReplyKind::CoHandlingOpinion);
            r.proposal.kind = Some(ProposalKind::MemberProposal);
            r.proposal.level = Some(Level::District);
            r.proposal.meeting = Some("区政协十五届四次会议".into());
            r.addressee = Some("真如镇街道".into());
        }),
        t(3),
    )
    .await;
    // 4: partially adopted, issued by a bureau, signed by another organ.
    archive(
        store,
        &reply(4, |r| {
            r.handling_result = Some(HandlingResult {
                raw: "部分采纳".into(),
                category: Some(HandlingCategory::PartiallyAdopted),
            });
            r.issuer = Some("上海市普陀区教育局".into());
            r.signatory = Some("上海市普陀区教育局".into());
            r.published_on = Some(day("2023-01-15"));
        }),
        t(4),
    )
    .await;
    // 5: words outside the vocabulary, no publication date, signatory only.
    archive(
        store,
        &reply(5, |r| {
            r.handling_result = Some(HandlingResult {
                raw: "另行研究".into(),
                category: None,
            });
            r.published_on = None;
            r.issuer = None;
            r.signatory = Some("上海市普陀区Ｘ办公室".into());
            r.addressee = Some("ABC代表".into());
        }),
        t(5),
    )
    .await;
    // 6: withdrawn.
    let six = reply(6, |r| r.reply_kind = Some(ReplyKind::FollowUp));
    archive(store, &six, t(6)).await;
    store
        .archive_event("ev-6-withdrawn", "govwire.reply.withdrawn", &six, t(7))
        .await
        .unwrap();

    // Refreshing the statistics the queries are planned with changes no
    // answer.
    store.optimize_archive().await.unwrap();
    let all = ReplyFilter::default();
    assert_eq!(id_set(store, &all).await, set(&[1, 2, 3, 4, 5, 6]));
    let cases: Vec<(ReplyFilter, BTreeSet<String>)> = vec![
        (
            ReplyFilter {
                portal: Some("jiading".into()),
                ..all.clone()
            },
            set(&[2]),
        ),
        (
            ReplyFilter {
                result: Some(ResultFilter::Category(HandlingCategory::Adopted)),
                ..all.clone()
            },
            set(&[1, 2, 6]),
        ),
        (
            ReplyFilter {
                result: Some(ResultFilter::Uncategorized),
                ..all.clone()
            },
            set(&[3, 5]),
        ),
        (
            ReplyFilter {
                reply_kind: Some(ReplyKind::CoHandlingOpinion),
                ..all.clone()
            },
            set(&[3]),
        ),
        (
            ReplyFilter {
                proposal_kind: Some(ProposalKind::MemberProposal),
                ..all.clone()
            },
            set(&[3]),
        ),
        (
            ReplyFilter {
                proposal_level: Some(Level::Municipal),
                ..all.clone()
            },
            set(&[1, 2, 4, 5, 6]),
        ),
        (
            ReplyFilter {
                meeting: Some("十五届四次".into()),
                ..all.clone()
            },
            set(&[3]),
        ),
        (
            ReplyFilter {
                addressee: Some("abc".into()),
                ..all.clone()
            },
            set(&[5]),
        ),
        (
            ReplyFilter {
                addressee: Some("许鸿蕨".into()),
                ..all.clone()
            },
            set(&[1, 2, 4, 6]),
        ),
        (
            ReplyFilter {
                issuer: Some("教育局".into()),
                ..all.clone()
            },
            set(&[4]),
        ),
        (
            ReplyFilter {
                issuer: Some("Ｘ办公室".into()),
                ..all.clone()
            },
            set(&[5]),
        ),
        (
            ReplyFilter {
                issuer: Some("%".into()),
                ..all.clone()
            },
            set(&[]),
        ),
        (
            ReplyFilter {
                published_from: Some(day("2022-08-10")),
                ..all.clone()
            },
            set(&[1, 3, 4, 6]),
        ),
        (
            ReplyFilter {
                published_to: Some(day("2022-08-09")),
                ..all.clone()
            },
            set(&[2]),
        ),
        (
            ReplyFilter {
                status: Some(ArchiveStatus::Withdrawn),
                ..all.clone()
            },
            set(&[6]),
        ),
        (
            ReplyFilter {
                status: Some(ArchiveStatus::Active),
                ..all.clone()
            },
            set(&[1, 2, 3, 4, 5]),
        ),
        // Combined: every condition holds.
        (
            ReplyFilter {
                portal: Some("shpt".into()),
                result: Some(ResultFilter::Category(HandlingCategory::Adopted)),
                status: Some(ArchiveStatus::Active),
                published_from: Some(day("2022-01-01")),
                published_to: Some(day("2022-12-31")),
                ..all.clone()
            },
            set(&[1]),
        ),
        (
            ReplyFilter {
                proposal_level: Some(Level::Municipal),
                issuer: Some("人民政府".into()),
                q: Some("创新园".into()),
                ..all.clone()
            },
            set(&[1, 2, 6]),
        ),
        (
            ReplyFilter {
                reply_kind: Some(ReplyKind::CoHandlingOpinion),
                status: Some(ArchiveStatus::Withdrawn),
                ..all.clone()
            },
            set(&[]),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(id_set(store, &filter).await, expected, "{filter:?}");
    }
}

async fn keyset_pages_cover_every_reply_once_while_new_replies_arrive(db: &TestDb) {
    let store = &db.store;
    // 23 replies over a few days, several on each day (ties broken by id),
    // and some without a publication date (ordered by the day archived).
    for n in 1..=23_u32 {
        let r = reply(n, |r| {
            r.published_on = match n % 4 {
                0 => None,
                k => Some(day("2024-05-01") + Duration::days(i64::from(k))),
            };
        });
        archive(store, &r, t(i64::from(n))).await;
    }
    let filter = ReplyFilter::default();
    let mut seen = Vec::new();
    let mut keys = Vec::new();
    let mut after: Option<Cursor> = None;
    let mut pages = 0;
    loop {
        let page = store
            .query_replies(&filter, after.as_ref(), 5)
            .await
            .unwrap();
        pages += 1;
        if pages == 2 {
            // New replies arrive between pages: one newer than everything
            // (before the cursor: not on later pages), one older (after it:
            // on a later page, once).
            archive(
                store,
                &reply(100, |r| r.published_on = Some(day("2030-01-01"))),
                t(100),
            )
            .await;
            archive(
                store,
                &reply(101, |r| r.published_on = Some(day("2000-01-01"))),
                t(101),
            )
            .await;
        }
        assert!(page.rows.len() <= 5);
        for row in &page.rows {
            keys.push((
                row.published_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| row.updated_at.date_naive().to_string()),
                row.reply_id.clone(),
            ));
            seen.push(row.reply_id.clone());
        }
        // The token survives the trip through a URL.
        after = match page.next {
            Some(cursor) => Some(Cursor::from_token(&cursor.to_token()).unwrap()),
            None => break,
        };
        assert!(pages < 20, "paging does not end");
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no reply twice: {seen:?}");
    let mut expected: BTreeSet<String> = (1..=23).map(id).collect();
    expected.insert(id(101));
    assert_eq!(
        unique.into_iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted, "newest first, ties by id descending");
    // A fresh first page sees the newest arrival first.
    let first = store.query_replies(&filter, None, 1).await.unwrap();
    assert_eq!(first.rows[0].reply_id, id(100));
    assert_eq!(first.total, 25);
}

async fn a_search_needs_every_token_and_shows_where_it_matched(db: &TestDb) {
    let store = &db.store;
    archive(store, &reply(1, |_| {}), t(1)).await;
    archive(
        store,
        &reply(2, |r| {
            r.body.sections[0].paragraphs[0] =
                "关于既有多层住宅加装电梯的建议收悉，现答复如下：本区已为12个小区加装电梯。".into();
            r.body.sections.truncate(1);
            r.doc_number = Some("沪建〔2031〕909号".into());
        }),
        t(2),
    )
    .await;
    let search = |q: &str| ReplyFilter {
        q: Some(q.into()),
        ..ReplyFilter::default()
    };
    assert_eq!(id_set(store, &search("电梯")).await, set(&[2]));
    assert_eq!(id_set(store, &search("创新园")).await, set(&[1]));
    assert_eq!(id_set(store, &search("创新园 电梯")).await, set(&[]));
    assert_eq!(id_set(store, &search("住宅 电梯")).await, set(&[2]));
    assert_eq!(id_set(store, &search("答复")).await, set(&[1, 2]));
    assert_eq!(id_set(store, &search("停车")).await, set(&[]));
    // Only punctuation: no word, no reply.
    assert_eq!(id_set(store, &search("，。！")).await, set(&[]));
    // Blank: no search at all.
    assert_eq!(id_set(store, &search("  ")).await, set(&[1, 2]));
    // The doc number is searched too.
    assert_eq!(id_set(store, &search("909号")).await, set(&[2]));

    let page = store
        .query_replies(&search("加装电梯"), None, 10)
        .await
        .unwrap();
    let snippet = page.rows[0]
        .snippet
        .clone()
        .expect("a search row has a snippet");
    assert_eq!(snippet.matched, "加装电梯");
    assert!(snippet.before.ends_with("住宅"), "{snippet:?}");
    assert!(snippet.after.starts_with("的建议"), "{snippet:?}");
    let page = store
        .query_replies(&ReplyFilter::default(), None, 10)
        .await
        .unwrap();
    assert!(page.rows.iter().all(|r| r.snippet.is_none()));
}

async fn hostile_queries_are_only_words(db: &TestDb) {
    let store = &db.store;
    archive(store, &reply(1, |_| {}), t(1)).await;
    for q in [
        "'\"<script>",
        "\"",
        "'",
        "\\",
        "a AND OR NOT (",
        "* NEAR(",
        "创新园\" OR \"答复",
        "tokens:创新园",
        "&|!:*",
        "'; DROP TABLE archive_replies; --",
    ] {
        let filter = ReplyFilter {
            q: Some(q.into()),
            ..ReplyFilter::default()
        };
        let page = store
            .query_replies(&filter, None, 10)
            .await
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        assert!(page.rows.len() <= 1, "{q}");
        store.archive_feed(&filter, 10).await.unwrap();
        store.archive_export(&filter, None, true).await.unwrap();
    }
    // `创新园" OR "答复` is three words, all of which must be there.
    let filter = ReplyFilter {
        q: Some("创新园\" OR \"答复".into()),
        ..ReplyFilter::default()
    };
    assert!(store
        .query_replies(&filter, None, 10)
        .await
        .unwrap()
        .rows
        .is_empty());
    assert_eq!(db.store.archive_stats().await.unwrap().replies, 1);
}

async fn versions_carry_their_changes_stored_or_computed(db: &TestDb) {
    let store = &db.store;
    let v1 = reply(1, |_| {});
    archive(store, &v1, t(1)).await;
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    v2.content_sha256 = v2.compute_content_sha256();
    let said = vec![FieldChange {
        field: "handling_result.category".into(),
        before: "adopted".into(),
        after: "partially_adopted".into(),
    }];
    assert!(store
        .archive_event_with_changes("ev-v2", UPDATED, &v2, Some(&said), t(2), t(2))
        .await
        .unwrap());
    // Version 3 arrives without changes (an older archive's way).
    let mut v3 = v2.clone();
    v3.version = 3;
    v3.cc.push("区人大常委会".into());
    v3.content_sha256 = v3.compute_content_sha256();
    archive(store, &v3, t(3)).await;

    let versions = store.archive_versions(&v1.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(versions[0].changes, None, "a first version changed nothing");
    assert_eq!(
        versions[1].changes.as_ref(),
        Some(&said),
        "as the event said"
    );
    assert_eq!(versions[1].event_id, "ev-v2");
    assert_eq!(versions[1].received_at, t(2));
    let computed = versions[2]
        .changes
        .as_ref()
        .expect("computed from version 2");
    assert_eq!(
        computed
            .iter()
            .map(|c| c.field.as_str())
            .collect::<Vec<_>>(),
        vec!["cc"]
    );
    assert_eq!(computed, &v3.changes_since(&v2));
    assert!(store
        .archive_versions("shpt:nope")
        .await
        .unwrap()
        .is_empty());
}

async fn the_feed_shows_the_newest_versions_first_filtered(db: &TestDb) {
    let store = &db.store;
    let a1 = reply(1, |_| {});
    archive(store, &a1, t(1)).await;
    archive(
        store,
        &reply(2, |r| r.reply_kind = Some(ReplyKind::FollowUp)),
        t(2),
    )
    .await;
    let mut a2 = a1.clone();
    a2.version = 2;
    a2.title.push_str("（修订）");
    a2.content_sha256 = a2.compute_content_sha256();
    archive(store, &a2, t(3)).await;

    let feed = store
        .archive_feed(&ReplyFilter::default(), 10)
        .await
        .unwrap();
    let order: Vec<(String, u32)> = feed
        .iter()
        .map(|e| (e.reply.id.to_string(), e.reply.version))
        .collect();
    assert_eq!(order, vec![(id(1), 2), (id(2), 1), (id(1), 1)]);
    assert_eq!(feed[0].event_type, UPDATED);
    assert_eq!(feed[0].received_at, t(3));
    assert_eq!(
        feed[0]
            .changes
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| c.field.as_str())
            .collect::<Vec<_>>(),
        vec!["title"]
    );
    assert_eq!(feed[2].changes, None);
    assert_eq!(feed[2].reply, a1, "each entry is that version's record");

    let limited = store
        .archive_feed(&ReplyFilter::default(), 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
    let follow_ups = store
        .archive_feed(
            &ReplyFilter {
                reply_kind: Some(ReplyKind::FollowUp),
                ..ReplyFilter::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0].reply.id.to_string(), id(2));
}

async fn exports_give_current_or_every_version_since_a_day(db: &TestDb) {
    let store = &db.store;
    let day1 = Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap();
    let day5 = Utc.with_ymd_and_hms(2026, 7, 5, 8, 0, 0).unwrap();
    let a1 = reply(1, |r| r.published_on = Some(day("2022-01-01")));
    archive(store, &a1, day1).await;
    let b1 = reply(2, |r| r.published_on = Some(day("2023-01-01")));
    archive(store, &b1, day1).await;
    let mut a2 = a1.clone();
    a2.version = 2;
    a2.notes.push("另附说明".into());
    a2.content_sha256 = a2.compute_content_sha256();
    archive(store, &a2, day5).await;

    let all = ReplyFilter::default();
    let current = store.archive_export(&all, None, false).await.unwrap();
    assert_eq!(current, vec![b1.clone(), a2.clone()], "in the list's order");
    let every = store.archive_export(&all, None, true).await.unwrap();
    assert_eq!(every, vec![b1.clone(), a1.clone(), a2.clone()]);
    let since = store
        .archive_export(&all, Some(day("2026-07-05")), false)
        .await
        .unwrap();
    assert_eq!(since, vec![a2.clone()]);
    let since = store
        .archive_export(&all, Some(day("2026-07-05")), true)
        .await
        .unwrap();
    assert_eq!(since, vec![a2.clone()]);
    let filtered = store
        .archive_export(
            &ReplyFilter {
                published_to: Some(day("2022-12-31")),
                ..all.clone()
            },
            None,
            true,
        )
        .await
        .unwrap();
    assert_eq!(filtered, vec![a1, a2]);
}

async fn reindexing_fills_the_index_of_replies_archived_without_it(db: &TestDb) {
    let store = &db.store;
    for n in 1..=3 {
        archive(store, &reply(n, |_| {}), t(i64::from(n))).await;
    }
    let search = ReplyFilter {
        q: Some("创新园".into()),
        ..ReplyFilter::default()
    };
    assert_eq!(ids(store, &search).await.len(), 3);
    assert_eq!(
        store.reindex_archive_search().await.unwrap(),
        0,
        "all indexed"
    );

    db.unindex_archive_search().await;
    assert!(ids(store, &search).await.is_empty(), "nothing indexed");
    assert_eq!(store.reindex_archive_search().await.unwrap(), 3);
    assert_eq!(ids(store, &search).await.len(), 3);
    assert_eq!(store.reindex_archive_search().await.unwrap(), 0);

    // A reply indexed again replaces its tokens, never adds a second row.
    let mut v2 = reply(1, |_| {});
    v2.version = 2;
    v2.body.sections.truncate(1);
    v2.body.sections[0].paragraphs = vec!["本区已为12个小区加装电梯。".into()];
    v2.content_sha256 = v2.compute_content_sha256();
    archive(store, &v2, t(10)).await;
    assert_eq!(id_set(store, &search).await, set(&[2, 3]));
    let lift = ReplyFilter {
        q: Some("电梯".into()),
        ..ReplyFilter::default()
    };
    assert_eq!(id_set(store, &lift).await, set(&[1]));
}

async fn the_list_follows_the_current_version(db: &TestDb) {
    let store = &db.store;
    let v1 = reply(1, |_| {});
    archive(store, &v1, t(1)).await;
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.handling_result = Some(HandlingResult {
        raw: "留作参考".into(),
        category: Some(HandlingCategory::ForReference),
    });
    v2.published_on = Some(day("2022-09-01"));
    v2.content_sha256 = v2.compute_content_sha256();
    archive(store, &v2, t(2)).await;
    // Version 1 delivered again late, under another event id, changes
    // nothing.
    store
        .archive_event("ev-late-v1", PUBLISHED, &v1, t(3))
        .await
        .unwrap();
    let page = store
        .query_replies(&ReplyFilter::default(), None, 10)
        .await
        .unwrap();
    let row = &page.rows[0];
    assert_eq!(row.current_version, 2);
    assert_eq!(row.handling_result.as_deref(), Some("留作参考"));
    assert_eq!(row.result_category, Some(HandlingCategory::ForReference));
    assert_eq!(row.published_on, Some(day("2022-09-01")));
    assert_eq!(row.addressee.as_deref(), Some("许鸿蕨代表"));
    assert_eq!(row.url, v2.url);
    assert_eq!(row.status, ArchiveStatus::Active);
    let adopted = ReplyFilter {
        result: Some(ResultFilter::Category(HandlingCategory::Adopted)),
        ..ReplyFilter::default()
    };
    assert!(ids(store, &adopted).await.is_empty());
}

#[test]
fn a_cursor_token_round_trips_and_garbage_is_refused() {
    // `c1`, a day and a reply id, base64url.
    let good = Cursor::from_token("YzEKMjAyNC0wMS0wMQpzaHB0Ong").unwrap();
    assert_eq!(Cursor::from_token(&good.to_token()).unwrap(), good);
    for bad in [
        "",
        "!!!",
        "bm90IGEgY3Vyc29y",            // not a cursor
        "YzEKMjAyNC0xMy0wMQpzaHB0Ong", // month 13
        "YzEKMjAyNC0wMS0wMQ",          // no reply id
        "YzIKMjAyNC0wMS0wMQpzaHB0Ong", // another shape
        "YzEKMjAyNC0wMS0wMQpzaHB0Ong==",
    ] {
        let error = Cursor::from_token(bad).unwrap_err();
        assert!(error.to_string().contains("cursor"), "{bad}: {error}");
    }
}

/// The search queries of the corpus test, with whether each must find
/// something.
const CORPUS_QUERIES: &[(&str, bool)] = &[
    ("电梯", true),
    ("加装电梯", true),
    ("停车", true),
    ("社区", true),
    ("苏州河", true),
    ("普府", true),
    ("2024", true),
    ("0184", true),
    ("答复", true),
    ("养老 社区", true),
    ("电梯 苏州河", false),
    ("量子计算机", false),
    ("ＰＭ", false),
];

/// Loads every golden record of the fixture corpus into `store` as version
/// 1 of its reply.
async fn load_corpus(store: &Store) -> Vec<Reply> {
    let mut replies = Vec::new();
    for (i, document) in govwire_fixture_portal::corpus().iter().enumerate() {
        let Some(mut golden) = document.golden() else {
            continue;
        };
        golden.version = 1;
        golden.content_sha256 = golden.compute_content_sha256();
        let minutes = i64::try_from(i).unwrap();
        archive(store, &golden, t(minutes)).await;
        replies.push(golden);
    }
    replies
}

/// The search tokens of a reply's title, doc number and body.
fn reply_tokens(reply: &Reply) -> BTreeSet<String> {
    let mut tokens: BTreeSet<String> = search_tokens(&reply.title).into_iter().collect();
    tokens.extend(search_tokens(reply.doc_number.as_deref().unwrap_or("")));
    for section in &reply.body.sections {
        for part in section.heading.iter().chain(section.paragraphs.iter()) {
            tokens.extend(search_tokens(part));
        }
    }
    tokens
}

/// The text a reply is searched in, normalized.
fn searched_text(reply: &Reply) -> String {
    let mut text = normalize(&reply.title);
    text.push('\n');
    text.push_str(&normalize(reply.doc_number.as_deref().unwrap_or("")));
    for section in &reply.body.sections {
        for part in section.heading.iter().chain(section.paragraphs.iter()) {
            text.push('\n');
            text.push_str(&normalize(part));
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_answers_alike_on_sqlite_and_postgres_for_the_fixture_corpus() {
    let sqlite = fresh_sqlite().await;
    let postgres = fresh_postgres().await;
    let replies = load_corpus(&sqlite.store).await;
    load_corpus(&postgres.store).await;
    assert!(replies.len() > 50, "the corpus has its replies");

    for (q, finds) in CORPUS_QUERIES {
        let filter = ReplyFilter {
            q: Some((*q).into()),
            ..ReplyFilter::default()
        };
        let on_sqlite = sqlite
            .store
            .query_replies(&filter, None, 200)
            .await
            .unwrap();
        let on_postgres = postgres
            .store
            .query_replies(&filter, None, 200)
            .await
            .unwrap();
        let ids = |page: &govwire_store::ReplyPage| {
            page.rows
                .iter()
                .map(|r| r.reply_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&on_sqlite), ids(&on_postgres), "{q}");
        assert_eq!(on_sqlite.total, on_postgres.total, "{q}");
        assert_eq!(
            on_sqlite
                .rows
                .iter()
                .map(|r| &r.snippet)
                .collect::<Vec<_>>(),
            on_postgres
                .rows
                .iter()
                .map(|r| &r.snippet)
                .collect::<Vec<_>>(),
            "{q}"
        );
        assert_eq!(
            !on_sqlite.rows.is_empty(),
            *finds,
            "{q}: {:?}",
            ids(&on_sqlite)
        );
        for row in &on_sqlite.rows {
            let reply = replies
                .iter()
                .find(|r| r.id.as_str() == row.reply_id)
                .unwrap();
            let text = searched_text(reply);
            for term in q.split_whitespace() {
                for token in search_tokens(term) {
                    assert!(text.contains(&token), "{q}: {} lacks {token}", row.reply_id);
                }
            }
            let snippet = row.snippet.as_ref().expect("a hit has a snippet");
            assert!(!snippet.matched.is_empty());
        }
        // Exactly the replies holding every token of the query are found.
        let wanted: BTreeSet<String> = q.split_whitespace().flat_map(search_tokens).collect();
        let expected: BTreeSet<String> = replies
            .iter()
            .filter(|r| wanted.is_subset(&reply_tokens(r)))
            .map(|r| r.id.to_string())
            .collect();
        assert_eq!(
            ids(&on_sqlite).into_iter().collect::<BTreeSet<_>>(),
            expected,
            "{q}"
        );
    }
    sqlite.cleanup().await;
    postgres.cleanup().await;
}
