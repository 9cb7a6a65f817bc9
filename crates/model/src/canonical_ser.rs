//! Canonical JSON written straight from a value's `Serialize`
//! implementation, without building a `serde_json::Value` first: the same
//! bytes as [`crate::canonical::to_canonical_string`] of
//! `serde_json::to_value(value)`, at a fraction of the allocations. Used for
//! the content hash, computed for every page parsed.
//!
//! Objects (structs and maps) are buffered member by member and written with
//! their keys sorted by their UTF-8 bytes; everything else is written as
//! serde_json writes it.

use std::borrow::Cow;
use std::fmt::Display;

use serde::ser::{self, Serialize};

/// Why a value could not be written as canonical JSON (a map key that is
/// not a string or number, or an error of the value's own `Serialize`).
#[derive(Debug)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Canonical JSON of `value`, its top-level members named in `skip` left
/// out (`value` must then serialize as an object).
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T, skip: &[&str]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(4096);
    value.serialize(Canon {
        out: &mut out,
        skip,
    })?;
    Ok(out)
}

/// Writes one value into `out`; `skip` applies to the members of the
/// object this value is (only at the top level).
struct Canon<'a> {
    out: &'a mut Vec<u8>,
    skip: &'a [&'a str],
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    serde_json::to_writer(out, value).map_err(|e| Error(e.to_string()))
}

/// The members of an object being written, each as `"key":value` straight
/// after the `{` (commas between). `finish` closes the object when the keys
/// came in order (the fields of most structs do), and otherwise rewrites the
/// members in key order.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    skip: &'a [&'a str],
    /// Where the members start in `out`: just after the `{`.
    start: usize,
    /// Each member's key and where it lies in `out`, without the comma
    /// before it.
    members: Vec<(Cow<'static, str>, std::ops::Range<usize>)>,
    /// The key of a map entry whose value comes next.
    pending_key: Option<String>,
    /// For a variant written as `{"Variant": {...}}`.
    variant: Option<&'static str>,
}

impl Object<'_> {
    fn member<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: &T,
    ) -> Result<(), Error> {
        let key_bytes = key.as_bytes();
        // Compared by length and first byte before the bytes.
        let skipped = self.skip.iter().any(|s| {
            s.len() == key_bytes.len() && s.as_bytes().first() == key_bytes.first() && *s == key
        });
        if skipped {
            return Ok(());
        }
        if !self.members.is_empty() {
            self.out.push(b',');
        }
        let from = self.out.len();
        json(self.out, key.as_ref())?;
        self.out.push(b':');
        value.serialize(Canon {
            out: self.out,
            skip: &[],
        })?;
        self.members.push((key, from..self.out.len()));
        Ok(())
    }

    fn finish(mut self) -> Result<(), Error> {
        let in_order = self
            .members
            .windows(2)
            .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes());
        if !in_order {
            // Stable: of two equal keys the later wins, as in a JSON map.
            self.members
                .sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            // The members move to a buffer kept for the purpose (objects
            // finish inner first, one at a time), and come back in order.
            let mut written_members = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
            written_members.clear();
            written_members.extend_from_slice(&self.out[self.start..]);
            self.out.truncate(self.start);
            let mut written = 0;
            for (i, (key, range)) in self.members.iter().enumerate() {
                if self.members.get(i + 1).is_some_and(|(next, _)| next == key) {
                    continue;
                }
                if written > 0 {
                    self.out.push(b',');
                }
                written += 1;
                self.out.extend_from_slice(
                    &written_members[range.start - self.start..range.end - self.start],
                );
            }
            SCRATCH.with(|s| *s.borrow_mut() = written_members);
        }
        self.out.push(b'}');
        if self.variant.is_some() {
            self.out.push(b'}');
        }
        Ok(())
    }
}

thread_local! {
    /// The buffer [`Object::finish`] reorders members through.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The elements of an array being written.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
    variant: Option<&'static str>,
}

impl Array<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        value.serialize(Canon {
            out: self.out,
            skip: &[],
        })
    }

    fn finish(self) -> Result<(), Error> {
        self.out.push(b']');
        if self.variant.is_some() {
            self.out.push(b'}');
        }
        Ok(())
    }
}

impl<'a> Canon<'a> {
    fn object(self, variant: Option<&'static str>) -> Result<Object<'a>, Error> {
        if let Some(variant) = variant {
            self.out.push(b'{');
            json(self.out, variant)?;
            self.out.push(b':');
        }
        self.out.push(b'{');
        Ok(Object {
            start: self.out.len(),
            out: self.out,
            skip: self.skip,
            members: Vec::new(),
            pending_key: None,
            variant,
        })
    }

    fn array(self, variant: Option<&'static str>) -> Result<Array<'a>, Error> {
        if let Some(variant) = variant {
            self.out.push(b'{');
            json(self.out, variant)?;
            self.out.push(b':');
        }
        self.out.push(b'[');
        Ok(Array {
            out: self.out,
            first: true,
            variant,
        })
    }
}

macro_rules! scalar {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), Error> {
            json(self.out, &v)
        })*
    };
}

impl<'a> ser::Serializer for Canon<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    scalar!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_f32: f32,
        serialize_f64: f64,
        serialize_char: char,
    );

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        json(self.out, v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        json(self.out, v)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        json(self.out, variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut object = self.object(None)?;
        object.member(Cow::Borrowed(variant), value)?;
        object.finish()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>, Error> {
        self.array(None)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Array<'a>, Error> {
        self.array(None)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Array<'a>, Error> {
        self.array(None)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Array<'a>, Error> {
        self.array(Some(variant))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'a>, Error> {
        self.object(None)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Object<'a>, Error> {
        self.object(None)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Object<'a>, Error> {
        self.object(Some(variant))
    }
}

/// The four sequence traits, all an [`Array`]'s elements.
macro_rules! array_impl {
    ($($trait:ident: $method:ident),* $(,)?) => {
        $(impl ser::$trait for Array<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        })*
    };
}

array_impl!(
    SerializeSeq: serialize_element,
    SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field,
    SerializeTupleVariant: serialize_field,
);

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.pending_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| Error("a map value without its key".into()))?;
        self.member(Cow::Owned(key), value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// The two struct traits, both an [`Object`]'s members.
macro_rules! struct_impl {
    ($($trait:ident),*) => {
        $(impl ser::$trait for Object<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.member(Cow::Borrowed(key), value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        })*
    };
}

struct_impl!(SerializeStruct, SerializeStructVariant);

/// Map keys as serde_json takes them: strings, and numbers, chars and
/// booleans written as strings.
struct KeySerializer;

macro_rules! key_display {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<String, Error> {
            Ok(v.to_string())
        })*
    };
}

fn not_a_key<T>() -> Result<T, Error> {
    Err(Error("a map key must be a string or a number".into()))
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;
    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    key_display!(
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_char: char,
        serialize_str: &str,
    );

    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_none(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_key()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_key()
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_key()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_key()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_key()
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        not_a_key()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_key()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::canonical::to_canonical_string;

    fn same_as_through_value<T: Serialize>(value: &T) {
        let through_value = to_canonical_string(&serde_json::to_value(value).unwrap());
        let direct = String::from_utf8(to_canonical_vec(value, &[]).unwrap()).unwrap();
        assert_eq!(direct, through_value);
    }

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Answer,
        Pair(u8, String),
        Wrapped(String),
        Shaped { zeta: bool, alpha: Option<u8> },
    }

    #[derive(Serialize)]
    struct Inner {
        z: Option<String>,
        a: Vec<Kind>,
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        One { b: u8, a: String },
    }

    #[derive(Serialize)]
    struct Outer {
        title: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        gone: Option<u8>,
        inner: Inner,
        unit: (),
        tuple: (u8, &'static str),
        float: f64,
        negative: i64,
        map: HashMap<u32, &'static str>,
        tagged: Tagged,
        date: chrono::NaiveDate,
        escaped: &'static str,
    }

    #[test]
    fn direct_canonical_json_is_the_canonical_json_of_the_value() {
        let value = Outer {
            title: "关于\"答复\"".into(),
            gone: None,
            inner: Inner {
                z: None,
                a: vec![
                    Kind::Answer,
                    Kind::Pair(1, "b".into()),
                    Kind::Wrapped("w".into()),
                    Kind::Shaped {
                        zeta: true,
                        alpha: Some(3),
                    },
                ],
            },
            unit: (),
            tuple: (7, "x"),
            float: 1.25,
            negative: -4,
            map: HashMap::from([(10, "ten"), (2, "two")]),
            tagged: Tagged::One {
                b: 1,
                a: "a".into(),
            },
            date: chrono::NaiveDate::from_ymd_opt(2022, 8, 8).unwrap(),
            escaped: "\u{1}\n\\/",
        };
        same_as_through_value(&value);
        same_as_through_value(&json!({"b": [1, {"d": null, "c": "字"}], "a": {}}));
        let map: BTreeMap<String, Vec<u8>> = BTreeMap::from([("k".into(), vec![1, 2])]);
        same_as_through_value(&map);
    }

    #[test]
    fn skipped_top_level_members_are_left_out() {
        let out = to_canonical_vec(&json!({"id": 1, "b": {"id": 2}, "a": 3}), &["id"]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"a":3,"b":{"id":2}}"#);
    }
}
