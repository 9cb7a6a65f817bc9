//! What the operator sets for a crawler beyond the portal profile: the
//! `[crawler]` section of `govwire.toml` ([`CrawlerConfig`], in the file's
//! units, with its defaults and their checks) and the options a crawler runs
//! with ([`CrawlerOptions`]), made from it.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::error::CrawlError;

/// The `[crawler]` section of `govwire.toml`: the keys as the operator
/// writes them (seconds in `_secs` keys, milliseconds in `_ms` keys). Every
/// key has a default, the value the shipped file documents; a key whose
/// default is unset (`None`) leaves the portal profile's own value in force.
/// [`CrawlerConfig::options`] turns it into the [`CrawlerOptions`] a crawler
/// runs with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrawlerConfig {
    /// Directory of portal profiles (`<id>.toml`), relative to the directory
    /// of the configuration file unless absolute (`portals` beside
    /// `/etc/govwire/govwire.toml` is `/etc/govwire/portals`). Default
    /// `portals`.
    pub portals_dir: PathBuf,
    /// Profiles to poll, by id; at least one. Default `["shpt"]`.
    pub portals: Vec<String>,
    /// Sent with every request: [`CrawlerOptions::user_agent`]. The default
    /// says the operator is unset; a deployment names itself here.
    pub user_agent: String,
    /// Longest time between two revisits of a known page (seconds):
    /// [`CrawlerOptions::revisit_interval`]. Default one day.
    pub revisit_interval_secs: u64,
    /// Overrides every profile's `politeness.min_delay_ms` when set
    /// (milliseconds): [`CrawlerOptions::min_delay`].
    pub min_delay_ms: Option<u64>,
    /// Overrides every profile's `politeness.concurrency` when set (requests
    /// to one host in flight at once, 1 to 64):
    /// [`CrawlerOptions::concurrency`].
    pub concurrency: Option<u32>,
    /// Overrides every profile's `politeness.poll_interval_secs` when set:
    /// [`CrawlerOptions::poll_interval`].
    pub poll_interval_secs: Option<u64>,
    /// Shortest time between two revisits of a known page (seconds), and how
    /// soon a page found gone is looked at again:
    /// [`CrawlerOptions::revisit_min_interval`]. At most
    /// `revisit_interval_secs`. Default one hour.
    pub revisit_min_interval_secs: u64,
    /// Most known pages revisited in one round, so revisits never starve
    /// polls: [`CrawlerOptions::revisit_batch`]. Default 50.
    pub revisit_batch: u32,
    /// First step of the back-off after an error from a host (milliseconds):
    /// [`CrawlerOptions::backoff_base`]. Default 2 s.
    pub backoff_base_ms: u64,
    /// Longest back-off after repeated errors from a host (seconds):
    /// [`CrawlerOptions::backoff_cap`]. Default 5 min.
    pub backoff_cap_secs: u64,
    /// Longest wait for a host inside one request (seconds); a longer one
    /// fails the request and the next poll tries again:
    /// [`CrawlerOptions::max_inline_wait`]. Default 5 min.
    pub max_inline_wait_secs: u64,
    /// Overrides every profile's total request timeout when set
    /// (milliseconds): [`CrawlerOptions::request_timeout`].
    pub request_timeout_ms: Option<u64>,
    /// How long a whole host is left alone after it served a WAF or captcha
    /// page or a storm of 403s (seconds): [`CrawlerOptions::block_backoff`].
    /// Default 30 min.
    pub block_backoff_secs: u64,
    /// 403 answers in a row from one host that count as a block:
    /// [`CrawlerOptions::forbidden_storm`]. Default 3.
    pub forbidden_storm: u32,
    /// Most attachments fetched with one detail page (0: none):
    /// [`CrawlerOptions::max_attachments`]. Default 10.
    pub max_attachments: usize,
    /// How long a section lease holds without renewal (seconds); an instance
    /// that dies loses its sections to the others after this:
    /// [`CrawlerOptions::lease_ttl`]. Default 10 min.
    pub lease_ttl_secs: u64,
    /// How long `govwire backfill` waits for a section another instance is
    /// polling before it gives up naming that instance (seconds):
    /// [`CrawlerOptions::backfill_lease_wait`]. Default 10 min.
    pub backfill_lease_wait_secs: u64,
    /// This instance's name in section leases: [`CrawlerOptions::instance_id`].
    /// Unset: host name, process id and a random suffix. Must differ between
    /// running instances.
    pub instance_id: Option<String>,
}

impl Default for CrawlerConfig {
    /// The shipped defaults: the profile's pacing, revisits between one hour
    /// and one day apart depending on age, 50 items per revisit round,
    /// back-off from 2 s up to 5 min, 30 min off a host that blocks us, at
    /// most 10 attachments per page, 10 min section leases, a backfill
    /// waiting up to 10 min for a section another instance polls.
    fn default() -> Self {
        Self {
            portals_dir: PathBuf::from("portals"),
            portals: vec!["shpt".to_owned()],
            user_agent: "govwire/0.1 (+https://github.com/govwire/govwire; operator: unset)"
                .to_owned(),
            revisit_interval_secs: 24 * 3600,
            min_delay_ms: None,
            concurrency: None,
            poll_interval_secs: None,
            revisit_min_interval_secs: 3600,
            revisit_batch: 50,
            backoff_base_ms: 2000,
            backoff_cap_secs: 300,
            max_inline_wait_secs: 300,
            request_timeout_ms: None,
            block_backoff_secs: 1800,
            forbidden_storm: 3,
            max_attachments: 10,
            lease_ttl_secs: 600,
            backfill_lease_wait_secs: 600,
            instance_id: None,
        }
    }
}

impl CrawlerConfig {
    /// The crawler's options for one portal, `base_url` overriding its
    /// profile's. `role` names a second kind of process sharing the leases
    /// (`backfill`), so a configured `instance_id` never makes a backfill
    /// look like the live crawler of the same name.
    pub fn options(&self, base_url: Option<String>, role: Option<&str>) -> CrawlerOptions {
        let mut instance_id = self.instance_id.clone().unwrap_or_else(default_instance_id);
        if let Some(role) = role {
            instance_id = format!("{instance_id}-{role}");
        }
        CrawlerOptions {
            base_url_override: base_url,
            user_agent: self.user_agent.clone(),
            min_delay: self.min_delay_ms.map(Duration::from_millis),
            concurrency: self.concurrency,
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
            instance_id,
            lease_ttl: Duration::from_secs(self.lease_ttl_secs),
            backfill_lease_wait: Duration::from_secs(self.backfill_lease_wait_secs),
        }
    }

    /// Checks what serde cannot: values a crawler cannot run with, and keys
    /// that contradict each other. The error names the key as
    /// `crawler.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |key: &'static str, message: String| Err(ConfigError { key, message });
        if self.portals.is_empty() {
            return err("crawler.portals", "name at least one portal profile".into());
        }
        if self.user_agent.trim().is_empty() {
            return err("crawler.user_agent", "must not be empty".into());
        }
        if let Some(concurrency) = self.concurrency {
            let most = govwire_model::profile::MAX_CONCURRENCY;
            if !(1..=most).contains(&concurrency) {
                return err(
                    "crawler.concurrency",
                    format!("must be a whole number from 1 to {most}, not {concurrency}"),
                );
            }
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
                return err(key, "must be at least 1".into());
            }
        }
        if self.revisit_min_interval_secs > self.revisit_interval_secs {
            return err(
                "crawler.revisit_min_interval_secs",
                format!(
                    "{} is longer than `crawler.revisit_interval_secs` ({})",
                    self.revisit_min_interval_secs, self.revisit_interval_secs
                ),
            );
        }
        if self.backoff_base_ms > self.backoff_cap_secs.saturating_mul(1000) {
            return err(
                "crawler.backoff_base_ms",
                format!(
                    "{} ms is longer than `crawler.backoff_cap_secs` ({} s)",
                    self.backoff_base_ms, self.backoff_cap_secs
                ),
            );
        }
        if self.request_timeout_ms == Some(0) {
            return err(
                "crawler.request_timeout_ms",
                "must be at least 1 when set".into(),
            );
        }
        if self.lease_ttl_secs < 3 {
            return err(
                "crawler.lease_ttl_secs",
                "must be at least 3 (the lease is renewed every third of it)".into(),
            );
        }
        if let Some(id) = &self.instance_id {
            if id.trim().is_empty() || id.chars().any(char::is_whitespace) || id.len() > 200 {
                return err(
                    "crawler.instance_id",
                    "must be a non-empty name without spaces, at most 200 bytes".into(),
                );
            }
        }
        Ok(())
    }
}

/// A configuration value that cannot be run with, naming its key.
pub use govwire_model::settings::ConfigError;

/// Settings of one crawler that belong to the deployment rather than to the
/// portal: who we are, where the portal is reached, how often to look again.
#[derive(Debug, Clone)]
pub struct CrawlerOptions {
    /// Replaces the profile's `base_url`, so one profile serves the real site
    /// and the fixture portal. Its host and port are allowed even when they
    /// are loopback or private; absolute URLs on the profile's own host are
    /// moved onto it.
    pub base_url_override: Option<String>,
    /// The `User-Agent` header. It names the operator so a portal's
    /// webmaster can reach them: `govwire/0.1 (+mailto:ops@example.org)`. Its
    /// first token (`govwire`) is the name matched in robots.txt.
    pub user_agent: String,
    /// Overrides the profile's `politeness.min_delay_ms` (tests use a few
    /// milliseconds; production leaves it `None`).
    pub min_delay: Option<Duration>,
    /// Overrides the profile's `politeness.concurrency`.
    pub concurrency: Option<u32>,
    /// The longest time between two visits of a known item: old replies that
    /// have not changed for long are still looked at this often, so a silent
    /// edit or a withdrawal is noticed within it. Revisits adapt between
    /// [`CrawlerOptions::revisit_min_interval`] and this bound: young and
    /// recently changed items are looked at more often.
    pub revisit_interval: Duration,
    /// The shortest time between two visits of a known item (a page that
    /// just appeared or just changed), and how soon a page found gone is
    /// looked at again to confirm it. Capped at `revisit_interval`.
    pub revisit_min_interval: Duration,
    /// Overrides the profile's `politeness.poll_interval_secs`.
    pub poll_interval: Option<Duration>,
    /// Most items revisited in one round, so revisits never starve polls.
    pub revisit_batch: u32,
    /// First step of the exponential back-off after an error from a host.
    pub backoff_base: Duration,
    /// Longest back-off after repeated errors from a host.
    pub backoff_cap: Duration,
    /// Longest wait for a host inline (its minimum delay, a `Retry-After`,
    /// a back-off). A longer wait fails the request at once with
    /// `FetchError::BackingOff` and the next poll tries again, so no caller
    /// blocks for an unbounded time.
    pub max_inline_wait: Duration,
    /// Overrides the profile's `politeness.request_timeout_secs` (the total
    /// time one request may take, body included), for sub-second timeouts.
    pub request_timeout: Option<Duration>,
    /// How long the whole host is left alone after it served a WAF or
    /// captcha page, or a storm of 403s: being blocked means we pressed too
    /// hard, and pressing on gets the operator's address banned.
    pub block_backoff: Duration,
    /// How many 403 answers in a row from one host count as a block (one 403
    /// is an ordinary error on one page).
    pub forbidden_storm: u32,
    /// Most attachments fetched with one detail page; links beyond are
    /// listed with an error instead, so one page cannot make the crawler
    /// download a whole file archive.
    pub max_attachments: usize,
    /// Identifies this crawler instance in section leases. Unique per
    /// running process: several instances on one database share sections by
    /// it.
    pub instance_id: String,
    /// How long a section lease holds without renewal. A running poll
    /// renews it every third of this; an instance that dies loses its
    /// sections to the others once it expires.
    pub lease_ttl: Duration,
    /// How long a backfill waits for a section whose lease another instance
    /// holds (a live poll usually gives it back within minutes) before it
    /// refuses with `CrawlError::SectionLeased`. Zero refuses at once.
    pub backfill_lease_wait: Duration,
}

impl CrawlerOptions {
    /// Options with the defaults of [`CrawlerConfig`] (the shipped
    /// `[crawler]` section) and `user_agent`.
    pub fn new(user_agent: impl Into<String>) -> Self {
        CrawlerConfig {
            user_agent: user_agent.into(),
            ..CrawlerConfig::default()
        }
        .options(None, None)
    }
}

impl CrawlerOptions {
    /// The user agent, trimmed, once it is known to be a usable header value.
    pub(crate) fn checked_user_agent(&self) -> Result<&str, CrawlError> {
        let user_agent = self.user_agent.trim();
        if user_agent.is_empty() || HeaderValue::from_str(user_agent).is_err() {
            return Err(CrawlError::Options(
                "user_agent must be a non-empty header value naming the operator".into(),
            ));
        }
        Ok(user_agent)
    }
}

/// `<host>-<pid>-<random>`: readable in the lease table, unique even for two
/// processes that reuse a pid on one host after a restart.
fn default_instance_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let salt: u32 = rand::random();
    format!("{host}-{}-{salt:08x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_usable_and_are_those_of_new() {
        let config = CrawlerConfig::default();
        assert_eq!(config.validate(), Ok(()));
        let from_config = config.options(None, None);
        let new = CrawlerOptions::new(config.user_agent.clone());
        assert_eq!(from_config.revisit_interval, Duration::from_secs(86_400));
        assert_eq!(new.revisit_interval, from_config.revisit_interval);
        assert_eq!(new.backoff_base, Duration::from_secs(2));
        assert_eq!(new.lease_ttl, from_config.lease_ttl);
        assert_eq!(new.min_delay, None);
    }

    #[test]
    fn a_role_is_appended_to_the_configured_instance_id() {
        let config = CrawlerConfig {
            instance_id: Some("crawler-2".into()),
            ..CrawlerConfig::default()
        };
        assert_eq!(
            config.options(None, Some("backfill")).instance_id,
            "crawler-2-backfill"
        );
    }

    #[test]
    fn an_unusable_value_is_refused_naming_its_key() {
        let config = CrawlerConfig {
            revisit_min_interval_secs: 90_000,
            ..CrawlerConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("configuration key `crawler.revisit_min_interval_secs`:"),
            "{err}"
        );
    }

    #[test]
    fn a_concurrency_outside_one_to_sixty_four_is_refused_in_words() {
        for bad in [0, 65] {
            let config = CrawlerConfig {
                concurrency: Some(bad),
                ..CrawlerConfig::default()
            };
            let err = config.validate().unwrap_err().to_string();
            assert!(
                err.starts_with("configuration key `crawler.concurrency`:")
                    && err.contains("a whole number from 1 to 64"),
                "{err}"
            );
        }
        let config = CrawlerConfig {
            concurrency: Some(16),
            ..CrawlerConfig::default()
        };
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.options(None, None).concurrency, Some(16));
    }
}
