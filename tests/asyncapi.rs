//! `docs/asyncapi.yaml`, the contract for subscribers, is a valid AsyncAPI
//! 3.0.0 document (checked against the specification's own JSON Schema,
//! kept in `tests/data/`), and it describes what govwire publishes: one
//! channel per event type, at the routing key the notifier uses, on the
//! events exchange, with the payload schema `schemas/` holds for it.

use std::path::Path;

use govwire_model::event::EventType;
use serde_json::Value;

fn document() -> Value {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/asyncapi.yaml"))
            .expect("docs/asyncapi.yaml is readable");
    serde_yaml::from_str(&text).expect("docs/asyncapi.yaml is YAML")
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("data/asyncapi-3.0.0.schema.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the AsyncAPI 3.0.0 schema compiles")
}

#[test]
fn the_document_is_valid_asyncapi_3() {
    let doc = document();
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "docs/asyncapi.yaml is not valid AsyncAPI 3.0.0:\n{}",
        errors.join("\n")
    );

    // And the check has teeth: an operation with an action 3.0 does not
    // have is refused.
    let mut broken = doc.clone();
    let first = broken["operations"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    first["action"] = Value::String("publish".into());
    assert!(!validator.is_valid(&broken), "an invalid document passes");
}

#[test]
fn every_event_type_has_its_channel_routing_key_and_payload_schema() {
    let doc = document();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let channels = doc["channels"].as_object().unwrap();
    assert_eq!(
        channels.len(),
        EventType::ALL.len(),
        "one channel per event type"
    );
    for event_type in EventType::ALL {
        let (name, channel) = channels
            .iter()
            .find(|(_, c)| c["address"] == EventType::routing_key(event_type, "{portal}").as_str())
            .unwrap_or_else(|| panic!("no channel at {}", event_type.routing_key("{portal}")));
        let exchange = &channel["bindings"]["amqp"]["exchange"];
        assert_eq!(
            exchange["name"],
            govwire_model::pipeline::EVENTS_EXCHANGE,
            "{name}"
        );
        assert_eq!(exchange["type"], "topic", "{name}");
        let message = &doc["components"]["messages"][name.as_str()];
        assert_eq!(message["name"], event_type.as_str(), "{name}");
        assert_eq!(
            message["contentType"],
            govwire_model::event::CLOUDEVENTS_CONTENT_TYPE
        );
        let schema = message["payload"]["$ref"].as_str().unwrap();
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(schema);
        assert!(file.is_file(), "{name}: {schema} is not a file");
        let expected = if event_type.as_str().starts_with("govwire.reply.") {
            "reply-event.v1.schema.json"
        } else {
            "portal-event.v1.schema.json"
        };
        assert!(schema.ends_with(expected), "{name}: {schema}");
        let operation = doc["operations"]
            .as_object()
            .unwrap()
            .values()
            .find(|o| o["channel"]["$ref"] == format!("#/channels/{name}").as_str())
            .unwrap_or_else(|| panic!("no operation sends on {name}"));
        assert_eq!(operation["action"], "send");
    }
}
