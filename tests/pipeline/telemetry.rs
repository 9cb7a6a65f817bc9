//! The health and metrics listener of a running pipeline, read as an
//! orchestrator and Prometheus read it.

use std::collections::BTreeMap;

use govwire_model::pipeline::{
    ALERTS_QUEUE, ANALYTICS_QUEUE, ARCHIVE_QUEUE, NOTIFIER_QUEUE, PARSER_QUEUE,
};
use prometheus_parse::{Sample, Scrape, Value};

use crate::harness::Pipeline;

/// The value of the sample `name` whose labels include `labels`, summed
/// over the samples that match (0 when none does).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// After every reply of the corpus (`replies`) went through the pipeline:
/// the process is live and ready, and `/metrics` parses as Prometheus
/// text, names its metrics after the conventions, carries no unbounded
/// label, and counts what the run did.
pub async fn assert_health_and_metrics_tell_the_run(pipeline: &Pipeline, replies: usize) {
    assert_eq!(pipeline.telemetry_get("/livez").await, (200, "ok\n".into()));
    assert_eq!(
        pipeline.telemetry_get("/readyz").await,
        (200, "ready\n".into())
    );

    let (status, text) = pipeline.telemetry_get("/metrics").await;
    assert_eq!(status, 200);
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .unwrap_or_else(|e| panic!("/metrics is not Prometheus text ({e}):\n{text}"));
    assert!(!scrape.samples.is_empty(), "{text}");

    // Names and labels after the conventions, and bounded.
    let mut families: BTreeMap<&str, usize> = BTreeMap::new();
    for Sample {
        metric,
        labels,
        value,
        ..
    } in &scrape.samples
    {
        assert!(metric.starts_with("govwire_"), "{metric}");
        if matches!(value, Value::Counter(_)) {
            assert!(
                metric.ends_with("_total"),
                "a counter ends in _total: {metric}"
            );
        }
        for (key, label) in labels.iter() {
            assert!(
                !label.contains("://") && !label.contains('〔') && !label.contains(':'),
                "{metric} has an unbounded label {key}={label}"
            );
        }
        *families.entry(metric.as_str()).or_default() += 1;
    }
    for family in [
        "govwire_crawler_requests_total",
        "govwire_crawler_polls_total",
        "govwire_crawler_items_total",
        "govwire_parser_pages_total",
        "govwire_notifier_events_published_total",
        "govwire_consumer_deliveries_total",
        "govwire_consumer_acks_total",
        "govwire_consumer_running",
    ] {
        assert!(families.contains_key(family), "no {family} in:\n{text}");
    }

    // What this run did, on the queues of its own.
    let config = pipeline.bus_config();
    for queue in [
        PARSER_QUEUE,
        NOTIFIER_QUEUE,
        ARCHIVE_QUEUE,
        ALERTS_QUEUE,
        ANALYTICS_QUEUE,
    ] {
        let name = config.queue_name(queue.name);
        assert_eq!(
            value(&scrape, "govwire_consumer_running", &[("queue", &name)]),
            1.0,
            "the consumer of {name} runs"
        );
    }
    let archive = config.queue_name(ARCHIVE_QUEUE.name);
    let acked = value(
        &scrape,
        "govwire_consumer_acks_total",
        &[("queue", &archive)],
    );
    assert!(
        acked >= replies as f64,
        "{acked} archive acks for {replies} replies"
    );
    assert!(
        value(
            &scrape,
            "govwire_consumer_dead_letters_total",
            &[("queue", &archive)]
        ) == 0.0,
        "nothing dead-lettered"
    );
    // Counters shared with other runs of this test process: at least this
    // run's.
    assert!(
        value(
            &scrape,
            "govwire_notifier_events_published_total",
            &[("type", "govwire.reply.published")]
        ) >= replies as f64
    );
    assert!(
        value(
            &scrape,
            "govwire_parser_pages_total",
            &[("portal", "shpt"), ("outcome", "reply")]
        ) >= replies as f64
    );
    assert!(
        value(
            &scrape,
            "govwire_crawler_requests_total",
            &[("portal", "shpt"), ("outcome", "200")]
        ) >= replies as f64
    );
    // The corpus's pages in layouts the profile does not describe are read
    // without its title and metadata selectors; the warnings say so by
    // field.
    for field in ["title", "metadata"] {
        assert!(
            value(
                &scrape,
                "govwire_parser_warnings_total",
                &[("portal", "shpt"), ("field", field)]
            ) >= 1.0,
            "no {field} warning counted in:\n{text}"
        );
    }
}
