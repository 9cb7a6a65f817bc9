//! The JSON Schemas in `schemas/` are generated from the Rust types; these
//! tests fail when they drift, and check that real records validate.

use std::path::Path;

use govwire_model::event::{EventType, ReplyEvent};
use govwire_model::schema::{all_schemas, render};
use govwire_model::Reply;

fn schemas_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
}

#[test]
fn committed_schemas_match_the_rust_types() {
    for (name, schema) in all_schemas() {
        let path = schemas_dir().join(name);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing: run `make schemas`", path.display()));
        assert!(
            committed == render(&schema),
            "{} differs from the Rust types: run `make schemas` and commit the result",
            path.display()
        );
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(schemas_dir().join(name)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn real_reply() -> Reply {
    serde_json::from_str(include_str!("../corpus/putuo-pufu-2022-55.expected.json")).unwrap()
}

#[test]
fn the_real_reply_record_validates_against_the_reply_schema() {
    let v = validator("reply.v1.schema.json");
    let instance = serde_json::to_value(real_reply()).unwrap();
    let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn a_published_event_validates_and_a_broken_one_does_not() {
    let v = validator("reply-event.v1.schema.json");
    let mut reply = real_reply();
    reply.version = 1;
    reply.content_sha256 = reply.compute_content_sha256();
    let event = ReplyEvent::for_reply(
        EventType::ReplyPublished,
        reply,
        None,
        None,
        chrono::Utc::now(),
    );
    let mut instance = serde_json::to_value(&event).unwrap();
    assert!(v.is_valid(&instance));
    instance["data"]["reply"]["reply_kind"] = "reply".into();
    assert!(
        !v.is_valid(&instance),
        "an unknown reply_kind must not validate"
    );
}

#[test]
fn every_fixture_golden_record_validates_against_the_reply_schema() {
    let v = validator("reply.v1.schema.json");
    let goldens: Vec<Reply> = govwire_fixture_portal::corpus()
        .into_iter()
        .filter_map(|d| d.golden())
        .collect();
    assert!(goldens.len() >= 11);
    for g in goldens {
        let instance = serde_json::to_value(&g).unwrap();
        let errors: Vec<String> = v.iter_errors(&instance).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", g.id);
    }
}
