//! The archive's list and history over HTTP, against a real store on both
//! backends: parameters refused by name, pages followed through their
//! `next` links, searches, and each version's changes.

use govwire_archive::{api, handle_event};
use govwire_model::event::{EventType, PreviousVersion, ReplyEvent};
use govwire_model::{FieldChange, HandlingCategory, HandlingResult, Reply};
use govwire_store::on_both_backends;
use govwire_store::testing::TestDb;
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    an_unknown_parameter_is_a_400_naming_it,
    a_bad_value_is_a_400_naming_the_parameter_and_the_value,
    following_next_links_gives_every_reply_once,
    a_hostile_search_is_answered_as_words,
    a_search_finds_the_replies_holding_the_words_with_a_snippet,
    the_versions_of_a_reply_say_what_each_update_changed,
);

/// The real reply under number `n`, version 1.
fn reply(n: u32) -> Reply {
    let mut r: Reply = serde_json::from_str(include_str!(
        "../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .unwrap();
    r.doc_number = Some(format!("普府〔2022〕{n}号"));
    r.id = format!("shpt:普府〔2022〕{n}号").into();
    r.title = format!("对市十五届人大六次会议第{n:04}号代表建议的答复");
    r.version = 1;
    r.content_sha256 = r.compute_content_sha256();
    r
}

fn published(reply: &Reply) -> Vec<u8> {
    serde_json::to_vec(&ReplyEvent::for_reply(
        EventType::ReplyPublished,
        reply.clone(),
        None,
        None,
        chrono::Utc::now(),
    ))
    .unwrap()
}

/// The read API on a free port; its base URL.
struct Api {
    base: String,
    http: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Api {
    async fn start(db: &TestDb) -> Api {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = api::router(db.store.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Api {
            base: format!("http://{addr}"),
            http: reqwest::Client::new(),
            server,
        }
    }

    /// GET `path_and_query`: the status and the JSON body.
    async fn get(&self, path_and_query: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        assert_eq!(content_type.as_deref(), Some("application/json"));
        (status, response.json().await.unwrap())
    }

    /// GET with `query` as the list's parameters (encoded here).
    async fn list(&self, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let url =
            reqwest::Url::parse_with_params(&format!("{}/replies", self.base), query).unwrap();
        self.get(&url[url::Position::BeforePath..]).await
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn an_unknown_parameter_is_a_400_naming_it(db: &TestDb) {
    let api = Api::start(db).await;
    let (status, body) = api.get("/replies?portal=shpt&offset=10").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["parameter"], "offset");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown parameter `offset`"),
        "{body}"
    );
}

async fn a_bad_value_is_a_400_naming_the_parameter_and_the_value(db: &TestDb) {
    let api = Api::start(db).await;
    for (query, parameter, value) in [
        ("from=2022-02-30", "from", "2022-02-30"),
        ("to=20220101", "to", "20220101"),
        ("result=solved", "result", "solved"),
        ("status=deleted", "status", "deleted"),
        ("limit=500", "limit", "500"),
        ("after=not-a-cursor", "after", "not-a-cursor"),
        ("proposal_level=national", "proposal_level", "national"),
    ] {
        let (status, body) = api.get(&format!("/replies?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["parameter"], parameter, "{query}");
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains(parameter) && error.contains(value),
            "{query}: {error}"
        );
    }
}

async fn following_next_links_gives_every_reply_once(db: &TestDb) {
    for n in 1..=12 {
        handle_event(&db.store, &published(&reply(n)))
            .await
            .unwrap();
    }
    let api = Api::start(db).await;
    let mut seen = Vec::new();
    let mut next = "/replies?portal=shpt&limit=5".to_string();
    let mut pages = 0;
    loop {
        let (status, body) = api.get(&next).await;
        assert_eq!(status, StatusCode::OK, "{next}: {body}");
        assert_eq!(body["total"], 12);
        pages += 1;
        for row in body["replies"].as_array().unwrap() {
            seen.push(row["reply_id"].as_str().unwrap().to_string());
        }
        match &body["next"] {
            Value::Null => break,
            Value::String(link) => {
                assert!(
                    link.starts_with("/replies?portal=shpt&limit=5&after="),
                    "{link}"
                );
                next = link.clone();
            }
            other => panic!("next is {other}"),
        }
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<String> = (1..=12)
        .map(|n| format!("shpt:普府〔2022〕{n}号"))
        .collect();
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "every reply once");
}

async fn a_hostile_search_is_answered_as_words(db: &TestDb) {
    handle_event(&db.store, &published(&reply(1)))
        .await
        .unwrap();
    let api = Api::start(db).await;
    for q in ["'\"<script>", "\" OR 1=1 --", "创新园\" NEAR(", "\\'"] {
        let (status, body) = api.list(&[("q", q)]).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        assert!(body["replies"].as_array().unwrap().len() <= 1, "{q}");
        if let Value::String(next) = &body["next"] {
            panic!("one reply needs no next page: {next}");
        }
    }
    // The words between the punctuation still count.
    let (_, body) = api.list(&[("q", "“创新园”！<>'")]).await;
    assert_eq!(body["total"], 1);
    let (status, _) = api.get("/stats").await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_search_finds_the_replies_holding_the_words_with_a_snippet(db: &TestDb) {
    handle_event(&db.store, &published(&reply(1)))
        .await
        .unwrap();
    let mut lift = reply(2);
    lift.body.sections.truncate(1);
    lift.body.sections[0].paragraphs = vec!["本区已为12个小区加装电梯，居民出行更方便。".into()];
    lift.content_sha256 = lift.compute_content_sha256();
    handle_event(&db.store, &published(&lift)).await.unwrap();
    let api = Api::start(db).await;

    let (status, body) = api.list(&[("q", "电梯"), ("result", "adopted")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["total"], 1);
    let row = &body["replies"][0];
    assert_eq!(row["reply_id"], "shpt:普府〔2022〕2号");
    assert_eq!(row["result_category"], "adopted");
    assert_eq!(row["handling_result"], "解决采纳");
    assert_eq!(row["snippet"]["matched"], "电梯");
    assert_eq!(row["snippet"]["before"], "本区已为12个小区加装");
    assert_eq!(row["snippet"]["after"], "，居民出行更方便。");
    let (_, body) = api.list(&[("q", "电梯"), ("result", "planned")]).await;
    assert_eq!(body["total"], 0);
    let (_, body) = api.list(&[]).await;
    assert_eq!(body["total"], 2);
    assert_eq!(body["replies"][0]["snippet"], Value::Null);
}

async fn the_versions_of_a_reply_say_what_each_update_changed(db: &TestDb) {
    let v1 = reply(7);
    handle_event(&db.store, &published(&v1)).await.unwrap();
    let mut v2 = v1.clone();
    v2.version = 2;
    v2.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    v2.content_sha256 = v2.compute_content_sha256();
    let changes: Vec<FieldChange> = v2.changes_since(&v1);
    let updated = ReplyEvent::for_reply(
        EventType::ReplyUpdated,
        v2.clone(),
        Some(PreviousVersion {
            version: 1,
            content_sha256: v1.content_sha256.clone(),
        }),
        Some(changes.clone()),
        chrono::Utc::now(),
    );
    handle_event(&db.store, &serde_json::to_vec(&updated).unwrap())
        .await
        .unwrap();
    let api = Api::start(db).await;

    let id = "shpt:%E6%99%AE%E5%BA%9C%E3%80%942022%E3%80%957%E5%8F%B7";
    let (status, body) = api.get(&format!("/replies/{id}/versions")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let versions = body.as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["changes"], Value::Null);
    assert_eq!(versions[1]["event_type"], "govwire.reply.updated");
    assert_eq!(
        versions[1]["changes"],
        serde_json::to_value(&changes).unwrap()
    );
    let fields: Vec<&str> = versions[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["handling_result.category", "handling_result.raw"]
    );

    let (status, _) = api.get("/replies/shpt:nope/versions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The list shows the current version's result.
    let (_, body) = api.list(&[("result", "partially_adopted")]).await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["replies"][0]["current_version"], 2);
}
