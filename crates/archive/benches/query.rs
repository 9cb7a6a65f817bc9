//! How fast the archive answers a person: the list (newest first, a page
//! deep in it, a filter) and searches (a two-character word, a longer word,
//! two terms), on an archive of `BENCH_VERSIONS` versions (default 100,000:
//! 50,000 replies of two versions each, made from the fixture corpus with
//! other ids, dates and words), on SQLite and, when it can be reached, on
//! PostgreSQL.
//!
//! Run with `make bench` (with the parse benchmark) or `cargo bench -p
//! govwire-archive --bench query` (release profile); `BENCH_ONLY=sqlite` or
//! `BENCH_ONLY=postgres` runs one store. Each query runs `BENCH_RUNS` times (default
//! 50) after one warm-up; the median and the 95th percentile are printed.
//! Results go in BENCHMARKS.md; nothing here asserts a time. Under `cargo
//! test --all-targets` it builds a small archive and runs each query once.

use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate, TimeZone, Utc};
use govwire_model::{HandlingCategory, HandlingResult, Reply};
use govwire_store::{ArchiveStatus, ReplyFilter, Store};

/// Words the generated titles and bodies are made of, so searches have
/// hits of every size.
const TOPICS: &[&str] = &[
    "加装电梯",
    "停车难",
    "社区养老",
    "苏州河滨水空间",
    "垃圾分类",
    "学校周边交通",
    "老旧小区改造",
    "菜市场",
    "公共厕所",
    "充电桩",
    "非机动车停放",
    "口袋公园",
];

fn corpus() -> Vec<Reply> {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .collect()
}

/// The `n`-th generated version pair's record.
fn generated(base: &[Reply], n: usize, version: u32) -> Reply {
    let mut reply = base[n % base.len()].clone();
    let topic = TOPICS[n % TOPICS.len()];
    reply.id = format!("bench:{n:06}").into();
    reply.doc_number = Some(format!("普府〔{}〕{}号", 2019 + n % 7, n));
    reply.title = format!("关于{topic}问题的第{n}号建议的答复");
    if let Some(first) = reply.body.sections.first_mut() {
        first
            .paragraphs
            .insert(0, format!("关于您提出的{topic}的建议，现答复如下（{n}）。"));
    }
    reply.published_on =
        NaiveDate::from_ymd_opt(2019, 1, 1).map(|d| d + Days::days((n % 2500) as i64));
    if version == 2 {
        if n % 3 == 0 {
            reply.handling_result = Some(HandlingResult {
                raw: "解决采纳".into(),
                category: Some(HandlingCategory::Adopted),
            });
        } else if let Some(last) = reply.body.sections.last_mut() {
            last.paragraphs.push(format!("（第{n}号补充说明）"));
        }
    }
    reply.version = version;
    reply.content_sha256 = reply.compute_content_sha256();
    reply
}

/// Fills `store` with `replies` replies of two versions each; returns how
/// long it took.
async fn fill(store: &Store, base: &[Reply], replies: usize, writers: usize) -> Duration {
    use futures_util::stream::{self, StreamExt};
    let started = Instant::now();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    stream::iter(0..replies)
        .for_each_concurrent(writers, |n| async move {
            for version in [1, 2] {
                let reply = generated(base, n, version);
                let time = t0 + Days::seconds((n * 2 + version as usize) as i64);
                let kind = if version == 1 {
                    "govwire.reply.published"
                } else {
                    "govwire.reply.updated"
                };
                store
                    .archive_event_at(&format!("bench-{n}-{version}"), kind, &reply, time, time)
                    .await
                    .expect("the archive takes the version");
            }
        })
        .await;
    started.elapsed()
}

/// Runs `query` `runs` times after one warm-up; returns the median and the
/// 95th percentile.
async fn measure<F, Fut>(runs: usize, mut query: F) -> (Duration, Duration, u64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let mut total = query().await;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        total = query().await;
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    (median, p95, total)
}

fn filter(q: Option<&str>) -> ReplyFilter {
    ReplyFilter {
        q: q.map(str::to_string),
        ..ReplyFilter::default()
    }
}

async fn run_queries(backend: &str, store: &Store, runs: usize) {
    let adopted = ReplyFilter {
        result: Some(govwire_store::ResultFilter::Category(
            HandlingCategory::Adopted,
        )),
        ..ReplyFilter::default()
    };
    let dated = ReplyFilter {
        portal: Some("shpt".into()),
        published_from: NaiveDate::from_ymd_opt(2021, 1, 1),
        published_to: NaiveDate::from_ymd_opt(2022, 12, 31),
        status: Some(ArchiveStatus::Active),
        ..ReplyFilter::default()
    };
    // The cursor of page 20, for a page deep in the list.
    let mut cursor = None;
    for _ in 0..19 {
        let page = store
            .query_replies(&filter(None), cursor.as_ref(), 50)
            .await
            .unwrap();
        cursor = page.next;
    }
    let cases: Vec<(&str, ReplyFilter, bool)> = vec![
        ("list, first page", filter(None), false),
        ("list, page 20", filter(None), true),
        ("list, result = adopted", adopted, false),
        ("list, portal + dates + status", dated, false),
        ("search 电梯 (2 characters)", filter(Some("电梯")), false),
        ("search 加装电梯", filter(Some("加装电梯")), false),
        (
            "search 苏州河滨水空间",
            filter(Some("苏州河滨水空间")),
            false,
        ),
        (
            "search 停车 社区 (two terms)",
            filter(Some("停车 社区")),
            false,
        ),
        ("search 量子计算 (no hit)", filter(Some("量子计算")), false),
    ];
    for (name, filter, deep) in cases {
        let after = if deep { cursor.clone() } else { None };
        let (median, p95, total) = measure(runs, || {
            let filter = filter.clone();
            let after = after.clone();
            async move {
                store
                    .query_replies(&filter, after.as_ref(), 50)
                    .await
                    .expect("the query answers")
                    .total
            }
        })
        .await;
        println!(
            "| {backend} | {name} | {total} | {:.1} | {:.1} |",
            median.as_secs_f64() * 1000.0,
            p95.as_secs_f64() * 1000.0
        );
    }
}

/// Drops the benchmark's database, unless `BENCH_KEEP` is set: then says
/// where it is, for a look at the query plans.
async fn keep_or_clean(db: govwire_store::testing::TestDb) {
    if std::env::var_os("BENCH_KEEP").is_some() {
        use secrecy::ExposeSecret;
        eprintln!("kept: {}", db.url.expose_secret());
    } else {
        db.cleanup().await;
    }
}

#[tokio::main]
async fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let env_usize = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let versions = if measuring {
        env_usize("BENCH_VERSIONS", 100_000)
    } else {
        200
    };
    let runs = if measuring {
        env_usize("BENCH_RUNS", 50)
    } else {
        1
    };
    let replies = versions / 2;
    let base = corpus();
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();

    println!(
        "archive of {replies} replies, {} versions; {runs} runs per query",
        replies * 2
    );
    println!("| store | query | matches | median ms | p95 ms |");
    println!("| --- | --- | ---: | ---: | ---: |");
    if only.is_empty() || only == "sqlite" {
        let db = govwire_store::testing::fresh_sqlite().await;
        let took = fill(&db.store, &base, replies, 1).await;
        db.store.optimize_archive().await.expect("statistics");
        eprintln!("sqlite: filled in {:.1} s", took.as_secs_f64());
        run_queries("SQLite", &db.store, runs).await;
        keep_or_clean(db).await;
    }
    if only.is_empty() || only == "postgres" {
        let db = govwire_store::testing::fresh_postgres().await;
        let took = fill(&db.store, &base, replies, 8).await;
        db.store.optimize_archive().await.expect("statistics");
        eprintln!("postgres: filled in {:.1} s", took.as_secs_f64());
        run_queries("PostgreSQL", &db.store, runs).await;
        keep_or_clean(db).await;
    }
}
