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
//! name = "desk"
//! kind = "email"
//! host = "smtp.example.org"  # STARTTLS on 587 unless `security` says otherwise
//! username = "govwire"
//! password = "…"             # never logged
//! from = "govwire <govwire@example.org>"
//! to = ["desk@example.org"]
//!
//! [[alerts.sinks]]
//! name = "ops-log"
//! kind = "log"
//!
//! [[alerts.rules]]
//! name = "lifts"
//! words = { any = ["电梯", "加装电梯"] }
//! max_per_hour = 20
//! sinks = ["newsroom", "desk", "ops-log"]
//! ```
//!
//! The rules and sinks may also live in a file of their own, `alerts.toml`
//! beside `govwire.toml` (`rules_file`), written as `[[rules]]` and
//! `[[sinks]]`; they are added to those of the section.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use govwire_model::settings::ConfigError;
use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};

use crate::email::{Email, Security};
use crate::webhook::Webhook;
use crate::Rule;

/// `[alerts]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// A file of further `[[rules]]` and `[[sinks]]`, relative to the
    /// directory of `govwire.toml`; read when it exists. Default
    /// `alerts.toml`.
    pub rules_file: PathBuf,
    /// The database deliveries are recorded in, which may hold a password;
    /// empty (the default) for the same database as `store.url`. Serialized
    /// redacted.
    #[serde(serialize_with = "govwire_store::serialize_redacted_url")]
    pub store_url: SecretString,
    /// How often held matches are looked at for their digest, in seconds.
    /// Default 60.
    pub digest_check_secs: u64,
    /// The sinks rules name (`[[alerts.sinks]]`). Default none.
    pub sinks: Vec<SinkConfig>,
    /// The rules (`[[alerts.rules]]`). Default none: the subscriber runs
    /// and delivers nothing.
    pub rules: Vec<Rule>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            rules_file: PathBuf::from("alerts.toml"),
            store_url: SecretString::from(String::new()),
            digest_check_secs: 60,
            sinks: Vec::new(),
            rules: Vec::new(),
        }
    }
}

/// The rules file: `[[rules]]` and `[[sinks]]`, the same keys as in the
/// section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    sinks: Vec<SinkConfig>,
    #[serde(default)]
    rules: Vec<Rule>,
}

/// What a sink is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinkKind {
    /// An HTTP POST of the signed JSON body.
    Webhook,
    /// A message over SMTP.
    Email,
    /// A structured log line.
    Log,
}

/// `[[alerts.sinks]]`: one place deliveries go.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkConfig {
    /// Names the sink in rules; unique.
    pub name: String,
    /// `webhook`, `email` or `log`.
    pub kind: SinkKind,
    /// Webhook: the receiver's URL (`http` or `https`; private addresses are
    /// allowed, the operator chose them).
    #[serde(default)]
    pub url: Option<String>,
    /// Webhook: the signing secret. Serialized as `***`.
    #[serde(default, serialize_with = "hidden")]
    pub secret: Option<SecretString>,
    /// Email: the SMTP server's host name.
    #[serde(default)]
    pub host: Option<String>,
    /// Email: its port; default by `security` (587, 465 or 25).
    #[serde(default)]
    pub port: Option<u16>,
    /// Email: `starttls` (default), `tls` or `plain` (a local relay only).
    #[serde(default)]
    pub security: Option<Security>,
    /// Email: the login, when the server asks for one.
    #[serde(default)]
    pub username: Option<String>,
    /// Email: the password for `username`. Serialized as `***`.
    #[serde(default, serialize_with = "hidden")]
    pub password: Option<SecretString>,
    /// Email: the sender (`govwire <govwire@example.org>`).
    #[serde(default)]
    pub from: Option<String>,
    /// Email: the recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// Webhook and email: longest time one attempt may take (ms).
    #[serde(default = "defaults::timeout_ms")]
    pub timeout_ms: u64,
    /// Webhook and email: attempts in all, the first included.
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// Webhook and email: the first wait between attempts (ms); it doubles,
    /// with jitter.
    #[serde(default = "defaults::base_delay_ms")]
    pub base_delay_ms: u64,
    /// Webhook and email: the longest wait between attempts (ms),
    /// `Retry-After` included.
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
    /// The email this sink delivers through; `None` for another kind or an
    /// incomplete one ([`AlertsConfig::validate`] says what is missing).
    pub fn email(&self) -> Option<Email> {
        if self.kind != SinkKind::Email {
            return None;
        }
        let security = self.security.unwrap_or_default();
        Some(Email {
            host: self.host.clone()?,
            port: self.port.unwrap_or(security.default_port()),
            security,
            username: self.username.clone(),
            password: self.password.clone(),
            from: self.from.as_deref()?.parse().ok()?,
            to: self
                .to
                .iter()
                .map(|t| t.parse())
                .collect::<Result<_, _>>()
                .ok()?,
            timeout: Duration::from_millis(self.timeout_ms),
            max_attempts: self.max_attempts,
            base_delay: Duration::from_millis(self.base_delay_ms),
            max_delay: Duration::from_millis(self.max_delay_ms),
        })
    }

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

fn check_email(sink: &SinkConfig) -> Result<(), ConfigError> {
    let err = |key, message: String| Err(ConfigError { key, message });
    let name = &sink.name;
    if sink.host.as_deref().is_none_or(|h| h.trim().is_empty()) {
        return err(
            "alerts.sinks.host",
            format!("sink `{name}`: an email sink needs the SMTP server's host"),
        );
    }
    match sink
        .from
        .as_deref()
        .map(str::parse::<lettre::message::Mailbox>)
    {
        Some(Ok(_)) => {}
        Some(Err(e)) => {
            return err(
                "alerts.sinks.from",
                format!("sink `{name}`: not an address: {e}"),
            )
        }
        None => {
            return err(
                "alerts.sinks.from",
                format!("sink `{name}`: an email sink needs a sender (`from`)"),
            )
        }
    }
    if sink.to.is_empty() {
        return err(
            "alerts.sinks.to",
            format!("sink `{name}`: an email sink needs at least one recipient (`to`)"),
        );
    }
    for to in &sink.to {
        if let Err(e) = to.parse::<lettre::message::Mailbox>() {
            return err(
                "alerts.sinks.to",
                format!("sink `{name}`: `{to}` is not an address: {e}"),
            );
        }
    }
    if sink.password.is_some() != sink.username.is_some() {
        return err(
            "alerts.sinks.password",
            format!("sink `{name}`: a username and a password go together"),
        );
    }
    if sink.password.is_some() && sink.security == Some(Security::Plain) {
        return err(
            "alerts.sinks.security",
            format!("sink `{name}`: a password is never sent over a plain connection; use starttls or tls"),
        );
    }
    if sink.max_attempts == 0 || sink.timeout_ms == 0 {
        return err(
            "alerts.sinks.max_attempts",
            format!("sink `{name}`: attempts and timeout must be at least 1"),
        );
    }
    Ok(())
}

impl AlertsConfig {
    /// Adds the rules and sinks of the rules file, if it exists; `dir` is
    /// the directory of `govwire.toml`.
    pub fn load_rules_file(&mut self, dir: &Path) -> Result<Option<PathBuf>, String> {
        let path = if self.rules_file.is_absolute() {
            self.rules_file.clone()
        } else {
            dir.join(&self.rules_file)
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let file: RulesFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        self.sinks.extend(file.sinks);
        self.rules.extend(file.rules);
        Ok(Some(path))
    }

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
            if sink.kind == SinkKind::Email {
                check_email(sink)?;
            } else if sink.host.is_some()
                || sink.port.is_some()
                || sink.security.is_some()
                || sink.username.is_some()
                || sink.password.is_some()
                || sink.from.is_some()
                || !sink.to.is_empty()
            {
                return err(
                    "alerts.sinks.host",
                    format!(
                        "sink `{}`: only an email sink has host, port, security, username, password, from and to",
                        sink.name
                    ),
                );
            }
        }
        if self.digest_check_secs == 0 {
            return err(
                "alerts.digest_check_secs",
                "must be at least 1 second".into(),
            );
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
