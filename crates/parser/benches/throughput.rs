//! Parse throughput on the fixture corpus (every served page, in every
//! layout), beside a bare html5ever parse (`scraper::Html::parse_document`)
//! of the same decoded pages: documents/s, MB/s and the ratio.
//!
//! Run with `make bench` (`cargo bench -p govwire-parser --bench
//! throughput`, release profile). `BENCH_SECONDS` sets the time spent on
//! each measurement (default 5), the two measurements alternating pass by
//! pass; `BENCH_ONLY=parse` or `BENCH_ONLY=bare` runs one of the two alone,
//! for a profiler. Results go in BENCHMARKS.md; nothing here
//! asserts a time. Under `cargo test --all-targets` it parses each page
//! once and measures nothing.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use govwire_fixture_portal::{corpus, Layout};
use govwire_model::{PortalProfile, RawPage};

fn profile() -> PortalProfile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../config/portals/shpt.toml"
    );
    let text = std::fs::read_to_string(path).expect("the shpt profile is readable");
    toml::from_str(&text).expect("the shpt profile parses")
}

/// Every served page of the corpus in every layout, as the crawler hands
/// it over, with its text decoded for the bare parse.
fn pages() -> Vec<(RawPage, String)> {
    let mut pages = Vec::new();
    for doc in corpus().into_iter().filter(|d| d.is_served()) {
        for layout in Layout::ALL {
            let served = doc.served_as(layout);
            let encoding = encoding_rs::Encoding::for_label(doc.encoding.label().as_bytes())
                .unwrap_or(encoding_rs::UTF_8);
            let (text, _, _) = encoding.decode(&served.body);
            let text = text.into_owned();
            let page = RawPage {
                portal: "shpt".into(),
                section: "bench".into(),
                item_id: doc.item_id().to_string(),
                url: format!("https://www.shpt.gov.cn{}", doc.path()),
                list_title: Some(doc.title().to_string()),
                published_on: Some(doc.published_on),
                fetched_at: Utc
                    .timestamp_opt(1_780_000_000, 0)
                    .single()
                    .expect("a valid instant"),
                content_type: Some(served.content_type),
                body: served.body,
                attachments: Vec::new(),
            };
            pages.push((page, text));
        }
    }
    pages
}

/// Runs `a` and `b` (each one pass over every page) in turn until both
/// have run for at least `budget`; returns the passes and time of each.
fn alternate(
    budget: Duration,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (u64, Duration, u64, Duration) {
    a(); // warm-up
    b();
    let (mut a_passes, mut a_time, mut b_passes, mut b_time) =
        (0, Duration::ZERO, 0, Duration::ZERO);
    while a_time < budget || b_time < budget {
        let started = Instant::now();
        a();
        a_time += started.elapsed();
        a_passes += 1;
        let started = Instant::now();
        b();
        b_time += started.elapsed();
        b_passes += 1;
    }
    (a_passes, a_time, b_passes, b_time)
}

/// Runs `pass` (one pass over every page) repeatedly for at least `budget`;
/// returns passes and elapsed time.
fn measure(budget: Duration, mut pass: impl FnMut()) -> (u64, Duration) {
    pass(); // warm-up
    let started = Instant::now();
    let mut passes = 0;
    while started.elapsed() < budget {
        pass();
        passes += 1;
    }
    (passes, started.elapsed())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this
    // binary without it, and then one pass over the corpus shows that the
    // benchmark still works, without timing a debug build.
    if !std::env::args().any(|a| a == "--bench") {
        let profile = profile();
        let pages = pages();
        for (page, text) in &pages {
            black_box(scraper::Html::parse_document(text));
            let _ = black_box(govwire_parser::parse_page(page, &profile));
        }
        println!(
            "throughput: {} pages parsed once (run `make bench` to measure)",
            pages.len()
        );
        return;
    }
    let budget = Duration::from_secs_f64(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5.0),
    );
    let profile = profile();
    let pages = pages();
    let docs = pages.len() as f64;
    let bytes: usize = pages.iter().map(|(p, _)| p.body.len()).sum();
    let mb = bytes as f64 / 1_000_000.0;

    // `BENCH_ONLY=parse` (or `bare`) runs one half alone, for a profiler.
    // Otherwise the two alternate, pass by pass, so that both meet the same
    // load on a shared machine and the ratio holds steadier than the
    // absolute rates.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let bare_pass = || {
        for (_, text) in &pages {
            black_box(scraper::Html::parse_document(black_box(text)));
        }
    };
    let parse_pass = || {
        for (page, _) in &pages {
            let _ = black_box(govwire_parser::parse_page(black_box(page), &profile));
        }
    };
    let (bare_passes, bare_time, parse_passes, parse_time) = match only.as_str() {
        "parse" => {
            let (passes, time) = measure(budget, parse_pass);
            (0, Duration::ZERO, passes, time)
        }
        "bare" => {
            let (passes, time) = measure(budget, bare_pass);
            (passes, time, 0, Duration::ZERO)
        }
        _ => alternate(budget, bare_pass, parse_pass),
    };
    let per_pass = |passes: u64, time: Duration| time.as_secs_f64() / passes.max(1) as f64;
    let bare = per_pass(bare_passes, bare_time);
    let full = per_pass(parse_passes, parse_time);
    println!(
        "corpus: {} pages ({} documents x {} layouts), {:.2} MB",
        pages.len(),
        pages.len() / Layout::ALL.len(),
        Layout::ALL.len(),
        mb
    );
    println!(
        "html5ever parse (scraper::Html::parse_document): {:>9.0} documents/s {:>7.2} MB/s ({bare_passes} passes)",
        docs / bare,
        mb / bare
    );
    println!(
        "govwire_parser::parse_page:                      {:>9.0} documents/s {:>7.2} MB/s ({parse_passes} passes)",
        docs / full,
        mb / full
    );
    println!(
        "ratio parse_page / bare parse: {:.2}x (the parser's own work: {:.0}% of the HTML parse)",
        full / bare,
        (full - bare) / bare * 100.0
    );
}
