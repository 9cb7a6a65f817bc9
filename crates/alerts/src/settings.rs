//! The `[alerts]` section: the rules and the sinks they deliver to.
//!
//! ```toml
//! [[alerts.sinks]]
//! name = "newsroom"
//! kind = "webhook"
//! url = "https://hooks.example.org/govwire"
//! secret = "…"            # signs every delivery; never logged
//!
//! [[alerts.sinks]]
//! name = "ops-log"
//! kind = "log"
//!
//! [[alerts.rules]]
//! name = "lifts"
//! words = { any = ["电梯", "加装电梯"] }
//! sinks = ["newsroom", "ops-log"]
//! ```

use std::collections::HashSet;
use std::time::Duration;

use govwire_model::settings::ConfigError;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

use crate::webhook::Webhook;
use crate::Rule;

/// `[alerts]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// The sinks rules name (`[[alerts.sinks]]`).
    pub sinks: Vec<SinkConfig>,
    /// The rules (`[[alerts.rules]]`).
    pub rules: Vec<Rule>,
}

/// What a sink is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// An HTTP POST of the signed JSON body.
    Webhook,
    /// A structured log line.
    Log,
}

/// `[[alerts.sinks]]`: one place deliveries go.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Names the sink in rules; unique.
    pub name: String,
    /// `webhook` or `log`.
    pub kind: SinkKind,
    /// Webhook: the receiver's URL (`http` or `https`; private addresses are
    /// allowed, the operator chose them).
    #[serde(default)]
    pub url: Option<String>,
    /// Webhook: the signing secret. Serialized as `***`.
    #[serde(default, serialize_with = "hidden")]
    pub secret: Option<SecretString>,
    /// Webhook: longest time one attempt may take (ms).
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Webhook: attempts in all, the first included.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// Webhook: the first wait between attempts (ms); it doubles, with
    /// jitter.
    #[serde(default = "defaults::base_delay_ms")]
    pub base_delay_ms: u64,
    /// Webhook: the longest wait between attempts (ms), `Retry-After`
    /// included.
    #[serde(default = "defaults::max_delay_ms")]
    pub max_delay_ms: u64,
}

mod defaults {
    pub fn timeout_ms() -> u64 {
        10_000
    }
    pub fn max_attempts() -> u32 {
        5
    }
    pub fn base_delay_ms() -> u64 {
        1_000
    }
    pub fn max_delay_ms() -> u64 {
        60_000
    }
}

fn hidden<S: Serializer>(secret: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => s.serialize_str("***"),
        None => s.serialize_none(),
    }
}

impl SinkConfig {
    /// The webhook this sink delivers through; `None` for another kind.
    pub fn webhook(&self) -> Option<Webhook> {
        if self.kind != SinkKind::Webhook {
            return None;
        }
        Some(Webhook {
            url: self.url.as_deref()?.parse().ok()?,
            secret: self.secret.clone()?,
            timeout: Duration::from_millis(self.timeout_ms),
            max_attempts: self.max_attempts,
            base_delay: Duration::from_millis(self.base_delay_ms),
            max_delay: Duration::from_millis(self.max_delay_ms),
        })
    }
}

impl AlertsConfig {
    /// Checks the section: unique sink and rule names, every rule valid and
    /// naming sinks that exist, every webhook with an http(s) URL and a
    /// secret.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key, message: String| Err(ConfigError { key, message });
        let mut sinks = HashSet::new();
        for sink in &self.sinks {
            if sink.name.trim().is_empty() {
                return err("alerts.sinks.name", "a sink needs a name".into());
            }
            if !sinks.insert(sink.name.as_str()) {
                return err(
                    "alerts.sinks.name",
                    format!("two sinks are named `{}`", sink.name),
                );
            }
            if sink.kind == SinkKind::Webhook {
                let url = sink.url.as_deref().unwrap_or_default();
                let parsed: Result<url::Url, _> = url.parse();
                match parsed {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                    _ => {
                        return err(
                            "alerts.sinks.url",
                            format!("sink `{}`: a webhook needs an http or https URL", sink.name),
                        )
                    }
                }
                if sink.secret.is_none() {
                    return err(
                        "alerts.sinks.secret",
                        format!(
                            "sink `{}`: a webhook needs a secret to sign with",
                            sink.name
                        ),
                    );
                }
                if sink.max_attempts == 0 || sink.timeout_ms == 0 {
                    return err(
                        "alerts.sinks.max_attempts",
                        format!(
                            "sink `{}`: attempts and timeout must be at least 1",
                            sink.name
                        ),
                    );
                }
            } else if sink.url.is_some() || sink.secret.is_some() {
                return err(
                    "alerts.sinks.url",
                    format!(
                        "sink `{}`: only a webhook has a URL and a secret",
                        sink.name
                    ),
                );
            }
        }
        let mut rules = HashSet::new();
        for rule in &self.rules {
            rule.validate().map_err(|e| ConfigError {
                key: "alerts.rules",
                message: e.to_string(),
            })?;
            if !rules.insert(rule.name.as_str()) {
                return err(
                    "alerts.rules.name",
                    format!("two rules are named `{}`", rule.name),
                );
            }
            if rule.sinks.is_empty() {
                return err(
                    "alerts.rules.sinks",
                    format!("rule `{}` names no sink", rule.name),
                );
            }
            if let Some(missing) = rule.sinks.iter().find(|s| !sinks.contains(s.as_str())) {
                return err(
                    "alerts.rules.sinks",
                    format!(
                        "rule `{}` names the sink `{missing}`, which is not configured",
                        rule.name
                    ),
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(text: &str) -> Result<AlertsConfig, String> {
        let config: AlertsConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    const GOOD: &str = r#"
        [[sinks]]
        name = "newsroom"
        kind = "webhook"
        url = "http://127.0.0.1:9/hook"
        secret = "s3cret"

        [[sinks]]
        name = "ops"
        kind = "log"

        [[rules]]
        name = "lifts"
        words = { any = ["电梯"] }
        sinks = ["newsroom", "ops"]
    "#;

    #[test]
    fn a_section_with_sinks_and_rules_is_read_with_defaults() {
        let config = section(GOOD).unwrap();
        let webhook = config.sinks[0].webhook().expect("a webhook");
        assert_eq!(webhook.max_attempts, 5);
        assert_eq!(webhook.timeout, Duration::from_secs(10));
        assert!(config.sinks[1].webhook().is_none());
        let shown = toml::to_string(&config).unwrap();
        assert!(
            !shown.contains("s3cret") && shown.contains("***"),
            "{shown}"
        );
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn a_bad_section_is_refused_naming_the_key() {
        let cases = [
            (
                GOOD.replace("\"newsroom\", \"ops\"", "\"nowhere\""),
                "nowhere",
            ),
            (
                GOOD.replace("secret = \"s3cret\"", ""),
                "alerts.sinks.secret",
            ),
            (
                GOOD.replace("http://127.0.0.1:9/hook", "file:///etc/passwd"),
                "alerts.sinks.url",
            ),
            (
                GOOD.replace("name = \"ops\"", "name = \"newsroom\""),
                "two sinks",
            ),
            (GOOD.replace("words = {", "wrods = {"), "wrods"),
            (GOOD.replace("kind = \"log\"", "kind = \"pager\""), "pager"),
            (
                GOOD.replace(
                    "sinks = [\"newsroom\", \"ops\"]",
                    "result = [\"approved\"]\nsinks = [\"newsroom\", \"ops\"]",
                ),
                "key `result`: `approved`",
            ),
        ];
        for (text, expected) in cases {
            let e = section(&text).expect_err(expected);
            assert!(e.contains(expected), "{expected}: {e}");
        }
    }
}
