//! Following the archive without AMQP, over HTTP against a real store on
//! both backends: the Atom feed with the list's filters (an update an entry
//! of its own that says what changed), and the exports, whole and filtered.

use govwire_archive::{api, handle_event};
use govwire_model::event::{EventType, PreviousVersion, ReplyEvent};
use govwire_model::{HandlingCategory, HandlingResult, Reply};
use govwire_store::on_both_backends;
use govwire_store::testing::TestDb;

on_both_backends!(
    the_feed_follows_a_search_and_says_what_an_update_changed,
    the_exports_hold_what_the_filters_select_and_read_back_whole,
);

fn corpus() -> Vec<Reply> {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .map(|mut r| {
            r.version = 1;
            r.content_sha256 = r.compute_content_sha256();
            r
        })
        .collect()
}

fn event(kind: EventType, reply: &Reply, previous: Option<&Reply>) -> Vec<u8> {
    serde_json::to_vec(&ReplyEvent::for_reply(
        kind,
        reply.clone(),
        previous.map(|p| PreviousVersion {
            version: p.version,
            content_sha256: p.content_sha256.clone(),
        }),
        previous.map(|p| reply.changes_since(p)),
        chrono::Utc::now(),
    ))
    .unwrap()
}

/// Archives the corpus and a version 2 of the first reply whose title or
/// body holds 电梯 (its handling result changed); returns that reply.
async fn archive(db: &TestDb) -> (Vec<Reply>, Reply) {
    let replies = corpus();
    for r in &replies {
        handle_event(&db.store, &event(EventType::ReplyPublished, r, None))
            .await
            .unwrap();
    }
    let v1 = replies
        .iter()
        .find(|r| {
            r.title.contains("电梯")
                || r.body
                    .sections
                    .iter()
                    .any(|s| s.paragraphs.iter().any(|p| p.contains("电梯")))
        })
        .expect("a fixture reply about lifts")
        .clone();
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    v2.content_sha256 = v2.compute_content_sha256();
    handle_event(&db.store, &event(EventType::ReplyUpdated, &v2, Some(&v1)))
        .await
        .unwrap();
    (replies, v2)
}

async fn serve(db: &TestDb) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(db.store.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), server)
}

async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

async fn the_feed_follows_a_search_and_says_what_an_update_changed(db: &TestDb) {
    let (_, updated) = archive(db).await;
    let (base, server) = serve(db).await;

    let (status, kind, xml) = get(&format!(
        "{base}/feed.atom?q=%E7%94%B5%E6%A2%AF&portal=shpt"
    ))
    .await;
    assert_eq!(status, 200, "{xml}");
    assert_eq!(kind, "application/atom+xml; charset=utf-8");
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("valid Atom");
    assert!(!feed.entries.is_empty());
    assert!(feed.title.unwrap().content.contains("电梯"));
    let update = &feed.entries[0];
    assert!(
        update
            .title
            .as_ref()
            .unwrap()
            .content
            .starts_with("【更新】"),
        "the newest entry is the update: {:?}",
        update.title
    );
    assert!(update
        .title
        .as_ref()
        .unwrap()
        .content
        .contains(&updated.title));
    let summary = &update.summary.as_ref().unwrap().content;
    assert!(
        summary.contains("handling_result.raw") && summary.contains("部分采纳"),
        "{summary}"
    );
    assert!(
        feed.entries
            .iter()
            .filter(|e| e.title.as_ref().unwrap().content.contains(&updated.title))
            .count()
            >= 2,
        "the first version has an entry of its own"
    );
    let self_link = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("self"))
        .unwrap();
    assert!(self_link.href.starts_with(&base) && self_link.href.contains("/feed.atom?"));

    // A filter that selects nothing is an empty feed, still valid; a bad
    // parameter is a 400 naming it.
    let (status, _, xml) = get(&format!(
        "{base}/feed.atom?result=cannot_solve&q=%E9%87%8F%E5%AD%90"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(feed_rs::parser::parse(xml.as_bytes())
        .unwrap()
        .entries
        .is_empty());
    let (status, _, body) = get(&format!("{base}/feed.atom?topic=x")).await;
    assert_eq!(status, 400);
    assert!(body.contains("\"parameter\":\"topic\""), "{body}");
    server.abort();
}

async fn the_exports_hold_what_the_filters_select_and_read_back_whole(db: &TestDb) {
    let (replies, updated) = archive(db).await;
    let (base, server) = serve(db).await;

    let (status, kind, body) = get(&format!("{base}/export.jsonl")).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/x-ndjson"));
    let mut back: Vec<Reply> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back.len(), replies.len(), "one row per reply");
    back.sort_by(|a, b| a.id.cmp(&b.id));
    let mut expected: Vec<Reply> = replies
        .iter()
        .map(|r| {
            if r.id == updated.id {
                updated.clone()
            } else {
                r.clone()
            }
        })
        .collect();
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        back, expected,
        "every field of every reply, current version"
    );

    let (_, _, body) = get(&format!("{base}/export.jsonl?versions=true")).await;
    assert_eq!(body.lines().count(), replies.len() + 1, "every version");

    let (status, kind, body) = get(&format!("{base}/export.csv?result=partially_adopted")).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"));
    let text = body.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<Reply> = reader
        .records()
        .map(|r| {
            serde_json::from_str(&r.unwrap()[govwire_archive::export::CSV_COLUMNS.len() - 1])
                .unwrap()
        })
        .collect();
    let partially = expected
        .iter()
        .filter(|r| {
            r.handling_result.as_ref().and_then(|h| h.category)
                == Some(HandlingCategory::PartiallyAdopted)
        })
        .count();
    assert_eq!(rows.len(), partially);
    assert!(rows.iter().any(|r| r.id == updated.id));

    for (query, parameter) in [
        ("since=yesterday", "since"),
        ("versions=maybe", "versions"),
        ("limit=5", "limit"),
        ("colour=red", "colour"),
    ] {
        let (status, _, body) = get(&format!("{base}/export.csv?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body.contains(&format!("\"parameter\":\"{parameter}\"")),
            "{query}: {body}"
        );
    }
    server.abort();
}
