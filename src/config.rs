//! Configuration: `config/govwire.toml`, then environment overrides
//! `GOVWIRE__<SECTION>__<KEY>`, then command-line flags. Unknown keys and
//! invalid values stop start-up with a message naming them; secrets are
//! wrapped so `Debug` cannot print them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use govwire_bus::BusConfig;
use govwire_model::PortalProfile;

/// Prefix of environment overrides: `GOVWIRE__AMQP__URL`.
pub const ENV_PREFIX: &str = "GOVWIRE__";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// The broker.
    pub amqp: AmqpConfig,
    /// The state and archive database.
    pub store: StoreConfig,
    /// The crawler.
    pub crawler: CrawlerConfig,
    /// The notifier.
    #[serde(default)]
    pub notifier: NotifierConfig,
    /// The archive subscriber.
    #[serde(default)]
    pub archive: ArchiveConfig,
}

/// `[log]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `auto`, `json` or `pretty`.
    pub format: LogFormat,
    /// Filter in `RUST_LOG` syntax.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Auto,
            level: "info".into(),
        }
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable on a terminal, JSON lines otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Readable lines.
    Pretty,
}

/// `[amqp]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpConfig {
    /// Broker URL; may hold a password.
    pub url: SecretString,
    /// The public topic exchange.
    pub events_exchange: String,
    /// The stage-to-stage direct exchange.
    pub pipeline_exchange: String,
    /// Prefix of queue names and of the dead-letter exchange.
    pub queue_prefix: String,
    /// Consumer prefetch.
    pub prefetch: u16,
    /// Deliveries before the broker dead-letters a message.
    pub delivery_limit: u32,
    /// Seconds to wait for a publisher confirm.
    pub confirm_timeout_secs: u64,
    /// Seconds until an unused queue expires; 0 = never.
    #[serde(default)]
    pub queue_expires_secs: u64,
    /// Longest wait (milliseconds) between two attempts to reconnect to the
    /// broker; reconnection never gives up.
    #[serde(default = "defaults::reconnect_max_delay_ms")]
    pub reconnect_max_delay_ms: u64,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://…` or `postgres://…`; may hold a password.
    pub url: SecretString,
}

/// `[crawler]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Directory of portal profiles.
    pub portals_dir: PathBuf,
    /// Profiles to poll, by id.
    pub portals: Vec<String>,
    /// The User-Agent sent with every request.
    pub user_agent: String,
    /// Seconds between revisits of a known page.
    pub revisit_interval_secs: u64,
    /// Overrides every profile's minimum delay between requests (ms).
    #[serde(default)]
    pub min_delay_ms: Option<u64>,
    /// Overrides every profile's poll interval (seconds).
    #[serde(default)]
    pub poll_interval_secs: Option<u64>,
    /// Shortest time (seconds) between revisits of a known page: how often
    /// a page that just appeared or just changed is looked at, and how soon
    /// a page found gone is looked at again.
    #[serde(default = "defaults::revisit_min_interval_secs")]
    pub revisit_min_interval_secs: u64,
    /// Most known pages revisited in one round, so revisits never starve
    /// polls.
    #[serde(default = "defaults::revisit_batch")]
    pub revisit_batch: u32,
    /// First step (milliseconds) of the back-off after an error from a host.
    #[serde(default = "defaults::backoff_base_ms")]
    pub backoff_base_ms: u64,
    /// Longest back-off (seconds) after repeated errors from a host.
    #[serde(default = "defaults::backoff_cap_secs")]
    pub backoff_cap_secs: u64,
    /// Longest wait (seconds) for a host inside one request (its delay, a
    /// `Retry-After`, a back-off); a longer one fails the request and the
    /// next poll tries again.
    #[serde(default = "defaults::max_inline_wait_secs")]
    pub max_inline_wait_secs: u64,
    /// Overrides every profile's total request timeout (milliseconds).
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Seconds a whole host is left alone after it served a WAF or captcha
    /// page or a storm of 403s.
    #[serde(default = "defaults::block_backoff_secs")]
    pub block_backoff_secs: u64,
    /// 403 answers in a row from one host that count as a block.
    #[serde(default = "defaults::forbidden_storm")]
    pub forbidden_storm: u32,
    /// Most attachments fetched with one detail page (0: none).
    #[serde(default = "defaults::max_attachments")]
    pub max_attachments: usize,
    /// Seconds a section lease holds without renewal; an instance that dies
    /// loses its sections to the others after this.
    #[serde(default = "defaults::lease_ttl_secs")]
    pub lease_ttl_secs: u64,
    /// Seconds `govwire backfill` waits for a section another instance is
    /// polling before it gives up with a message naming that instance.
    #[serde(default = "defaults::backfill_lease_wait_secs")]
    pub backfill_lease_wait_secs: u64,
    /// This instance's name in section leases; unset: host name, process
    /// id and a random suffix. Must differ between running instances.
    #[serde(default)]
    pub instance_id: Option<String>,
}

/// Defaults of the optional `[crawler]` keys (the crawler's own defaults).
mod defaults {
    pub fn reconnect_max_delay_ms() -> u64 {
        govwire_bus::DEFAULT_RECONNECT_MAX_DELAY.as_millis() as u64
    }
    pub fn revisit_min_interval_secs() -> u64 {
        3600
    }
    pub fn revisit_batch() -> u32 {
        50
    }
    pub fn backoff_base_ms() -> u64 {
        2000
    }
    pub fn backoff_cap_secs() -> u64 {
        300
    }
    pub fn max_inline_wait_secs() -> u64 {
        300
    }
    pub fn block_backoff_secs() -> u64 {
        1800
    }
    pub fn forbidden_storm() -> u32 {
        3
    }
    pub fn max_attachments() -> usize {
        10
    }
    pub fn lease_ttl_secs() -> u64 {
        600
    }
    pub fn backfill_lease_wait_secs() -> u64 {
        600
    }
}

impl CrawlerConfig {
    /// The crawler's options for one portal, `base_url` overriding its
    /// profile's. `role` names a second kind of process sharing the leases
    /// (`backfill`), so a configured `instance_id` never makes a backfill
    /// look like the live crawler of the same name.
    pub fn options(
        &self,
        base_url: Option<String>,
        role: Option<&str>,
    ) -> govwire_crawler::CrawlerOptions {
        let mut options = govwire_crawler::CrawlerOptions::new(self.user_agent.clone());
        if let Some(id) = &self.instance_id {
            options.instance_id = id.clone();
        }
        if let Some(role) = role {
            options.instance_id = format!("{}-{role}", options.instance_id);
        }
        govwire_crawler::CrawlerOptions {
            base_url_override: base_url,
            min_delay: self.min_delay_ms.map(Duration::from_millis),
            revisit_interval: Duration::from_secs(self.revisit_interval_secs),
            revisit_min_interval: Duration::from_secs(self.revisit_min_interval_secs),
            poll_interval: self.poll_interval_secs.map(Duration::from_secs),
            revisit_batch: self.revisit_batch,
            backoff_base: Duration::from_millis(self.backoff_base_ms),
            backoff_cap: Duration::from_secs(self.backoff_cap_secs),
            max_inline_wait: Duration::from_secs(self.max_inline_wait_secs),
            request_timeout: self.request_timeout_ms.map(Duration::from_millis),
            block_backoff: Duration::from_secs(self.block_backoff_secs),
            forbidden_storm: self.forbidden_storm,
            max_attachments: self.max_attachments,
            lease_ttl: Duration::from_secs(self.lease_ttl_secs),
            backfill_lease_wait: Duration::from_secs(self.backfill_lease_wait_secs),
            ..options
        }
    }

    fn validate(&self) -> Result<()> {
        if self.portals.is_empty() {
            bail!("configuration key `crawler.portals`: name at least one portal profile");
        }
        if self.user_agent.trim().is_empty() {
            bail!("configuration key `crawler.user_agent`: must not be empty");
        }
        for (key, value) in [
            ("crawler.revisit_interval_secs", self.revisit_interval_secs),
            (
                "crawler.revisit_min_interval_secs",
                self.revisit_min_interval_secs,
            ),
            ("crawler.revisit_batch", u64::from(self.revisit_batch)),
            ("crawler.backoff_base_ms", self.backoff_base_ms),
            ("crawler.backoff_cap_secs", self.backoff_cap_secs),
            ("crawler.block_backoff_secs", self.block_backoff_secs),
            ("crawler.forbidden_storm", u64::from(self.forbidden_storm)),
            ("crawler.lease_ttl_secs", self.lease_ttl_secs),
        ] {
            if value == 0 {
                bail!("configuration key `{key}`: must be at least 1");
            }
        }
        if self.revisit_min_interval_secs > self.revisit_interval_secs {
            bail!(
                "configuration key `crawler.revisit_min_interval_secs`: {} is longer than `crawler.revisit_interval_secs` ({})",
                self.revisit_min_interval_secs,
                self.revisit_interval_secs
            );
        }
        if self.backoff_base_ms > self.backoff_cap_secs.saturating_mul(1000) {
            bail!(
                "configuration key `crawler.backoff_base_ms`: {} ms is longer than `crawler.backoff_cap_secs` ({} s)",
                self.backoff_base_ms,
                self.backoff_cap_secs
            );
        }
        if self.request_timeout_ms == Some(0) {
            bail!("configuration key `crawler.request_timeout_ms`: must be at least 1 when set");
        }
        if self.lease_ttl_secs < 3 {
            bail!("configuration key `crawler.lease_ttl_secs`: must be at least 3 (the lease is renewed every third of it)");
        }
        if let Some(id) = &self.instance_id {
            if id.trim().is_empty() || id.chars().any(char::is_whitespace) || id.len() > 200 {
                bail!("configuration key `crawler.instance_id`: must be a non-empty name without spaces, at most 200 bytes");
            }
        }
        Ok(())
    }
}

/// `[notifier]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifierConfig {
    /// Milliseconds between outbox sweeps.
    pub outbox_interval_ms: u64,
    /// Seconds between sweeps for withdrawals, restorations and section
    /// health.
    pub sweep_interval_secs: u64,
    /// Visits in a row that must find a reply's page gone (404/410) before
    /// the reply is withdrawn.
    pub withdraw_after_misses: u32,
    /// Seconds a reply's page must have been missing (from the first miss
    /// the sweep saw) before the reply is withdrawn.
    pub withdraw_grace_secs: u64,
    /// Polls in a row that find a section's list empty, after it listed
    /// entries before, that make the section degraded.
    pub degraded_after_empty_polls: u32,
    /// Polls in a row that fail that make a section degraded.
    pub degraded_after_failed_polls: u32,
    /// Pages in a row of a section that fail to parse that make the section
    /// degraded.
    pub degraded_after_parse_failures: u32,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        Self {
            outbox_interval_ms: 1000,
            sweep_interval_secs: 60,
            withdraw_after_misses: 3,
            withdraw_grace_secs: 172_800,
            degraded_after_empty_polls: 3,
            degraded_after_failed_polls: 5,
            degraded_after_parse_failures: 5,
        }
    }
}

impl NotifierConfig {
    /// The notifier's settings as its crate takes them.
    pub fn settings(&self) -> govwire_notifier::NotifierSettings {
        govwire_notifier::NotifierSettings {
            outbox_interval: Duration::from_millis(self.outbox_interval_ms.max(10)),
            sweep: govwire_notifier::SweepSettings {
                interval: Duration::from_secs(self.sweep_interval_secs.max(1)),
                withdrawal: govwire_notifier::WithdrawalPolicy {
                    after_misses: self.withdraw_after_misses,
                    grace: Duration::from_secs(self.withdraw_grace_secs),
                },
                health: govwire_notifier::HealthPolicy {
                    empty_polls: self.degraded_after_empty_polls,
                    failed_polls: self.degraded_after_failed_polls,
                    parse_failures: self.degraded_after_parse_failures,
                },
            },
        }
    }

    fn validate(&self) -> Result<()> {
        for (key, value) in [
            ("notifier.sweep_interval_secs", self.sweep_interval_secs),
            (
                "notifier.withdraw_after_misses",
                u64::from(self.withdraw_after_misses),
            ),
            (
                "notifier.degraded_after_empty_polls",
                u64::from(self.degraded_after_empty_polls),
            ),
            (
                "notifier.degraded_after_failed_polls",
                u64::from(self.degraded_after_failed_polls),
            ),
            (
                "notifier.degraded_after_parse_failures",
                u64::from(self.degraded_after_parse_failures),
            ),
        ] {
            if value == 0 {
                bail!("configuration key `{key}`: must be at least 1");
            }
        }
        Ok(())
    }
}

/// `[archive]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Address of the read API.
    pub listen: SocketAddr,
    /// The archive's database; empty = `store.url`.
    #[serde(default = "empty_secret")]
    pub store_url: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from(String::new())
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8088".parse().expect("a literal address"),
            store_url: empty_secret(),
        }
    }
}

impl Config {
    /// Reads `path`, applies the environment overrides in `env`, validates.
    pub fn load(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        Self::from_toml(&text, env).with_context(|| format!("in {}", path.display()))
    }

    /// Parses configuration text and applies environment overrides.
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut value: toml::Value = toml::from_str(text).context("the file is not valid TOML")?;
        apply_env_overrides(&mut value, env)?;
        let config: Config = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            anyhow::anyhow!("configuration key `{path}`: {}", e.into_inner())
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let amqp = self.amqp.url.expose_secret();
        if !(amqp.starts_with("amqp://") || amqp.starts_with("amqps://")) {
            bail!("configuration key `amqp.url`: must start with amqp:// or amqps://");
        }
        let store = self.store.url.expose_secret();
        if !(store.starts_with("sqlite:")
            || store.starts_with("postgres://")
            || store.starts_with("postgresql://"))
        {
            bail!("configuration key `store.url`: must start with sqlite:, postgres:// or postgresql://");
        }
        for (key, name) in [
            ("amqp.events_exchange", &self.amqp.events_exchange),
            ("amqp.pipeline_exchange", &self.amqp.pipeline_exchange),
            ("amqp.queue_prefix", &self.amqp.queue_prefix),
        ] {
            if name.is_empty() || name.starts_with("amq.") {
                bail!("configuration key `{key}`: `{name}` is not a usable name");
            }
        }
        if self.amqp.events_exchange == self.amqp.pipeline_exchange {
            bail!("configuration keys `amqp.events_exchange` and `amqp.pipeline_exchange` must differ");
        }
        if self.amqp.prefetch == 0 {
            bail!("configuration key `amqp.prefetch`: must be at least 1");
        }
        if self.amqp.delivery_limit == 0 {
            bail!("configuration key `amqp.delivery_limit`: must be at least 1");
        }
        self.crawler.validate()?;
        self.notifier.validate()?;
        Ok(())
    }

    /// The broker settings as the bus crate takes them.
    pub fn bus(&self) -> BusConfig {
        BusConfig {
            url: self.amqp.url.clone(),
            events_exchange: self.amqp.events_exchange.clone(),
            pipeline_exchange: self.amqp.pipeline_exchange.clone(),
            queue_prefix: self.amqp.queue_prefix.clone(),
            prefetch: self.amqp.prefetch,
            delivery_limit: self.amqp.delivery_limit,
            queue_expires_ms: match self.amqp.queue_expires_secs {
                0 => None,
                s => Some(u32::try_from(s.saturating_mul(1000)).unwrap_or(u32::MAX)),
            },
            confirm_timeout: Duration::from_secs(self.amqp.confirm_timeout_secs.max(1)),
            reconnect_max_delay: Duration::from_millis(self.amqp.reconnect_max_delay_ms.max(1)),
        }
    }

    /// The archive's database URL (its own, or the shared store's).
    pub fn archive_store_url(&self) -> SecretString {
        if self.archive.store_url.expose_secret().is_empty() {
            self.store.url.clone()
        } else {
            self.archive.store_url.clone()
        }
    }

    /// Loads and validates the profiles named in `crawler.portals`, applying
    /// base-URL overrides: `overrides` (from the command line) first, then
    /// `GOVWIRE_PORTAL_<ID>_BASE_URL` from `env`.
    pub fn portal_profiles(
        &self,
        config_dir: &Path,
        overrides: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
    ) -> Result<Vec<(PortalProfile, Option<String>)>> {
        let dir = if self.crawler.portals_dir.is_absolute() {
            self.crawler.portals_dir.clone()
        } else {
            config_dir.join(&self.crawler.portals_dir)
        };
        let mut out = Vec::new();
        for id in &self.crawler.portals {
            let profile = load_profile(&dir.join(format!("{id}.toml")))?;
            if &profile.id != id {
                bail!(
                    "portal profile {}: its id is `{}`, not `{id}`",
                    dir.join(format!("{id}.toml")).display(),
                    profile.id
                );
            }
            let env_key = format!(
                "GOVWIRE_PORTAL_{}_BASE_URL",
                id.to_uppercase().replace('-', "_")
            );
            let base = overrides
                .get(id)
                .cloned()
                .or_else(|| env.get(&env_key).cloned());
            if let Some(base) = &base {
                if !(base.starts_with("http://") || base.starts_with("https://")) {
                    bail!("base URL override for portal `{id}` must be an http or https URL, got `{base}`");
                }
            }
            out.push((profile, base));
        }
        Ok(out)
    }
}

/// Reads and validates one portal profile.
pub fn load_profile(path: &Path) -> Result<PortalProfile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the portal profile {}", path.display()))?;
    profile_from_text(&text, &path.display().to_string())
}

/// The portal profiles shipped with govwire (`config/portals/*.toml`), built
/// into the binary so that `govwire parse --profile shpt` works from any
/// directory.
pub const SHIPPED_PROFILES: &[(&str, &str)] = &[
    ("shpt", include_str!("../config/portals/shpt.toml")),
    ("pudong", include_str!("../config/portals/pudong.toml")),
];

/// The shipped profile named `name`, as built into the binary.
pub fn shipped_profile(name: &str) -> Option<Result<PortalProfile>> {
    SHIPPED_PROFILES
        .iter()
        .find(|(id, _)| *id == name)
        .map(|(id, text)| profile_from_text(text, &format!("{id} (built in)")))
}

/// Parses and validates a profile's TOML `text`; `origin` names it in errors.
fn profile_from_text(text: &str, origin: &str) -> Result<PortalProfile> {
    let path = origin;
    let de = toml::Deserializer::new(text);
    let profile: PortalProfile = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        anyhow::anyhow!("portal profile {path}: key `{key}`: {}", e.into_inner())
    })?;
    profile.validate()?;
    Ok(profile)
}

/// Applies `GOVWIRE__SECTION__KEY=value` overrides to the parsed file. A
/// value takes the type of the key it replaces (integer, float, boolean,
/// array); keys absent from the file are read as TOML literals when they
/// parse as one, else as strings.
fn apply_env_overrides(
    root: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<()> {
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .collect();
    vars.sort();
    for (key, raw) in vars {
        let path: Vec<String> = key[ENV_PREFIX.len()..]
            .split("__")
            .map(|p| p.to_lowercase())
            .collect();
        if path.iter().any(|p| p.is_empty()) {
            bail!("environment variable {key}: expected GOVWIRE__<SECTION>__<KEY>");
        }
        let dotted = path.join(".");
        let mut table = root
            .as_table_mut()
            .context("the configuration file must be a TOML table")?;
        for part in &path[..path.len() - 1] {
            table = table
                .entry(part.clone())
                .or_insert_with(|| toml::Value::Table(Default::default()))
                .as_table_mut()
                .with_context(|| {
                    format!("environment variable {key}: `{part}` is not a section")
                })?;
        }
        let leaf = path.last().expect("path has at least one part").clone();
        let value = match table.get(&leaf) {
            Some(toml::Value::String(_)) => toml::Value::String(raw),
            Some(toml::Value::Integer(_)) => {
                toml::Value::Integer(raw.trim().parse().with_context(|| {
                    format!(
                        "environment variable {key}: `{dotted}` must be an integer, got `{raw}`"
                    )
                })?)
            }
            Some(toml::Value::Float(_)) => {
                toml::Value::Float(raw.trim().parse().with_context(|| {
                    format!("environment variable {key}: `{dotted}` must be a number, got `{raw}`")
                })?)
            }
            Some(toml::Value::Boolean(_)) => {
                toml::Value::Boolean(raw.trim().parse().with_context(|| {
                    format!(
                        "environment variable {key}: `{dotted}` must be true or false, got `{raw}`"
                    )
                })?)
            }
            Some(toml::Value::Array(_)) => parse_literal(&raw)
                .filter(|v| v.is_array())
                .or_else(|| {
                    Some(toml::Value::Array(
                        raw.split(',')
                            .map(|s| toml::Value::String(s.trim().to_string()))
                            .filter(|v| v.as_str() != Some(""))
                            .collect(),
                    ))
                })
                .expect("always some"),
            _ => parse_literal(&raw).unwrap_or(toml::Value::String(raw)),
        };
        table.insert(leaf, value);
    }
    Ok(())
}

fn parse_literal(raw: &str) -> Option<toml::Value> {
    let doc: toml::Table = toml::from_str(&format!("v = {raw}")).ok()?;
    doc.get("v").cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../config/govwire.toml");

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_shipped_configuration_loads() {
        let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
        assert_eq!(c.amqp.events_exchange, "govwire.events");
        assert_eq!(
            c.bus().reconnect_max_delay,
            govwire_bus::DEFAULT_RECONNECT_MAX_DELAY
        );
        assert_eq!(c.crawler.portals, vec!["shpt"]);
    }

    #[test]
    fn environment_overrides_replace_keys_with_the_right_type() {
        let c = Config::from_toml(
            SHIPPED,
            env(&[
                ("GOVWIRE__AMQP__PREFETCH", "3"),
                ("GOVWIRE__AMQP__EVENTS_EXCHANGE", "t.events"),
                ("GOVWIRE__CRAWLER__PORTALS", "shpt,pudong"),
                ("GOVWIRE__CRAWLER__MIN_DELAY_MS", "5"),
                ("UNRELATED", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.amqp.prefetch, 3);
        assert_eq!(c.amqp.events_exchange, "t.events");
        assert_eq!(c.crawler.portals, vec!["shpt", "pudong"]);
        assert_eq!(c.crawler.min_delay_ms, Some(5));
    }

    #[test]
    fn an_unknown_key_stops_start_up_naming_it() {
        let text = format!("{SHIPPED}\n[extra]\nfoo = 1\n");
        let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
        assert!(err.contains("extra"), "{err}");
        let err = format!(
            "{:#}",
            Config::from_toml(SHIPPED, env(&[("GOVWIRE__AMQP__PREFETHC", "3")])).unwrap_err()
        );
        assert!(err.contains("prefethc"), "{err}");
    }

    #[test]
    fn an_invalid_value_stops_start_up_naming_the_key() {
        let err = format!(
            "{:#}",
            Config::from_toml(SHIPPED, env(&[("GOVWIRE__AMQP__PREFETCH", "many")])).unwrap_err()
        );
        assert!(err.contains("amqp.prefetch"), "{err}");
        let err = format!(
            "{:#}",
            Config::from_toml(SHIPPED, env(&[("GOVWIRE__LOG__FORMAT", "xml")])).unwrap_err()
        );
        assert!(err.contains("log.format"), "{err}");
        let err = format!(
            "{:#}",
            Config::from_toml(SHIPPED, env(&[("GOVWIRE__STORE__URL", "mysql://x")])).unwrap_err()
        );
        assert!(err.contains("store.url"), "{err}");
    }

    #[test]
    fn the_notifier_thresholds_come_from_the_file_and_zero_is_refused() {
        let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
        let settings = c.notifier.settings();
        assert_eq!(settings.sweep.interval, Duration::from_secs(60));
        assert_eq!(settings.sweep.withdrawal.after_misses, 3);
        assert_eq!(
            settings.sweep.withdrawal.grace,
            Duration::from_secs(172_800)
        );
        let c = Config::from_toml(
            SHIPPED,
            env(&[
                ("GOVWIRE__NOTIFIER__WITHDRAW_AFTER_MISSES", "2"),
                ("GOVWIRE__NOTIFIER__WITHDRAW_GRACE_SECS", "0"),
            ]),
        )
        .unwrap();
        assert_eq!(c.notifier.settings().sweep.withdrawal.after_misses, 2);
        assert_eq!(c.notifier.settings().sweep.withdrawal.grace, Duration::ZERO);
        let err = format!(
            "{:#}",
            Config::from_toml(
                SHIPPED,
                env(&[("GOVWIRE__NOTIFIER__WITHDRAW_AFTER_MISSES", "0")])
            )
            .unwrap_err()
        );
        assert!(err.contains("notifier.withdraw_after_misses"), "{err}");
    }

    #[test]
    fn the_crawler_keys_reach_the_crawler_options() {
        let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
        let shipped = c.crawler.options(None, None);
        let builtin = govwire_crawler::CrawlerOptions::new("x");
        assert_eq!(shipped.revisit_min_interval, builtin.revisit_min_interval);
        assert_eq!(shipped.lease_ttl, builtin.lease_ttl);
        assert_eq!(shipped.block_backoff, builtin.block_backoff);
        assert_eq!(shipped.max_attachments, builtin.max_attachments);
        assert!(
            shipped
                .instance_id
                .contains(&std::process::id().to_string()),
            "{}",
            shipped.instance_id
        );

        let c = Config::from_toml(
            SHIPPED,
            env(&[
                ("GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS", "60"),
                ("GOVWIRE__CRAWLER__REVISIT_BATCH", "7"),
                ("GOVWIRE__CRAWLER__BACKOFF_BASE_MS", "250"),
                ("GOVWIRE__CRAWLER__BACKOFF_CAP_SECS", "9"),
                ("GOVWIRE__CRAWLER__MAX_INLINE_WAIT_SECS", "11"),
                ("GOVWIRE__CRAWLER__REQUEST_TIMEOUT_MS", "1500"),
                ("GOVWIRE__CRAWLER__BLOCK_BACKOFF_SECS", "120"),
                ("GOVWIRE__CRAWLER__FORBIDDEN_STORM", "5"),
                ("GOVWIRE__CRAWLER__MAX_ATTACHMENTS", "0"),
                ("GOVWIRE__CRAWLER__LEASE_TTL_SECS", "90"),
                ("GOVWIRE__CRAWLER__BACKFILL_LEASE_WAIT_SECS", "0"),
                ("GOVWIRE__CRAWLER__INSTANCE_ID", "crawler-2"),
            ]),
        )
        .unwrap();
        let o = c.crawler.options(Some("http://127.0.0.1:1".into()), None);
        assert_eq!(o.base_url_override.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(o.revisit_min_interval, Duration::from_secs(60));
        assert_eq!(o.revisit_interval, Duration::from_secs(86_400));
        assert_eq!(o.revisit_batch, 7);
        assert_eq!(o.backoff_base, Duration::from_millis(250));
        assert_eq!(o.backoff_cap, Duration::from_secs(9));
        assert_eq!(o.max_inline_wait, Duration::from_secs(11));
        assert_eq!(o.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(o.block_backoff, Duration::from_secs(120));
        assert_eq!(o.forbidden_storm, 5);
        assert_eq!(o.max_attachments, 0);
        assert_eq!(o.lease_ttl, Duration::from_secs(90));
        assert_eq!(o.backfill_lease_wait, Duration::ZERO);
        assert_eq!(o.instance_id, "crawler-2");
        assert_eq!(
            c.crawler.options(None, Some("backfill")).instance_id,
            "crawler-2-backfill",
            "a backfill never shares the live crawler's lease name"
        );
    }

    #[test]
    fn an_unusable_crawler_setting_stops_start_up_naming_the_key() {
        for (var, value, key) in [
            (
                "GOVWIRE__CRAWLER__LEASE_TTL_SECS",
                "0",
                "crawler.lease_ttl_secs",
            ),
            (
                "GOVWIRE__CRAWLER__LEASE_TTL_SECS",
                "2",
                "crawler.lease_ttl_secs",
            ),
            (
                "GOVWIRE__CRAWLER__FORBIDDEN_STORM",
                "0",
                "crawler.forbidden_storm",
            ),
            (
                "GOVWIRE__CRAWLER__REVISIT_BATCH",
                "0",
                "crawler.revisit_batch",
            ),
            (
                "GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS",
                "90000",
                "crawler.revisit_min_interval_secs",
            ),
            (
                "GOVWIRE__CRAWLER__BACKOFF_BASE_MS",
                "400000",
                "crawler.backoff_base_ms",
            ),
            (
                "GOVWIRE__CRAWLER__REQUEST_TIMEOUT_MS",
                "0",
                "crawler.request_timeout_ms",
            ),
            (
                "GOVWIRE__CRAWLER__INSTANCE_ID",
                "\"a b\"",
                "crawler.instance_id",
            ),
            (
                "GOVWIRE__CRAWLER__MAX_ATTACHMENTS",
                "-1",
                "crawler.max_attachments",
            ),
            ("GOVWIRE__CRAWLER__LEASE_TTL", "60", "lease_ttl"),
        ] {
            let err = match Config::from_toml(SHIPPED, env(&[(var, value)])) {
                Ok(_) => panic!("{var}={value} was accepted"),
                Err(e) => format!("{e:#}"),
            };
            assert!(err.contains(key), "{var}={value}: {err}");
        }
    }

    #[test]
    fn passwords_never_reach_debug_output() {
        let c = Config::from_toml(
            SHIPPED,
            env(&[
                ("GOVWIRE__AMQP__URL", "amqp://u:amqp-s3cret@h:5672/%2f"),
                ("GOVWIRE__STORE__URL", "postgres://u:db-s3cret@h/db"),
            ]),
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("amqp-s3cret") && !debug.contains("db-s3cret"),
            "{debug}"
        );
    }

    #[test]
    fn the_shipped_profiles_load_and_validate() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            load_profile(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
        }
    }

    #[test]
    fn a_profile_with_an_unknown_key_is_refused_naming_it() {
        let dir = std::env::temp_dir().join(format!("govwire-profile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("bad.toml");
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals/shpt.toml"),
        )
        .unwrap()
        .replace(
            "max_pages = 20\noverlap_pages = 0",
            "max_pages = 20\noverlap_pagez = 0",
        );
        std::fs::write(&path, text).unwrap();
        let err = format!("{:#}", load_profile(&path).unwrap_err());
        assert!(err.contains("overlap_pagez"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
