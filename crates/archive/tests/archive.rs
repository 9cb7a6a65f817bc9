//! The archive's storage and read API against a real store.

use govwire_archive::{api, handle_event};
use govwire_bus::HandlerError;
use govwire_model::event::{EventType, PreviousVersion, ReplyEvent};
use govwire_model::Reply;
use govwire_store::testing::{fresh_postgres, fresh_sqlite, TestDb};

fn version(n: u32, handling: &str) -> Reply {
    let mut r: Reply = serde_json::from_str(include_str!(
        "../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .unwrap();
    r.handling_result.as_mut().unwrap().raw = handling.into();
    r.version = n;
    r.content_sha256 = r.compute_content_sha256();
    r
}

fn event(kind: EventType, reply: Reply) -> Vec<u8> {
    let previous = (reply.version > 1).then(|| PreviousVersion {
        version: reply.version - 1,
        content_sha256: "x".into(),
    });
    serde_json::to_vec(&ReplyEvent::for_reply(
        kind,
        reply,
        previous,
        None,
        chrono::Utc::now(),
    ))
    .unwrap()
}

async fn redelivered_events_change_nothing_and_versions_accumulate(db: &TestDb) {
    let published = event(EventType::ReplyPublished, version(1, "解决采纳"));
    handle_event(&db.store, &published).await.unwrap();
    handle_event(&db.store, &published).await.unwrap();
    let stats = db.store.archive_stats().await.unwrap();
    assert_eq!((stats.replies, stats.versions, stats.events), (1, 1, 1));

    let updated = event(EventType::ReplyUpdated, version(2, "部分采纳"));
    handle_event(&db.store, &updated).await.unwrap();
    handle_event(&db.store, &updated).await.unwrap();
    let stats = db.store.archive_stats().await.unwrap();
    assert_eq!((stats.replies, stats.versions, stats.events), (1, 2, 2));

    // The read API serves the current record and every version.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(db.store.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let id = "shpt:%E6%99%AE%E5%BA%9C%E3%80%942022%E3%80%9555%E5%8F%B7";
    let reply: serde_json::Value = http
        .get(format!("{base}/replies/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["current"]["version"], 2);
    assert_eq!(reply["current"]["handling_result"]["raw"], "部分采纳");
    assert_eq!(reply["versions"].as_array().unwrap().len(), 2);
    let v1: serde_json::Value = http
        .get(format!("{base}/replies/{id}/versions/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v1["handling_result"]["raw"], "解决采纳");
    let missing = http
        .get(format!("{base}/replies/shpt:nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), reqwest::StatusCode::NOT_FOUND);
    let list: serde_json::Value = http
        .get(format!("{base}/replies?portal=shpt"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["replies"].as_array().unwrap().len(), 1);
    assert_eq!(list["next"], serde_json::Value::Null);
    server.abort();
}

#[tokio::test]
async fn redelivered_events_change_nothing_on_sqlite() {
    let db = fresh_sqlite().await;
    redelivered_events_change_nothing_and_versions_accumulate(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn redelivered_events_change_nothing_on_postgres() {
    let db = fresh_postgres().await;
    redelivered_events_change_nothing_and_versions_accumulate(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_message_that_is_not_a_reply_event_is_poison() {
    let db = fresh_sqlite().await;
    match handle_event(&db.store, b"{not json").await {
        Err(HandlerError::Poison(reason)) => {
            assert!(reason.contains("not a reply CloudEvent"), "{reason}")
        }
        other => panic!("expected poison, got {other:?}"),
    }
    let mut ev: serde_json::Value =
        serde_json::from_slice(&event(EventType::ReplyPublished, version(1, "解决采纳"))).unwrap();
    ev["subject"] = "shpt:other".into();
    match handle_event(&db.store, &serde_json::to_vec(&ev).unwrap()).await {
        Err(HandlerError::Poison(reason)) => assert!(reason.contains("does not match"), "{reason}"),
        other => panic!("expected poison, got {other:?}"),
    }
    assert_eq!(db.store.archive_stats().await.unwrap().events, 0);
    db.cleanup().await;
}

async fn a_withdrawn_reply_is_marked_withdrawn_until_restored_whatever_the_arrival_order(
    db: &TestDb,
) {
    let t = |s: i64| chrono::Utc::now() + chrono::Duration::seconds(s);
    let v1 = version(1, "解决采纳");
    let published = ReplyEvent::for_reply(EventType::ReplyPublished, v1.clone(), None, None, t(0));
    let withdrawn = ReplyEvent::withdrawn(v1.clone(), "404 on 3 visits", 0, t(10));
    let restored = ReplyEvent::restored(v1.clone(), 1, t(20));
    let body = |e: &ReplyEvent| serde_json::to_vec(e).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(db.store.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let url =
        format!("http://{addr}/replies/shpt:%E6%99%AE%E5%BA%9C%E3%80%942022%E3%80%9555%E5%8F%B7");
    let status = || async {
        let reply: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        let listed: serde_json::Value = http
            .get(format!("http://{addr}/replies"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            listed["replies"][0]["status"], reply["status"],
            "list and reply agree"
        );
        reply["status"].as_str().unwrap().to_string()
    };

    handle_event(&db.store, &body(&published)).await.unwrap();
    assert_eq!(status().await, "active");
    handle_event(&db.store, &body(&withdrawn)).await.unwrap();
    assert_eq!(status().await, "withdrawn");
    handle_event(&db.store, &body(&restored)).await.unwrap();
    assert_eq!(status().await, "active");
    // The withdrawal delivered again late (as a new copy of an old event)
    // does not undo the newer restoration.
    let mut late = withdrawn.clone();
    late.id = "a-late-copy".into();
    handle_event(&db.store, &body(&late)).await.unwrap();
    assert_eq!(status().await, "active");
    let stats = db.store.archive_stats().await.unwrap();
    assert_eq!(
        (stats.replies, stats.versions),
        (1, 1),
        "status events add no version"
    );
    server.abort();
}

#[tokio::test]
async fn a_withdrawn_reply_is_marked_withdrawn_until_restored_on_sqlite() {
    let db = fresh_sqlite().await;
    a_withdrawn_reply_is_marked_withdrawn_until_restored_whatever_the_arrival_order(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_withdrawn_reply_is_marked_withdrawn_until_restored_on_postgres() {
    let db = fresh_postgres().await;
    a_withdrawn_reply_is_marked_withdrawn_until_restored_whatever_the_arrival_order(&db).await;
    db.cleanup().await;
}
