//! How a govwire service reaches RabbitMQ and names its exchanges and queues.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The URL of a stock local RabbitMQ (user `guest`, vhost `/`).
pub const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// The public topic exchange every govwire event is published to.
pub const DEFAULT_EVENTS_EXCHANGE: &str = "govwire.events";
/// The direct exchange that carries work from one pipeline stage to the next.
pub const DEFAULT_PIPELINE_EXCHANGE: &str = "govwire.pipeline";
/// The prefix of every queue (and of the dead-letter exchange) govwire declares.
pub const DEFAULT_QUEUE_PREFIX: &str = "govwire";
/// How many unsettled deliveries a consumer may hold; small because each
/// delivery is handled one at a time and the rest only wait.
pub const DEFAULT_PREFETCH: u16 = 16;
/// How many times a quorum queue delivers a message before dead-lettering it.
pub const DEFAULT_DELIVERY_LIMIT: u32 = 5;
/// How long a publish waits for the broker's confirm.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest wait between two attempts to reconnect to a broker that went
/// away: short enough that work resumes within a few seconds of the broker
/// coming back, long enough that a down broker is not hammered.
pub const DEFAULT_RECONNECT_MAX_DELAY: Duration = Duration::from_secs(5);

/// Everything the bus needs to connect and to name its topology. The binary
/// builds it from govwire's configuration; tests build it with unique names.
#[derive(Clone)]
pub struct BusConfig {
    /// The AMQP URL, with credentials (`amqp://user:password@host:port/vhost`).
    /// Secret because it carries the password; only [`BusConfig::redacted_url`]
    /// is ever logged or put in an error.
    pub url: SecretString,
    /// The public topic exchange (durable) that downstream consumers (archive,
    /// alerts, analytics, `govwire tail`) bind to.
    pub events_exchange: String,
    /// The direct exchange (durable) that carries work between govwire's own
    /// stages (crawler → parser → notifier).
    pub pipeline_exchange: String,
    /// Prefix of every queue name (`<prefix>.<name>`) and of the dead-letter
    /// exchange (`<prefix>.dlx`), so that several govwire deployments (or test
    /// runs) can share one broker without touching each other's queues.
    pub queue_prefix: String,
    /// How many unacknowledged deliveries the broker sends a consumer ahead
    /// of time (`basic.qos`); bounds memory and the work redelivered after a
    /// crash.
    pub prefetch: u16,
    /// How many times a work queue delivers a message before the broker
    /// dead-letters it (quorum `x-delivery-limit`), so a message that keeps
    /// failing cannot loop forever.
    pub delivery_limit: u32,
    /// Idle time after which the broker deletes a queue (`x-expires`). `None`
    /// in production; tests set it so their uniquely named queues vanish.
    pub queue_expires_ms: Option<u32>,
    /// How long a publish waits for the broker's confirm before it is
    /// reported as failed, and how long any other request (declare, consume,
    /// cancel) waits for the broker's answer: a blocked or overloaded broker
    /// must not hang a service forever.
    pub confirm_timeout: Duration,
    /// The longest wait between two attempts to reconnect after the
    /// connection was lost. Reconnection is retried forever, the waits
    /// growing from a fraction of a second up to this cap, each with a
    /// random part so that many services do not reconnect in step; so work
    /// resumes at most about this long after the broker is back.
    pub reconnect_max_delay: Duration,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from(DEFAULT_URL),
            events_exchange: DEFAULT_EVENTS_EXCHANGE.to_owned(),
            pipeline_exchange: DEFAULT_PIPELINE_EXCHANGE.to_owned(),
            queue_prefix: DEFAULT_QUEUE_PREFIX.to_owned(),
            prefetch: DEFAULT_PREFETCH,
            delivery_limit: DEFAULT_DELIVERY_LIMIT,
            queue_expires_ms: None,
            confirm_timeout: DEFAULT_CONFIRM_TIMEOUT,
            reconnect_max_delay: DEFAULT_RECONNECT_MAX_DELAY,
        }
    }
}

impl BusConfig {
    /// The URL with its password replaced by `***`: the only form of the URL
    /// that may appear in logs and errors.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }

    /// The full name of the queue `name`: `<prefix>.<name>`.
    pub fn queue_name(&self, name: &str) -> String {
        format!("{}.{name}", self.queue_prefix)
    }

    /// The dead-letter exchange shared by all work queues: `<prefix>.dlx`.
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dlx", self.queue_prefix)
    }

    /// The password in the URL, if any, so error texts can be scrubbed of it.
    pub(crate) fn password(&self) -> Option<String> {
        url::Url::parse(self.url.expose_secret())
            .ok()
            .and_then(|url| url.password().map(str::to_owned))
            .filter(|password| !password.is_empty())
    }
}

/// The dead-letter queue of the work queue `queue` (a full name):
/// `<queue>.dlq`.
pub fn dead_letter_queue_name(queue: &str) -> String {
    format!("{queue}.dlq")
}

impl fmt::Debug for BusConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BusConfig")
            .field("url", &self.redacted_url())
            .field("events_exchange", &self.events_exchange)
            .field("pipeline_exchange", &self.pipeline_exchange)
            .field("queue_prefix", &self.queue_prefix)
            .field("prefetch", &self.prefetch)
            .field("delivery_limit", &self.delivery_limit)
            .field("queue_expires_ms", &self.queue_expires_ms)
            .field("confirm_timeout", &self.confirm_timeout)
            .field("reconnect_max_delay", &self.reconnect_max_delay)
            .finish()
    }
}

impl fmt::Display for BusConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (events exchange {}, pipeline exchange {}, queue prefix {})",
            self.redacted_url(),
            self.events_exchange,
            self.pipeline_exchange,
            self.queue_prefix
        )
    }
}

/// Replaces the password of an AMQP URL with `***`. A URL that cannot be
/// parsed is not echoed at all: it may hold a password in a place the
/// parser did not recognise.
pub(crate) fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() && url.set_password(Some("***")).is_err() {
                return "<unprintable AMQP URL>".to_owned();
            }
            url.to_string()
        }
        Err(error) => format!("<invalid AMQP URL: {error}>"),
    }
}

/// Removes every occurrence of `password` (raw and percent-decoded) from a
/// text that came from a library and may echo the URL back.
pub(crate) fn scrub(text: &str, password: Option<&str>) -> String {
    let Some(password) = password else {
        return text.to_owned();
    };
    let mut out = text.replace(password, "***");
    if let Ok(decoded) = percent_decode(password) {
        if !decoded.is_empty() {
            out = out.replace(&decoded, "***");
        }
    }
    out
}

/// Percent-decodes a URL component (the `url` crate hands out the password
/// still encoded).
fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redacted_url_hides_the_password_and_keeps_the_rest() {
        let config = BusConfig {
            url: SecretString::from("amqp://guest:s3cret@rabbit.example:5672/%2f"),
            ..BusConfig::default()
        };
        assert_eq!(
            config.redacted_url(),
            "amqp://guest:***@rabbit.example:5672/%2f"
        );
    }

    #[test]
    fn an_unparsable_url_is_never_echoed() {
        let redacted = redact_url("not a url with s3cret inside");
        assert!(!redacted.contains("s3cret"), "{redacted}");
    }

    #[test]
    fn scrubbing_removes_encoded_and_decoded_passwords() {
        let text = "Invalid URL: 'amqp://u:p%40ss@h' and p@ss";
        let scrubbed = scrub(text, Some("p%40ss"));
        assert!(!scrubbed.contains("p%40ss"), "{scrubbed}");
        assert!(!scrubbed.contains("p@ss"), "{scrubbed}");
    }

    #[test]
    fn names_follow_the_prefix() {
        let config = BusConfig {
            queue_prefix: "t1".into(),
            ..BusConfig::default()
        };
        assert_eq!(config.queue_name("parser"), "t1.parser");
        assert_eq!(config.dead_letter_exchange(), "t1.dlx");
        assert_eq!(dead_letter_queue_name("t1.parser"), "t1.parser.dlq");
    }
}
