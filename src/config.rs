//! Configuration: the file [`find_config`] finds (`--config`,
//! `GOVWIRE_CONFIG`, `./config/govwire.toml`, `/etc/govwire/govwire.toml`),
//! then environment overrides
//! `GOVWIRE__<SECTION>__<KEY>`, then command-line flags. Unknown keys and
//! invalid values stop start-up with a message naming them; secrets are
//! wrapped so `Debug` cannot print them.
//!
//! Each crate owns its section: its type, defaults, doc comments and checks
//! ([`AmqpConfig`] in the bus, [`CrawlerConfig`] in the crawler,
//! [`NotifierConfig`] in the notifier, [`ArchiveConfig`] in the archive,
//! [`AlertsConfig`] in alerts, which also reads `alerts.toml` beside the
//! file, [`AnalyticsConfig`] in analytics).
//! This module composes them with `[log]` and `[store]`, applies the
//! overrides, checks what spans sections, and loads portal profiles. Every
//! key has a default, so a file needs only the keys it changes; the shipped
//! `config/govwire.toml` lists every key at its default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use govwire_bus::BusConfig;
use govwire_model::PortalProfile;

pub use govwire_alerts::AlertsConfig;
pub use govwire_analytics::AnalyticsConfig;
pub use govwire_archive::ArchiveConfig;
pub use govwire_bus::AmqpConfig;
pub use govwire_crawler::CrawlerConfig;
pub use govwire_notifier::NotifierConfig;

/// Prefix of environment overrides: `GOVWIRE__AMQP__URL`.
pub const ENV_PREFIX: &str = "GOVWIRE__";

/// Keys that take one value or a list of them (`amqp.url`: one broker, or
/// a cluster's nodes). An override of one of them holding commas, or
/// written as a TOML list, sets a list; a URL that needs a comma writes it
/// as `%2C`.
const ONE_OR_A_LIST: &[&str] = &["amqp.url"];

/// The whole configuration, one field per section of the file. Serializing
/// it writes every key at its value, secrets redacted.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[log]`: how log lines look and which are written.
    pub log: LogConfig,
    /// `[amqp]`: the broker.
    pub amqp: AmqpConfig,
    /// `[store]`: the state and archive database.
    pub store: StoreConfig,
    /// `[crawler]`: the crawler, beyond each portal's profile.
    pub crawler: CrawlerConfig,
    /// `[notifier]`: the notifier's outbox relay and sweep.
    pub notifier: NotifierConfig,
    /// `[archive]`: the archive subscriber and its read API.
    pub archive: ArchiveConfig,
    /// `[alerts]`: the alerts subscriber's rules and sinks.
    pub alerts: AlertsConfig,
    /// `[analytics]`: the analytics subscriber and its report.
    pub analytics: AnalyticsConfig,
    /// `[telemetry]`: the health and metrics listener of each process.
    pub telemetry: TelemetryConfig,
}

/// `[telemetry]`: where each govwire process serves `/livez`, `/readyz`
/// and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// Address of `govwire all`'s listener. A daemon run alone listens on
    /// the same host at this port plus its offset (crawler 1, parser 2,
    /// notifier 3, archive 4, alerts 5, analytics 6), so the daemons of one
    /// machine never collide; port 0 takes any free port. Default
    /// `127.0.0.1:9470`: reachable from the host only.
    pub listen: std::net::SocketAddr,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 9470)),
        }
    }
}

/// `[log]`, read by [`crate::telemetry`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// How log lines look. Default `auto`.
    pub format: LogFormat,
    /// Filter in `RUST_LOG` syntax; `RUST_LOG`, when set, wins. Default
    /// `info`.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable on a terminal, JSON lines otherwise.
    Auto,
    /// One JSON object per line.
    Json,
    /// Readable lines.
    Pretty,
}

/// `[store]`: where crawl state, replies, the outbox and (unless
/// `archive.store_url` names another) the archive live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `sqlite://…` or `postgres://…`, which may hold a password; serialized
    /// redacted. Default `sqlite://var/govwire.db`, relative to the working
    /// directory.
    #[serde(serialize_with = "govwire_store::serialize_redacted_url")]
    pub url: SecretString,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://var/govwire.db"),
        }
    }
}

impl StoreConfig {
    /// Checks the URL's scheme; the error names `store.url`, never the URL.
    fn validate(&self) -> Result<()> {
        let store = self.url.expose_secret();
        if !(store.starts_with("sqlite:")
            || store.starts_with("postgres://")
            || store.starts_with("postgresql://"))
        {
            bail!("configuration key `store.url`: must start with sqlite:, postgres:// or postgresql://");
        }
        Ok(())
    }
}

impl Config {
    /// Reads `path`, applies the environment overrides in `env`, validates.
    pub fn load(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        let mut config =
            Self::from_toml(&text, env).with_context(|| format!("in {}", path.display()))?;
        let dir = config_dir(path);
        if let Some(file) = config
            .alerts
            .load_rules_file(dir)
            .map_err(anyhow::Error::msg)?
        {
            config
                .alerts
                .validate()
                .with_context(|| format!("in {} with {}", path.display(), file.display()))?;
        }
        Ok(config)
    }

    /// Parses configuration text and applies environment overrides. Keys
    /// the text leaves out keep their defaults.
    pub fn from_toml(
        text: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config> {
        let mut value: toml::Value = toml::from_str(text).context("the file is not valid TOML")?;
        let overridden = apply_env_overrides(&mut value, env)?;
        // Where a key's value came from: the variable that set it, or its
        // line in the file.
        let origin = |key: &str| match overridden.get(key) {
            Some(var) => format!(" (set by {var})"),
            None => key_line(text, key).map_or_else(String::new, |line| format!(" (line {line})")),
        };
        let config: Config = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let origin = origin(&path);
            anyhow::anyhow!(
                "configuration key `{path}`{origin}: {}",
                in_words(&e.into_inner().to_string())
            )
        })?;
        config.validate().map_err(|e| {
            match e.downcast_ref::<govwire_model::settings::ConfigError>() {
                Some(govwire_model::settings::ConfigError { key, message }) => {
                    anyhow::anyhow!("configuration key `{key}`{}: {message}", origin(key))
                }
                None => e,
            }
        })?;
        Ok(config)
    }

    /// Each section's own checks, in the order of the file.
    fn validate(&self) -> Result<()> {
        self.amqp.validate()?;
        self.store.validate()?;
        self.crawler.validate()?;
        self.notifier.validate()?;
        self.alerts.validate()?;
        Ok(())
    }

    /// The broker settings as the bus crate takes them.
    pub fn bus(&self) -> BusConfig {
        self.amqp.bus_config()
    }

    /// The archive's database URL (its own, or the shared store's).
    pub fn archive_store_url(&self) -> SecretString {
        if self.archive.store_url.expose_secret().is_empty() {
            self.store.url.clone()
        } else {
            self.archive.store_url.clone()
        }
    }

    /// The alerts subscriber's database URL (its own, or the shared
    /// store's).
    pub fn alerts_store_url(&self) -> SecretString {
        if self.alerts.store_url.expose_secret().is_empty() {
            self.store.url.clone()
        } else {
            self.alerts.store_url.clone()
        }
    }

    /// The analytics subscriber's database URL (its own, or the shared
    /// store's).
    pub fn analytics_store_url(&self) -> SecretString {
        if self.analytics.store_url.expose_secret().is_empty() {
            self.store.url.clone()
        } else {
            self.analytics.store_url.clone()
        }
    }

    /// Settings that work but should be changed before govwire polls a real
    /// portal, in words for the operator.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.crawler.user_agent == CrawlerConfig::default().user_agent
            || self.crawler.user_agent.contains("operator: unset")
        {
            warnings.push(format!(
                "crawler.user_agent is the placeholder `{}`: set it to name your \
                 organisation and a contact (a URL or mailto:), so a portal's operator \
                 can reach you before blocking you",
                self.crawler.user_agent
            ));
        }
        warnings
    }

    /// Every distinct store the daemons use, with who uses it: the shared
    /// store, and the archive's, alerts' and analytics' own when they have
    /// one.
    pub fn store_urls(&self) -> Vec<(&'static str, SecretString)> {
        let mut stores: Vec<(&'static str, SecretString)> = vec![("the", self.store.url.clone())];
        for (what, url) in [
            ("the archive's", self.archive_store_url()),
            ("alerts'", self.alerts_store_url()),
            ("analytics'", self.analytics_store_url()),
        ] {
            if stores
                .iter()
                .all(|(_, u)| u.expose_secret() != url.expose_secret())
            {
                stores.push((what, url));
            }
        }
        stores
    }

    /// The directory of portal profiles: `crawler.portals_dir`, relative to
    /// `config_dir` (the configuration file's own directory) unless
    /// absolute.
    pub fn portals_dir(&self, config_dir: &Path) -> PathBuf {
        if self.crawler.portals_dir.is_absolute() {
            self.crawler.portals_dir.clone()
        } else {
            config_dir.join(&self.crawler.portals_dir)
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
        let dir = self.portals_dir(config_dir);
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

/// The configuration file in the working directory's `config/`, as a
/// checkout or an unpacked release has it.
pub const LOCAL_CONFIG: &str = "config/govwire.toml";

/// The configuration file of an installed govwire (`make install`).
pub const SYSTEM_CONFIG: &str = "/etc/govwire/govwire.toml";

/// How the configuration file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    /// Named by `--config`.
    Flag,
    /// Named by the `GOVWIRE_CONFIG` environment variable.
    Env,
    /// [`LOCAL_CONFIG`], in the working directory.
    WorkingDirectory,
    /// [`SYSTEM_CONFIG`].
    System,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConfigSource::Flag => "named by --config",
            ConfigSource::Env => "named by GOVWIRE_CONFIG",
            ConfigSource::WorkingDirectory => "found in the working directory",
            ConfigSource::System => "found in /etc/govwire",
        })
    }
}

/// Finds the configuration file: the path `--config` names, else the one
/// `GOVWIRE_CONFIG` names, else [`LOCAL_CONFIG`] if it exists, else
/// [`SYSTEM_CONFIG`] if it exists. A path named by the flag or the variable
/// is taken as it is (reading it says if it is missing). `exists` tells
/// whether a file exists.
pub fn find_config(
    flag: Option<&Path>,
    env: Option<&std::ffi::OsStr>,
    exists: impl Fn(&Path) -> bool,
) -> Result<(PathBuf, ConfigSource)> {
    if let Some(path) = flag {
        return Ok((path.to_path_buf(), ConfigSource::Flag));
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(path), ConfigSource::Env));
    }
    for (path, source) in [
        (LOCAL_CONFIG, ConfigSource::WorkingDirectory),
        (SYSTEM_CONFIG, ConfigSource::System),
    ] {
        if exists(Path::new(path)) {
            return Ok((PathBuf::from(path), source));
        }
    }
    bail!(
        "no configuration file: --config and GOVWIRE_CONFIG name none, and neither \
         ./{LOCAL_CONFIG} nor {SYSTEM_CONFIG} exists; name one with --config FILE \
         (the release's config/govwire.toml lists every key at its default)"
    )
}

/// The directory of the configuration file at `path`, which relative paths
/// in it (`crawler.portals_dir`, `alerts.rules_file`) start from.
pub fn config_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
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
/// array), or of its default when the file leaves the key out; keys with
/// neither (unset by default, or unknown) are read as TOML literals when
/// they parse as one, else as strings. A key of [`ONE_OR_A_LIST`] takes a
/// list when the value holds commas (or is a TOML list), else one value.
/// Applies the `GOVWIRE__<SECTION>__<KEY>` variables of `env` to `root`;
/// returns, for each key set, the variable that set it.
fn apply_env_overrides(
    root: &mut toml::Value,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeMap<String, String>> {
    let mut overridden = BTreeMap::new();
    let defaults =
        toml::Value::try_from(Config::default()).context("the defaults are not a TOML table")?;
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
        let template = table.get(&leaf).or_else(|| {
            path.iter()
                .try_fold(&defaults, |value, part| value.get(part.as_str()))
        });
        let value = match template {
            Some(toml::Value::String(_) | toml::Value::Array(_))
                if ONE_OR_A_LIST.contains(&dotted.as_str()) =>
            {
                one_or_a_list(&raw)
            }
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
        overridden.insert(dotted, key);
    }
    Ok(overridden)
}

/// The line (from 1) of `text` that sets `key` (`amqp.prefetch`): the
/// first `prefetch = …` line under the `[amqp]` header. Indices of arrays
/// of tables (`alerts.rules[0].name`) are ignored.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let key: String = key
        .split('.')
        .map(|part| part.split('[').next().unwrap_or(part))
        .collect::<Vec<_>>()
        .join(".");
    let mut section = String::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            section = header
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .to_owned();
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim().trim_matches('"');
        if line.starts_with('#') || name.is_empty() {
            continue;
        }
        let full = if section.is_empty() {
            name.to_owned()
        } else {
            format!("{section}.{name}")
        };
        if full == key {
            return Some(n + 1);
        }
    }
    None
}

/// A deserializer's complaint in words an operator knows: what kind of
/// value the key wants (`a whole number from 0 to 65535`, not `u16`) and
/// what it got.
fn in_words(message: &str) -> String {
    const WANTED: [(&str, &str); 13] = [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected a string", "expected a text in quotes"),
        ("expected a sequence", "expected a list, as [\"a\", \"b\"]"),
        ("expected a map", "expected a section (a table)"),
    ];
    // The TOML deserializer adds the key's path on lines of its own; the
    // caller names the key already.
    let mut text = message
        .lines()
        .filter(|line| !line.starts_with("in `"))
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned();
    if let Some((_, rest)) = text.split_once("invalid type: ") {
        if let Some((got, wanted)) = rest.split_once(", expected ") {
            let got = match got.split_once(' ') {
                Some(("string", value)) => format!("got the text {value}"),
                Some(("integer" | "floating", value)) => {
                    format!("got the number {}", value.trim_matches('`'))
                }
                Some(("boolean", value)) => format!("got {}", value.trim_matches('`')),
                _ => format!("got {got}"),
            };
            text = format!("expected {wanted}; {got}");
        }
    } else if let Some((_, rest)) = text.split_once("invalid value: ") {
        if let Some((got, wanted)) = rest.split_once(", expected ") {
            let got = got
                .split_once(' ')
                .map_or(got, |(_, value)| value)
                .trim_matches('`');
            text = format!("expected {wanted}; got {got}");
        }
    }
    for (rust, words) in WANTED {
        if text.starts_with(rust) && !text[rust.len()..].starts_with(|c: char| c.is_alphanumeric())
        {
            text = format!("{words}{}", &text[rust.len()..]);
        }
    }
    text
}

/// The value of an override of a key that takes one value or a list: a
/// TOML list as written, else the parts between commas (trimmed, empty
/// ones dropped) when there are commas, else the text as it is.
fn one_or_a_list(raw: &str) -> toml::Value {
    if let Some(list) = parse_literal(raw).filter(toml::Value::is_array) {
        return list;
    }
    if !raw.contains(',') {
        return toml::Value::String(raw.to_owned());
    }
    toml::Value::Array(
        raw.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| toml::Value::String(part.to_owned()))
            .collect(),
    )
}

fn parse_literal(raw: &str) -> Option<toml::Value> {
    let doc: toml::Table = toml::from_str(&format!("v = {raw}")).ok()?;
    doc.get("v").cloned()
}
