//! What the store keeps to read again: pages by the hash of their bytes,
//! and the events the archive took, in their order.

use chrono::{DateTime, Duration, TimeZone, Utc};
use govwire_model::{EventType, RawAttachment, RawPage};
use govwire_store::testing::TestDb;
use govwire_store::{ArchiveInput, EventLogFilter};

use crate::support::{on_both_backends, reply_numbered, versioned};

on_both_backends!(
    a_page_is_kept_under_the_hash_of_its_bytes_once,
    the_event_log_reads_back_every_event_byte_for_byte_in_time_order,
    the_event_log_is_filtered_by_time_portal_and_type,
);

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn page(item: &str, body: &[u8]) -> RawPage {
    RawPage {
        portal: "shpt".into(),
        section: "replies".into(),
        item_id: item.into(),
        url: format!("http://portal.test/{item}.html"),
        list_title: Some("关于……的答复".into()),
        published_on: None,
        fetched_at: t(0),
        content_type: Some("text/html; charset=gbk".into()),
        body: body.to_vec(),
        attachments: vec![RawAttachment {
            name: "附件.pdf".into(),
            url: format!("http://portal.test/{item}.pdf"),
            content_type: Some("application/pdf".into()),
            body: b"%PDF-1.4 \x00\xff".to_vec(),
            text: Some("附件的文字".into()),
            error: None,
        }],
    }
}

async fn a_page_is_kept_under_the_hash_of_its_bytes_once(db: &TestDb) {
    let one = page("1", b"<html>\xc6\xd5\xcd\xd3</html>");
    let two = page("2", b"<html>two</html>");
    let (sha_one, sha_two) = (one.body_sha256(), two.body_sha256());
    assert_eq!(
        db.store
            .keep_pages(&[(&one, &sha_one), (&two, &sha_two)], t(1))
            .await
            .unwrap(),
        2
    );
    // The same bytes again (another fetch, another item): nothing new, the
    // first kept as it was.
    let again = page("3", &one.body);
    assert_eq!(
        db.store
            .keep_pages(&[(&again, &again.body_sha256())], t(2))
            .await
            .unwrap(),
        0
    );
    let kept = db
        .store
        .kept_page(&one.body_sha256())
        .await
        .unwrap()
        .expect("kept");
    assert_eq!(kept, one, "the page, its attachments and their text");
    assert_eq!(db.store.kept_page(&"0".repeat(64)).await.unwrap(), None);
}

/// Archives `n` events: event `i` has time `times[i]`, body `body-i`.
async fn archive(db: &TestDb, times: &[i64], kinds: &[&str]) -> Vec<String> {
    let replies: Vec<_> = (0..times.len())
        .map(|i| versioned(&reply_numbered(u32::try_from(i).unwrap()), 1, "http://p/x"))
        .collect();
    let bodies: Vec<Vec<u8>> = (0..times.len())
        .map(|i| format!("{{\"id\":\"ev-{i}\",\"n\":{i}}}").into_bytes())
        .collect();
    let ids: Vec<String> = (0..times.len()).map(|i| format!("ev-{i}")).collect();
    // One at a time, as deliveries arrive.
    for i in 0..times.len() {
        let input = ArchiveInput {
            event_id: &ids[i],
            event_type: kinds[i % kinds.len()],
            reply: &replies[i],
            changes: None,
            event_time: t(times[i]),
            received_at: t(100),
            body: Some(&bodies[i]),
        };
        assert_eq!(db.store.archive_events(&[input]).await.unwrap(), vec![true]);
        // A redelivery is not logged twice.
        assert_eq!(
            db.store.archive_events(&[input]).await.unwrap(),
            vec![false]
        );
    }
    ids
}

async fn the_event_log_reads_back_every_event_byte_for_byte_in_time_order(db: &TestDb) {
    // Received out of time order; two share a time.
    archive(db, &[5, 1, 3, 3, 2], &["govwire.reply.published"]).await;
    let all = EventLogFilter::default();
    assert_eq!(db.store.count_logged_events(&all).await.unwrap(), 5);
    // Read two at a time, as replay pages through the log.
    let mut read = Vec::new();
    let mut after = None;
    loop {
        let page = db
            .store
            .logged_events(&all, after.as_ref(), 2)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.position.clone());
        read.extend(page);
    }
    let ids: Vec<&str> = read.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["ev-1", "ev-4", "ev-2", "ev-3", "ev-0"]);
    for event in &read {
        let n = &event.event_id[3..];
        assert_eq!(
            event.body,
            format!("{{\"id\":\"ev-{n}\",\"n\":{n}}}").into_bytes()
        );
        assert_eq!(event.routing_key, "shpt.reply.published");
    }
    assert_eq!(read[0].time, t(1));
}

async fn the_event_log_is_filtered_by_time_portal_and_type(db: &TestDb) {
    archive(
        db,
        &[1, 2, 3, 4],
        &["govwire.reply.published", "govwire.reply.updated"],
    )
    .await;
    let read = |filter: EventLogFilter| async move {
        db.store
            .logged_events(&filter, None, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_id)
            .collect::<Vec<_>>()
    };
    let span = EventLogFilter {
        since: Some(t(2)),
        until: Some(t(4)),
        ..EventLogFilter::default()
    };
    assert_eq!(read(span.clone()).await, ["ev-1", "ev-2"]);
    assert_eq!(db.store.count_logged_events(&span).await.unwrap(), 2);
    let updates = EventLogFilter {
        types: vec![EventType::ReplyUpdated],
        ..EventLogFilter::default()
    };
    assert_eq!(read(updates).await, ["ev-1", "ev-3"]);
    let elsewhere = EventLogFilter {
        portal: Some("pudong".into()),
        ..EventLogFilter::default()
    };
    assert!(read(elsewhere).await.is_empty());
    let here = EventLogFilter {
        portal: Some("shpt".into()),
        ..EventLogFilter::default()
    };
    assert_eq!(read(here).await.len(), 4);
}
