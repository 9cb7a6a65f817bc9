//! A page the parser cannot read ends in the parser's dead-letter queue with
//! the reason in its headers, and never becomes an event.

use std::time::Duration;

use chrono::Utc;
use govwire_bus::{dead_letter_queue_name, Bus, Message};
use govwire_model::RawPage;
use govwire_store::testing::fresh_sqlite;

use crate::harness::{config_for, corpus_goldens, spawn_pipeline, Names};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_page_without_a_body_is_dead_lettered_with_its_reason() {
    let names = Names::unique();
    let db = fresh_sqlite().await;
    let pipeline = spawn_pipeline(&names, &db, None).await;
    pipeline.wait_archived(corpus_goldens().len()).await;
    let events_before = pipeline.events().len();

    let bus_config = config_for(&names, &db).bus();
    let bus = Bus::connect(&bus_config, "dead-letter-test")
        .await
        .expect("RabbitMQ answers");
    // A reply's title with an empty body: it looks like a reply, but its
    // required body is missing.
    let html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\
                <h1>对区十七届人大五次会议第0099号代表建议的答复</h1>\
                <div class=\"article-content\"><div class=\"TRS_Editor\"></div></div></body></html>";
    let page = RawPage {
        portal: "shpt".into(),
        section: "district-gov-docs".into(),
        item_id: "999001".into(),
        url: format!(
            "{}/zhengwu/zdgkml-qzfwj/2026/1/999001.html",
            pipeline.portal.base_url()
        ),
        list_title: Some("对区十七届人大五次会议第0099号代表建议的答复".into()),
        published_on: None,
        fetched_at: Utc::now(),
        content_type: Some("text/html; charset=utf-8".into()),
        body: html.as_bytes().to_vec(),
        attachments: vec![],
    };
    bus.publisher()
        .await
        .unwrap()
        .publish(&Message {
            exchange: bus_config.pipeline_exchange.clone(),
            routing_key: govwire_model::pipeline::PAGES_ROUTING_KEY.into(),
            body: serde_json::to_vec(&page).unwrap(),
            content_type: "application/json".into(),
            message_id: "dead-letter-test-page".into(),
            kind: Some("govwire.pipeline.raw_page".into()),
            timestamp: None,
            headers: vec![],
        })
        .await
        .unwrap();

    let dlq = dead_letter_queue_name(&format!(
        "{}.{}",
        bus_config.queue_prefix,
        govwire_model::pipeline::PARSER_QUEUE.name
    ));
    let mut consumer = bus.consumer(&dlq, "dead-letter-test").await.unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(60), consumer.next())
        .await
        .expect("the page reaches the dead-letter queue within 60 s")
        .expect("the consumer is open")
        .expect("a delivery");
    assert_eq!(delivery.message_id(), Some("dead-letter-test-page"));
    let reason = delivery
        .header("x-govwire-reason")
        .expect("the reason travels in a header");
    assert!(
        reason.contains("body"),
        "the reason names the missing field: {reason}"
    );
    let dead: RawPage =
        serde_json::from_slice(delivery.body()).expect("the body is the page as sent");
    assert_eq!(dead.item_id, "999001");
    delivery.ack().await.unwrap();

    // The notifier saw nothing: a second full poll later, still no new event.
    pipeline.wait_for_full_polls(1).await;
    assert_eq!(
        pipeline.events().len(),
        events_before,
        "a parse failure is never published"
    );
    bus.close().await;
    pipeline.stop().await;
    db.cleanup().await;
}
