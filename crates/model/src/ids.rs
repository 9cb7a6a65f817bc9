//! The identifiers that cross crates and processes: which portal, which
//! section of it, which reply, which event.
//!
//! Each is a string on the wire (JSON, AMQP, the store) and in the JSON
//! Schemas, exactly as a bare `String` would be; in code the type says which
//! kind of id a value is, so a section id cannot be passed where a portal id
//! is expected. Each reads as a `&str` (`Deref`, `AsRef`, `Borrow`,
//! `as_str`), compares with string values, and converts from and into
//! `String`.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps `id` as it is.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        // Written out rather than derived: the schema of the id is the schema
        // of `String`, inlined wherever the id appears, so the published JSON
        // Schemas read as they did when these fields were bare strings. (A
        // derived implementation would turn the type's documentation into a
        // definition of its own.)
        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                <String as JsonSchema>::inline_schema()
            }

            fn schema_name() -> Cow<'static, str> {
                <String as JsonSchema>::schema_name()
            }

            fn schema_id() -> Cow<'static, str> {
                <String as JsonSchema>::schema_id()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                <String as JsonSchema>::json_schema(generator)
            }
        }

        // Written out rather than derived: an id reads in logs and error
        // messages as the quoted string it is on the wire (`"shpt"`), as it
        // did when these fields were bare strings.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self(id.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

string_id! {
    /// A portal's short id, from its profile (`shpt` for www.shpt.gov.cn):
    /// the first part of every reply id and of every routing key.
    PortalId
}

string_id! {
    /// A section's id, unique within its portal (`district-gov-docs`): one
    /// list source govwire polls.
    SectionId
}

string_id! {
    /// A reply's identity, assigned when the reply is first seen and never
    /// changed: `<portal>:<doc_number>` (`shpt:普府〔2022〕55号`), or
    /// `<portal>:<item id>` when the document has no doc number.
    ReplyId
}

string_id! {
    /// The deterministic id of a CloudEvent (hex SHA-256 of its type, subject
    /// and discriminator; see [`crate::event::event_id`]), so a republished
    /// event keeps its id and subscribers can drop duplicates.
    EventId
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashSet};

    #[test]
    fn ids_are_plain_strings_in_json() {
        let id = ReplyId::from("shpt:普府〔2022〕55号");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#""shpt:普府〔2022〕55号""#);
        let back: ReplyId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(
            serde_json::to_value(PortalId::from("shpt")).unwrap(),
            serde_json::json!("shpt")
        );
    }

    #[test]
    fn ids_have_the_schema_of_a_string() {
        assert_eq!(
            schemars::schema_for!(SectionId),
            schemars::schema_for!(String)
        );
    }

    #[test]
    fn ids_read_and_compare_as_strings() {
        let portal = PortalId::from("shpt".to_string());
        assert_eq!(portal, "shpt");
        assert_eq!("shpt", portal);
        assert_eq!(portal, *"shpt");
        assert_eq!(portal, "shpt".to_string());
        assert_eq!(portal.as_str(), "shpt");
        assert_eq!(portal.len(), 4);
        assert_eq!(portal.to_string(), "shpt");
        assert_eq!(format!("/portals/{portal}"), "/portals/shpt");
        assert_eq!(format!("{portal:?}"), r#""shpt""#);
        assert_eq!(String::from(portal.clone()), "shpt");
        assert_eq!(portal.clone().into_string(), "shpt");

        let set: HashSet<EventId> = [EventId::from("a")].into_iter().collect();
        assert!(set.contains("a"));
        let map: BTreeMap<SectionId, u32> = [(SectionId::from("3"), 1)].into_iter().collect();
        assert_eq!(map.get("3"), Some(&1));
    }
}
