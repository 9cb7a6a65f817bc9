//! How a govwire service reaches RabbitMQ and names its exchanges and
//! queues: the `[amqp]` section of `govwire.toml` ([`AmqpConfig`], in the
//! file's units, with its defaults and their checks) and the [`BusConfig`] a
//! [`crate::Bus`] connects with, made from it. The broker is one address or
//! the addresses of a cluster's nodes ([`BrokerUrls`]), each a secret.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
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
    /// The broker's AMQP URLs, with credentials
    /// (`amqp://user:password@host:port/vhost`): one, or one per node of a
    /// cluster, tried in order when connecting and in turn when the
    /// connection is lost. Secret because they carry the password; only
    /// [`BusConfig::redacted_url`] is ever logged or put in an error.
    pub url: BrokerUrls,
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
    /// The broker's URL, or a list of the URLs of a cluster's nodes, which
    /// may hold a password: [`BusConfig::url`]. Serialized redacted.
    /// Default [`DEFAULT_URL`].
    pub url: BrokerUrls,
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
            url: BrokerUrls::from(DEFAULT_URL),
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

    /// Checks what serde cannot: the URLs' scheme and agreement, names the
    /// broker would refuse or that would collide, limits of zero. The error
    /// names the key as `amqp.<key>` and never holds a URL.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &'static str, message: String| Err(ConfigError { key, message });
        if let Err(message) = self.url.check() {
            return err("amqp.url", message);
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

impl BusConfig {
    /// The URL with its password replaced by `***` (several, a cluster's,
    /// separated by `, `): the only form of the URLs that may appear in logs
    /// and errors.
    pub fn redacted_url(&self) -> String {
        self.url.redacted().join(", ")
    }

    /// The full name of the queue `name`: `<prefix>.<name>`.
    pub fn queue_name(&self, name: &str) -> String {
        govwire_model::pipeline::queue_name(&self.queue_prefix, name)
    }

    /// The dead-letter exchange shared by all work queues: `<prefix>.dlx`.
    pub fn dead_letter_exchange(&self) -> String {
        govwire_model::pipeline::dead_letter_exchange(&self.queue_prefix)
    }

    /// The passwords in the URLs, if any, so error texts can be scrubbed of
    /// them.
    pub(crate) fn passwords(&self) -> Vec<String> {
        let mut passwords: Vec<String> = self
            .url
            .iter()
            .filter_map(|url| url::Url::parse(url.expose_secret()).ok())
            .filter_map(|url| url.password().map(str::to_owned))
            .filter(|password| !password.is_empty())
            .collect();
        passwords.sort();
        passwords.dedup();
        passwords
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
            .field("url", &self.url)
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

/// The broker's addresses: one AMQP URL, or the URLs of a cluster's nodes
/// in the order they are tried. Each is a secret (it may hold a password):
/// `Debug` and serialization show them redacted ([`BrokerUrls::redacted`]).
/// In `govwire.toml`, `url` takes one URL in quotes or a list of them.
#[derive(Clone)]
pub struct BrokerUrls(Vec<SecretString>);

impl BrokerUrls {
    /// The addresses, in the order they are tried.
    pub fn new(urls: impl IntoIterator<Item = SecretString>) -> Self {
        Self(urls.into_iter().collect())
    }

    /// The addresses, in the order they are tried.
    pub fn iter(&self) -> std::slice::Iter<'_, SecretString> {
        self.0.iter()
    }

    /// How many addresses there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none (refused by [`AmqpConfig::validate`] and
    /// [`crate::Bus::connect`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each address with its password replaced by `***`: the only form of
    /// them that may be logged or put in an error.
    pub fn redacted(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|url| redact_url(url.expose_secret()))
            .collect()
    }

    /// Checks that there is at least one address, that each is an AMQP URL,
    /// and that the addresses of a cluster name the same user, password,
    /// virtual host and options (a connection logs in once, with the
    /// first's, whichever node it reaches). Says what is wrong in words,
    /// naming an address by its place in the list, never by its text.
    pub(crate) fn check(&self) -> Result<(), String> {
        let several = self.0.len() > 1;
        let Some(first) = self.0.first() else {
            return Err(
                "must name at least one broker: an AMQP URL in quotes, or a list of them".into(),
            );
        };
        for (i, url) in self.0.iter().enumerate() {
            let url = url.expose_secret();
            if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
                return Err(if several {
                    format!(
                        "each address must start with amqp:// or amqps://, and the {} does not",
                        ordinal(i + 1)
                    )
                } else {
                    "must start with amqp:// or amqps://".into()
                });
            }
        }
        let login = |url: &SecretString| {
            url::Url::parse(url.expose_secret()).ok().map(|url| {
                (
                    url.username().to_owned(),
                    url.password().map(str::to_owned),
                    url.path().to_owned(),
                    url.query().map(str::to_owned),
                )
            })
        };
        let expected = login(first);
        for (i, url) in self.0.iter().enumerate().skip(1) {
            if login(url) != expected {
                return Err(format!(
                    "the addresses of a cluster may differ only in host and port, and the {} \
                     names another user, password, virtual host or option than the 1st",
                    ordinal(i + 1)
                ));
            }
        }
        Ok(())
    }
}

/// `1st`, `2nd`, `3rd`, `4th`…: an address's place in the list.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl From<SecretString> for BrokerUrls {
    fn from(url: SecretString) -> Self {
        Self(vec![url])
    }
}

impl From<String> for BrokerUrls {
    fn from(url: String) -> Self {
        Self(vec![SecretString::from(url)])
    }
}

impl From<&str> for BrokerUrls {
    fn from(url: &str) -> Self {
        Self(vec![SecretString::from(url)])
    }
}

impl fmt::Debug for BrokerUrls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.redacted()).finish()
    }
}

/// Written redacted, as it is read: one URL as a string, several as a
/// list.
impl Serialize for BrokerUrls {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let redacted = self.redacted();
        if let [one] = redacted.as_slice() {
            return serializer.serialize_str(one);
        }
        let mut seq = serializer.serialize_seq(Some(redacted.len()))?;
        for url in &redacted {
            seq.serialize_element(url)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for BrokerUrls {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Urls;
        impl<'de> Visitor<'de> for Urls {
            type Value = BrokerUrls;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an AMQP URL in quotes, or a list of them as \
                     [\"amqp://host1:5672/%2f\", \"amqp://host2:5672/%2f\"]",
                )
            }
            fn visit_str<E: de::Error>(self, url: &str) -> Result<BrokerUrls, E> {
                Ok(BrokerUrls::from(url))
            }
            fn visit_string<E: de::Error>(self, url: String) -> Result<BrokerUrls, E> {
                Ok(BrokerUrls::from(url))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<BrokerUrls, A::Error> {
                let mut urls = Vec::new();
                while let Some(url) = seq.next_element::<String>()? {
                    urls.push(SecretString::from(url));
                }
                Ok(BrokerUrls(urls))
            }
        }
        deserializer.deserialize_any(Urls)
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

/// Removes every occurrence of each of `passwords` (raw and
/// percent-decoded) from a text that came from a library and may echo a URL
/// back.
pub(crate) fn scrub(text: &str, passwords: &[String]) -> String {
    let mut out = text.to_owned();
    for password in passwords {
        out = out.replace(password.as_str(), "***");
        if let Ok(decoded) = percent_decode(password) {
            if !decoded.is_empty() {
                out = out.replace(&decoded, "***");
            }
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
            url: BrokerUrls::from("amqp://guest:s3cret@rabbit.example:5672/%2f"),
            ..BusConfig::default()
        };
        assert_eq!(
            config.redacted_url(),
            "amqp://guest:***@rabbit.example:5672/%2f"
        );
    }

    #[test]
    fn every_address_of_a_cluster_is_redacted_in_text_debug_and_serialization() {
        let urls = BrokerUrls::new([
            SecretString::from("amqp://u:s3cret@rabbit-1:5672/%2f"),
            SecretString::from("amqp://u:s3cret@rabbit-2:5672/%2f"),
        ]);
        let config = BusConfig {
            url: urls.clone(),
            ..BusConfig::default()
        };
        assert_eq!(
            config.redacted_url(),
            "amqp://u:***@rabbit-1:5672/%2f, amqp://u:***@rabbit-2:5672/%2f"
        );
        let debug = format!("{config:?}");
        let json = serde_json::to_string(&AmqpConfig {
            url: urls,
            ..AmqpConfig::default()
        })
        .unwrap();
        for text in [&debug, &json] {
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.contains("rabbit-2:5672"), "{text}");
        }
        assert!(
            json.contains(r#""url":["amqp://u:***@rabbit-1:5672/%2f","#),
            "{json}"
        );
        assert_eq!(config.passwords(), vec!["s3cret".to_owned()]);
    }

    #[test]
    fn one_url_or_a_list_of_urls_is_read() {
        let one: AmqpConfig = serde_json::from_str(r#"{"url": "amqp://h:1/%2f"}"#).unwrap();
        assert_eq!(one.url.len(), 1);
        let json = serde_json::to_value(&one).unwrap();
        assert_eq!(json["url"], "amqp://h:1/%2f", "one URL is written as one");
        let list: AmqpConfig =
            serde_json::from_str(r#"{"url": ["amqp://a:1/%2f", "amqp://b:2/%2f"]}"#).unwrap();
        let urls: Vec<&str> = list.url.iter().map(|u| u.expose_secret()).collect();
        assert_eq!(urls, ["amqp://a:1/%2f", "amqp://b:2/%2f"]);
        assert_eq!(list.validate(), Ok(()));
        let err = serde_json::from_str::<AmqpConfig>(r#"{"url": 5}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("an AMQP URL in quotes, or a list of them"),
            "{err}"
        );
    }

    #[test]
    fn a_list_that_cannot_be_connected_with_is_refused_without_its_urls() {
        let refused = |urls: &[&str]| {
            let amqp = AmqpConfig {
                url: BrokerUrls::new(urls.iter().map(|u| SecretString::from(*u))),
                ..AmqpConfig::default()
            };
            let err = amqp.validate().unwrap_err();
            assert_eq!(err.key, "amqp.url");
            assert!(!err.message.contains("hunter2"), "{err}");
            err.message
        };
        assert!(refused(&[]).contains("at least one broker"));
        let message = refused(&["amqp://u:hunter2@a:1/%2f", "http://u:hunter2@b:1/%2f"]);
        assert!(message.contains("the 2nd does not"), "{message}");
        let message = refused(&[
            "amqp://u:hunter2@a:1/%2f",
            "amqp://u:hunter2@b:1/%2f",
            "amqp://u:hunter2@c:1/other",
        ]);
        assert!(
            message.contains("differ only in host and port, and the 3rd"),
            "{message}"
        );
        assert_eq!(ordinal(11), "11th");
        assert_eq!(ordinal(22), "22nd");
    }

    #[test]
    fn an_unparsable_url_is_never_echoed() {
        let redacted = redact_url("not a url with s3cret inside");
        assert!(!redacted.contains("s3cret"), "{redacted}");
    }

    #[test]
    fn scrubbing_removes_encoded_and_decoded_passwords() {
        let text = "Invalid URL: 'amqp://u:p%40ss@h' and p@ss";
        let scrubbed = scrub(text, &["p%40ss".to_owned()]);
        assert!(!scrubbed.contains("p%40ss"), "{scrubbed}");
        assert!(!scrubbed.contains("p@ss"), "{scrubbed}");
    }

    #[test]
    fn the_configuration_defaults_are_the_bus_defaults() {
        let amqp = AmqpConfig::default();
        assert_eq!(amqp.validate(), Ok(()));
        let bus = amqp.bus_config();
        let urls: Vec<&str> = bus.url.iter().map(|u| u.expose_secret()).collect();
        assert_eq!(urls, [DEFAULT_URL]);
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
            url: BrokerUrls::from("http://u:hunter2@h/"),
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
