//! The Atom feed read by a real feed reader, and the export read back by a
//! real CSV reader: every field of every reply of the fixture corpus
//! survives, and hostile text stays text.

use chrono::{TimeZone, Utc};
use govwire_archive::export::{self, Format, CSV_COLUMNS};
use govwire_archive::feed::{self, Feed, FeedItem};
use govwire_model::{FieldChange, Reply};

fn replies() -> Vec<Reply> {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .enumerate()
        .map(|(i, mut r)| {
            r.version = 1 + (i % 2) as u32;
            r
        })
        .collect()
}

fn hostile() -> Reply {
    let mut reply = replies().remove(0);
    reply.title = "<script>alert(1)</script> \"引号\" & 'x' ]]> =1+1".into();
    reply.url = Some("javascript:alert(1)".into());
    reply.addressee = Some("=HYPERLINK(\"http://x\")".into());
    reply.body.sections[0]
        .paragraphs
        .push("第一行,\n第二行 \"quoted\" <b>bold</b>".into());
    reply
}

#[test]
fn the_feed_parses_as_atom_with_one_entry_per_version_and_updates_saying_what_changed() {
    let mut items: Vec<FeedItem> = replies()
        .into_iter()
        .enumerate()
        .map(|(i, reply)| FeedItem {
            event_id: format!("event-{i}"),
            event_type: "govwire.reply.published".into(),
            received_at: Utc.with_ymd_and_hms(2026, 7, 1, 8, 0, 0).unwrap()
                + chrono::Duration::minutes(i as i64),
            changes: None,
            reply,
        })
        .collect();
    let mut updated = items[0].clone();
    updated.event_id = "event-update".into();
    updated.event_type = "govwire.reply.updated".into();
    updated.received_at = Utc.with_ymd_and_hms(2026, 8, 1, 8, 0, 0).unwrap();
    updated.changes = Some(vec![FieldChange {
        field: "handling_result.raw".into(),
        before: "列入计划解决".into(),
        after: "解决采纳".into(),
    }]);
    items.insert(0, updated);
    items.push(FeedItem {
        event_id: "event-hostile".into(),
        reply: hostile(),
        ..items[1].clone()
    });
    let xml = feed::render(&Feed {
        self_url: "http://127.0.0.1:8088/feed.atom?q=电梯&portal=shpt".into(),
        base_url: "http://127.0.0.1:8088".into(),
        title: "govwire 答复 · 电梯".into(),
        items: items.clone(),
        now: Utc::now(),
    });

    let parsed = feed_rs::parser::parse(xml.as_bytes()).expect("a valid Atom feed");
    assert_eq!(parsed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(parsed.entries.len(), items.len());
    let ids: std::collections::BTreeSet<&str> =
        parsed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), items.len(), "every entry has its own id");

    let update = &parsed.entries[0];
    assert!(update
        .title
        .as_ref()
        .unwrap()
        .content
        .starts_with("【更新】"));
    let summary = &update.summary.as_ref().unwrap().content;
    assert!(
        summary.contains("handling_result.raw：列入计划解决 → 解决采纳"),
        "{summary}"
    );
    assert_eq!(
        update.updated.unwrap(),
        Utc.with_ymd_and_hms(2026, 8, 1, 8, 0, 0).unwrap()
    );
    let first = &parsed.entries[1];
    assert!(first
        .title
        .as_ref()
        .unwrap()
        .content
        .starts_with("【发布】"));
    assert!(
        first.links[0].href.contains("/reply/shpt:%E"),
        "{:?}",
        first.links
    );

    let evil = parsed.entries.last().unwrap();
    assert_eq!(
        evil.title.as_ref().unwrap().content,
        format!("【发布】{}", hostile().title),
        "the hostile title reads back as the same text"
    );
    assert!(
        evil.links
            .iter()
            .all(|l| !l.href.starts_with("javascript:")),
        "{:?}",
        evil.links
    );
}

#[test]
fn jsonl_and_csv_round_trip_every_field_of_every_reply() {
    let mut all = replies();
    all.push(hostile());

    let mut jsonl = Vec::new();
    export::write(Format::Jsonl, &all, &mut jsonl).unwrap();
    let back: Vec<Reply> = String::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, all);

    let mut csv_bytes = Vec::new();
    export::write(Format::Csv, &all, &mut csv_bytes).unwrap();
    let text = String::from_utf8(csv_bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark first");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), all.len());
    for (row, reply) in rows.iter().zip(&all) {
        let record: Reply = serde_json::from_str(&row[CSV_COLUMNS.len() - 1]).unwrap();
        assert_eq!(&record, reply, "the record column holds every field");
        assert_eq!(&row[0], reply.id.as_str());
        assert_eq!(&row[3], reply.title.as_str());
        assert_eq!(row[2].parse::<u32>().unwrap(), reply.version);
    }
    let evil = rows.last().unwrap();
    assert_eq!(
        &evil[5], "'=HYPERLINK(\"http://x\")",
        "a formula is kept from running in a spreadsheet"
    );
}
