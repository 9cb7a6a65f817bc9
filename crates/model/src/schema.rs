//! JSON Schemas (draft 2020-12) of every wire type, generated from the Rust
//! types. `govwire schemas --out schemas/` writes them; a test checks the
//! committed files match.

use schemars::{schema_for, Schema};

use crate::event::{PortalEvent, ReplyEvent};
use crate::page::{ParsedPage, RawPage};
use crate::reply::Reply;

/// `(file name, schema)` for every wire type.
pub fn all_schemas() -> Vec<(&'static str, Schema)> {
    vec![
        ("reply.v1.schema.json", schema_for!(Reply)),
        ("reply-event.v1.schema.json", schema_for!(ReplyEvent)),
        ("portal-event.v1.schema.json", schema_for!(PortalEvent)),
        ("raw-page.v1.schema.json", schema_for!(RawPage)),
        ("parsed-page.v1.schema.json", schema_for!(ParsedPage)),
    ]
}

/// A schema as the committed file holds it: pretty JSON with a final newline.
pub fn render(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("a schema serializes");
    text.push('\n');
    text
}
