//! JSON Schemas (draft 2020-12) of every wire type, generated from the Rust
//! types. `govwire schemas --out schemas/` writes them; a test checks the
//! committed files match.

use schemars::{schema_for, Schema};

use crate::event::{PortalEvent, ReplyEvent};
use crate::page::{ParsedPage, RawPage};
use crate::reply::Reply;

/// `(file name, schema)` for every wire type.
pub fn all_schemas() -> Vec<(&'static str, Schema)> {
    let mut schemas = vec![
        ("reply.v1.schema.json", schema_for!(Reply)),
        ("reply-event.v1.schema.json", schema_for!(ReplyEvent)),
        ("portal-event.v1.schema.json", schema_for!(PortalEvent)),
        ("raw-page.v1.schema.json", schema_for!(RawPage)),
        ("parsed-page.v1.schema.json", schema_for!(ParsedPage)),
    ];
    for (_, schema) in &mut schemas {
        if let Some(object) = schema.as_object_mut() {
            object.values_mut().for_each(describe_tags);
        }
    }
    schemas
}

/// Gives the tag property of internally tagged enumerations (`"kind":
/// "reply"`), which has no doc comment of its own, a description.
fn describe_tags(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if let serde_json::Value::Object(property) = property {
                        if property.contains_key("const") && !property.contains_key("description") {
                            property.insert(
                                "description".into(),
                                format!("Which variant this is: the `{name}` tag.").into(),
                            );
                        }
                    }
                }
            }
            map.values_mut().for_each(describe_tags);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(describe_tags),
        _ => {}
    }
}

/// A schema as the committed file holds it: pretty JSON with a final newline.
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Properties without a description, by path.
    fn undescribed(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        let described =
                            property.get("description").is_some() || property.get("$ref").is_some();
                        if !described {
                            out.push(format!("{path}.{name}"));
                        }
                    }
                }
                for (key, child) in map {
                    undescribed(child, &format!("{path}/{key}"), out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    undescribed(child, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn every_property_of_every_schema_has_a_description() {
        for (file, schema) in all_schemas() {
            let mut missing = Vec::new();
            undescribed(schema.as_value(), "", &mut missing);
            assert!(missing.is_empty(), "{file}: {missing:?}");
        }
    }
}
