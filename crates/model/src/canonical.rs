//! Canonical JSON (keys sorted, no insignificant whitespace) and the content
//! hash of a reply.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Serializes `value` canonically: object keys sorted by their UTF-8 bytes,
/// no whitespace between tokens, numbers and strings as serde_json writes them.
pub fn to_canonical_string(value: &Value) -> String {
    let mut out = Vec::new();
    write_canonical(value, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Hex SHA-256 of the canonical JSON of `value` ([`to_canonical_string`]),
/// hashed as it is written.
pub fn canonical_sha256(value: &Value) -> String {
    let mut hasher = HashWriter(Sha256::new());
    write_canonical(value, &mut hasher).expect("hashing cannot fail");
    hex::encode(hasher.0.finalize())
}

/// Feeds what is written into a SHA-256.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_canonical<W: std::io::Write>(value: &Value, out: &mut W) -> std::io::Result<()> {
    match value {
        Value::Object(map) => {
            out.write_all(b"{")?;
            // serde_json's map is ordered by key unless its `preserve_order`
            // feature is on; sort only then.
            if map.keys().is_sorted() {
                for (i, (key, item)) in map.iter().enumerate() {
                    write_member(i, key, item, out)?;
                }
            } else {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                for (i, key) in keys.into_iter().enumerate() {
                    write_member(i, key, &map[key], out)?;
                }
            }
            out.write_all(b"}")
        }
        Value::Array(items) => {
            out.write_all(b"[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_canonical(item, out)?;
            }
            out.write_all(b"]")
        }
        other => serde_json::to_writer(out, other).map_err(std::io::Error::other),
    }
}

fn write_member<W: std::io::Write>(
    index: usize,
    key: &str,
    item: &Value,
    out: &mut W,
) -> std::io::Result<()> {
    if index > 0 {
        out.write_all(b",")?;
    }
    serde_json::to_writer(&mut *out, key).map_err(std::io::Error::other)?;
    out.write_all(b":")?;
    write_canonical(item, out)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_drops_whitespace() {
        let v = json!({"b": 1, "a": {"d": [1, {"z": null, "y": "字"}], "c": true}});
        assert_eq!(
            to_canonical_string(&v),
            r#"{"a":{"c":true,"d":[1,{"y":"字","z":null}]},"b":1}"#
        );
    }

    #[test]
    fn the_canonical_hash_is_the_hash_of_the_canonical_string() {
        let v = json!({"b": "引号\"与\\", "a": [1.5, -2, null, {"k": "\u{1}"}]});
        assert_eq!(canonical_sha256(&v), sha256_hex(to_canonical_string(&v)));
        assert_eq!(
            to_canonical_string(&v),
            r#"{"a":[1.5,-2,null,{"k":"\u0001"}],"b":"引号\"与\\"}"#
        );
    }
}
