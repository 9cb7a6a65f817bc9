//! How a govwire service reaches RabbitMQ and names its exchanges and
//! queues: the `[amqp]` section of `govwire.toml` ([`AmqpConfig`], in the
//! file's units, with its defaults and their checks) and the [`BusConfig`] a
//! [`crate::Bus`] connects with, made from it.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// The URL of a stock local RabbitMQ (user `guest`, vhost `/`).
pub const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// The public topic exchange every govwire event is published to.
pub const DEFAULT_EVENTS_EXCHANGE: &str = govwire_model::pipeline::EVENTS_EXCHANGE;
/// The direct exchange that carries work from one pipeline stage to the next.
pub const DEFAULT_PIPELINE_EXCHANGE: &str = govwire_model::pipeline::PIPELINE_EXCHANGE;
/// The prefix of every queue (and of the dead-letter exchange) govwire declares.
pub const DEFAULT_QUEUE_PREFIX: &str = govwire_model::pipeline::QUEUE_PREFIX;
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
    /// The `DEFAULT_*` values: the defaults of [`AmqpConfig`].
    fn default() -> Self {
        AmqpConfig::default().bus_config()
    }
}

/// The `[amqp]` section of `govwire.toml`: the keys as the operator writes
/// them (seconds in `_secs` keys, milliseconds in `_ms` keys). Every key has
/// a default, the `DEFAULT_*` value the shipped file documents.
/// [`AmqpConfig::bus_config`] turns it into the [`BusConfig`] a service
/// connects with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AmqpConfig {
    /// The broker's URL, which may hold a password: [`BusConfig::url`].
    /// Serialized redacted. Default [`DEFAULT_URL`].
    #[serde(serialize_with = "serialize_redacted")]
    pub url: SecretString,
    /// The public topic exchange: [`BusConfig::events_exchange`]. Default
    /// [`DEFAULT_EVENTS_EXCHANGE`].
    pub events_exchange: String,
    /// The stage-to-stage direct exchange: [`BusConfig::pipeline_exchange`].
    /// Default [`DEFAULT_PIPELINE_EXCHANGE`].
    pub pipeline_exchange: String,
    /// Prefix of queue names and of the dead-letter exchange:
    /// [`BusConfig::queue_prefix`]. Default [`DEFAULT_QUEUE_PREFIX`].
    pub queue_prefix: String,
    /// Unacknowledged messages a consumer may hold at once:
    /// [`BusConfig::prefetch`]. Default [`DEFAULT_PREFETCH`].
    pub prefetch: u16,
    /// Deliveries of one message before the broker dead-letters it:
    /// [`BusConfig::delivery_limit`]. Default [`DEFAULT_DELIVERY_LIMIT`].
    pub delivery_limit: u32,
    /// How long a publish waits for the broker's confirm (seconds):
    /// [`BusConfig::confirm_timeout`]. Default [`DEFAULT_CONFIRM_TIMEOUT`].
    pub confirm_timeout_secs: u64,
    /// Idle time after which the broker deletes a queue (seconds), 0 for
    /// never: [`BusConfig::queue_expires_ms`]. Only tests and throwaway
    /// demos set it. Default 0.
    pub queue_expires_secs: u64,
    /// Longest wait between two attempts to reconnect to the broker
    /// (milliseconds); reconnection never gives up:
    /// [`BusConfig::reconnect_max_delay`]. Default
    /// [`DEFAULT_RECONNECT_MAX_DELAY`].
    pub reconnect_max_delay_ms: u64,
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from(DEFAULT_URL),
            events_exchange: DEFAULT_EVENTS_EXCHANGE.to_owned(),
            pipeline_exchange: DEFAULT_PIPELINE_EXCHANGE.to_owned(),
            queue_prefix: DEFAULT_QUEUE_PREFIX.to_owned(),
            prefetch: DEFAULT_PREFETCH,
            delivery_limit: DEFAULT_DELIVERY_LIMIT,
            confirm_timeout_secs: DEFAULT_CONFIRM_TIMEOUT.as_secs(),
            queue_expires_secs: 0,
            reconnect_max_delay_ms: u64::try_from(DEFAULT_RECONNECT_MAX_DELAY.as_millis())
                .expect("a few seconds in milliseconds"),
        }
    }
}

impl AmqpConfig {
    /// The settings as the bus takes them. A confirm timeout or a reconnect
    /// delay of zero is taken as the smallest one (1 s, 1 ms); a queue
    /// expiry beyond what the broker accepts is capped.
    pub fn bus_config(&self) -> BusConfig {
        BusConfig {
            url: self.url.clone(),
            events_exchange: self.events_exchange.clone(),
            pipeline_exchange: self.pipeline_exchange.clone(),
            queue_prefix: self.queue_prefix.clone(),
            prefetch: self.prefetch,
            delivery_limit: self.delivery_limit,
            queue_expires_ms: match self.queue_expires_secs {
                0 => None,
                s => Some(u32::try_from(s.saturating_mul(1000)).unwrap_or(u32::MAX)),
            },
            confirm_timeout: Duration::from_secs(self.confirm_timeout_secs.max(1)),
            reconnect_max_delay: Duration::from_millis(self.reconnect_max_delay_ms.max(1)),
        }
    }

    /// Checks what serde cannot: the URL's scheme, names the broker would
    /// refuse or that would collide, limits of zero. The error names the key
    /// as `amqp.<key>` and never holds the URL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &'static str, message: String| Err(ConfigError { key, message });
        let url = self.url.expose_secret();
        if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
            return err("amqp.url", "must start with amqp:// or amqps://".into());
        }
        for (key, name) in [
            ("amqp.events_exchange", &self.events_exchange),
            ("amqp.pipeline_exchange", &self.pipeline_exchange),
            ("amqp.queue_prefix", &self.queue_prefix),
        ] {
            if name.is_empty() || name.starts_with("amq.") {
                return err(key, format!("`{name}` is not a usable name"));
            }
        }
        if self.events_exchange == self.pipeline_exchange {
            return err(
                "amqp.pipeline_exchange",
                "must differ from `amqp.events_exchange`".into(),
            );
        }
        if self.prefetch == 0 {
            return err("amqp.prefetch", "must be at least 1".into());
        }
        if self.delivery_limit == 0 {
            return err("amqp.delivery_limit", "must be at least 1".into());
        }
        Ok(())
    }
}

/// A configuration value that cannot be run with, naming its key.
pub use govwire_model::settings::ConfigError;

/// Writes a URL with its password replaced by `***`, so a serialized
/// configuration never holds it.
fn serialize_redacted<S: Serializer>(url: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(url.expose_secret()))
}

impl BusConfig {
    /// The URL with its password replaced by `***`: the only form of the URL
    /// that may appear in logs and errors.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }

    /// The full name of the queue `name`: `<prefix>.<name>`.
    pub fn queue_name(&self, name: &str) -> String {
        govwire_model::pipeline::queue_name(&self.queue_prefix, name)
    }

    /// The dead-letter exchange shared by all work queues: `<prefix>.dlx`.
    pub fn dead_letter_exchange(&self) -> String {
        govwire_model::pipeline::dead_letter_exchange(&self.queue_prefix)
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
    govwire_model::pipeline::dead_letter_queue_name(queue)
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
    fn the_configuration_defaults_are_the_bus_defaults() {
        let amqp = AmqpConfig::default();
        assert_eq!(amqp.validate(), Ok(()));
        let bus = amqp.bus_config();
        assert_eq!(bus.url.expose_secret(), DEFAULT_URL);
        assert_eq!(bus.confirm_timeout, DEFAULT_CONFIRM_TIMEOUT);
        assert_eq!(bus.reconnect_max_delay, DEFAULT_RECONNECT_MAX_DELAY);
        assert_eq!(bus.queue_expires_ms, None);
        let expiring = AmqpConfig {
            queue_expires_secs: 120,
            ..AmqpConfig::default()
        };
        assert_eq!(expiring.bus_config().queue_expires_ms, Some(120_000));
    }

    #[test]
    fn an_unusable_value_is_refused_naming_its_key_and_not_the_url() {
        let amqp = AmqpConfig {
            url: SecretString::from("http://u:hunter2@h/"),
            ..AmqpConfig::default()
        };
        let err = amqp.validate().unwrap_err().to_string();
        assert!(err.contains("configuration key `amqp.url`"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let amqp = AmqpConfig {
            pipeline_exchange: DEFAULT_EVENTS_EXCHANGE.into(),
            ..AmqpConfig::default()
        };
        let err = amqp.validate().unwrap_err().to_string();
        assert!(err.contains("amqp.pipeline_exchange"), "{err}");
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
