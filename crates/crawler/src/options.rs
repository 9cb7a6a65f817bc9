//! What the operator sets for a crawler beyond the portal profile.

use std::time::Duration;

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
    /// How long after a fetch a known item is fetched again to catch silent
    /// edits and withdrawals.
    pub revisit_interval: Duration,
    /// Overrides the profile's `politeness.poll_interval_secs`.
    pub poll_interval: Option<Duration>,
    /// Most items revisited in one round, so revisits never starve polls.
    pub revisit_batch: u32,
    /// First step of the exponential back-off after an error from a host.
    pub backoff_base: Duration,
    /// Longest back-off after repeated errors from a host.
    pub backoff_cap: Duration,
}

impl CrawlerOptions {
    /// Options with production defaults: the profile's pacing, a revisit
    /// every day, 50 items per revisit round, back-off from 2 s up to 5 min.
    pub fn new(user_agent: impl Into<String>) -> Self {
        Self {
            base_url_override: None,
            user_agent: user_agent.into(),
            min_delay: None,
            revisit_interval: Duration::from_secs(24 * 3600),
            poll_interval: None,
            revisit_batch: 50,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
        }
    }
}
