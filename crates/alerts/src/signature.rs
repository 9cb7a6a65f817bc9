//! The signature of a webhook delivery, so a receiver can tell that a
//! request comes from this govwire and was not replayed long after.
//!
//! govwire sends `X-Govwire-Signature: t=<unix seconds>,v1=<hex>` where
//! `<hex>` is HMAC-SHA256, keyed with the sink's secret, over the bytes
//! `<unix seconds>.<body>` (the timestamp as decimal digits, a full stop,
//! then the request body exactly as sent). A receiver recomputes it over
//! the body it received, compares in constant time, and refuses a
//! timestamp too far from its own clock (five minutes is usual). The
//! delivery's idempotency key (`Idempotency-Key: <rule>:<event id>`) lets it
//! drop a repeated delivery.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Govwire-Signature";
/// The header carrying the idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The value of [`SIGNATURE_HEADER`] for `body` sent at `timestamp` (unix
/// seconds), keyed with `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` (a [`SIGNATURE_HEADER`] value) is the signature of
/// `body` with `secret`, and its timestamp within `tolerance_secs` of
/// `now` (unix seconds). What a receiver does, in Rust.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signature = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return false;
    };
    if (now - timestamp).abs() > tolerance_secs {
        return false;
    }
    mac(secret, timestamp, body)
        .verify_slice(&signature)
        .is_ok()
}

/// The idempotency key of the delivery of `event_id` for `rule`.
pub fn idempotency_key(rule: &str, event_id: &str) -> String {
    format!("{rule}:{event_id}")
}

/// The MAC over `<timestamp>.<body>`, keyed with `secret`, not yet
/// finalized: signing finalizes it, verifying compares in constant time.
fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_documented_hmac() {
        // python3: hmac.new(b'whsec-test', b'1764800000.' + body, hashlib.sha256).hexdigest()
        assert_eq!(
            sign(b"whsec-test", 1_764_800_000, br#"{"id":"e1"}"#),
            "t=1764800000,v1=3ec0b03d88475e388ed69a8a2aa74096820610f6659bb0230bb023d778664a74"
        );
    }

    #[test]
    fn a_receiver_accepts_the_signature_and_refuses_a_changed_body_key_or_old_time() {
        let body = br#"{"id":"e1"}"#;
        let header = sign(b"k", 1_000, body);
        assert!(verify(b"k", &header, body, 1_100, 300));
        assert!(!verify(b"k", &header, br#"{"id":"e2"}"#, 1_100, 300));
        assert!(!verify(b"other", &header, body, 1_100, 300));
        assert!(!verify(b"k", &header, body, 1_000 + 301, 300));
        assert!(!verify(b"k", "v1=00", body, 1_000, 300));
    }
}
