//! What the operator sets for a crawler beyond the portal profile.

use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::error::CrawlError;

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
    /// Options with production defaults: the profile's pacing, revisits
    /// between one hour and one day apart depending on age, 50 items per
    /// revisit round, back-off from 2 s up to 5 min, 30 min off a host that
    /// blocks us, at most 10 attachments per page, 10 min section leases, a
    /// backfill waiting up to 10 min for a section another instance polls.
    pub fn new(user_agent: impl Into<String>) -> Self {
        Self {
            base_url_override: None,
            user_agent: user_agent.into(),
            min_delay: None,
            revisit_interval: Duration::from_secs(24 * 3600),
            revisit_min_interval: Duration::from_secs(3600),
            poll_interval: None,
            revisit_batch: 50,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
            max_inline_wait: Duration::from_secs(300),
            request_timeout: None,
            block_backoff: Duration::from_secs(1800),
            forbidden_storm: 3,
            max_attachments: 10,
            instance_id: default_instance_id(),
            lease_ttl: Duration::from_secs(600),
            backfill_lease_wait: Duration::from_secs(600),
        }
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
