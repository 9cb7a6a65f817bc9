//! robots.txt per origin: fetched when first needed, kept for a day (ten
//! minutes when it could not be read, during which everything is
//! disallowed), its `Crawl-delay` handed to the fetcher's pacing.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use super::Crawler;
use crate::error::{Chain, FetchError};
use crate::http::{FetchRequest, Tally};
use crate::robots::RobotsPolicy;
use crate::sink::PageSink;

/// How long a robots.txt is trusted before it is fetched again.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long an unreadable robots.txt (5xx, unreachable) blocks the portal
/// before it is tried again: long enough not to hammer a struggling server,
/// short enough that one outage does not cost a day of polls.
const ROBOTS_ERROR_TTL: Duration = Duration::from_secs(600);

/// A robots.txt as read, with its expiry.
#[derive(Debug)]
pub(super) struct CachedRobots {
    /// When it was fetched (or found unreadable).
    fetched: Instant,
    /// How long it is trusted: a day, or ten minutes after an error.
    ttl: Duration,
    /// The rules read.
    policy: Arc<RobotsPolicy>,
}

impl<S: PageSink> Crawler<S> {
    /// The robots.txt policy of `url`'s origin, fetched when not cached or
    /// expired. `None` when cancelled before it could be read.
    pub(super) async fn robots(
        &self,
        url: &Url,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Option<Arc<RobotsPolicy>> {
        let origin = url.origin().ascii_serialization();
        let mut cache = self.robots.lock().await;
        if let Some(cached) = cache.get(&origin) {
            if cached.fetched.elapsed() < cached.ttl {
                return Some(Arc::clone(&cached.policy));
            }
        }
        let robots_url = url.join("/robots.txt").ok()?;
        let request = FetchRequest::get(robots_url.clone(), "text/plain,*/*;q=0.5");
        let (policy, ttl) = match self.fetcher.fetch(request, cancel, tally).await {
            Err(FetchError::Cancelled) => return None,
            Err(error) => {
                warn!(error = %Chain(&error), url = %robots_url, retry_in_secs = ROBOTS_ERROR_TTL.as_secs(), "Could not fetch robots.txt; nothing is fetched from this portal until it can be.");
                (
                    RobotsPolicy::Unreadable(error.to_string()),
                    ROBOTS_ERROR_TTL,
                )
            }
            Ok(response) if response.status.is_success() => {
                let text = String::from_utf8_lossy(&response.body);
                (RobotsPolicy::parse(&text, &self.robots_token), ROBOTS_TTL)
            }
            Ok(response)
                if response.status.is_client_error()
                    && response.status != StatusCode::TOO_MANY_REQUESTS =>
            {
                debug!(url = %robots_url, status = response.status.as_u16(), "No robots.txt; everything is allowed.");
                (RobotsPolicy::AllowAll, ROBOTS_TTL)
            }
            Ok(response) => {
                warn!(url = %robots_url, status = response.status.as_u16(), retry_in_secs = ROBOTS_ERROR_TTL.as_secs(), "robots.txt is unavailable; nothing is fetched from this portal until it can be read.");
                let reason = format!("{robots_url} answered HTTP {}", response.status.as_u16());
                (RobotsPolicy::Unreadable(reason), ROBOTS_ERROR_TTL)
            }
        };
        // Set every time, so a Crawl-delay the portal dropped stops applying.
        let crawl_delay = policy.crawl_delay().unwrap_or(Duration::ZERO);
        if !crawl_delay.is_zero() {
            info!(url = %robots_url, crawl_delay_ms = u64::try_from(crawl_delay.as_millis()).unwrap_or(u64::MAX), "robots.txt asks for a crawl delay.");
        }
        self.fetcher.set_crawl_delay(url, crawl_delay).await;
        let policy = Arc::new(policy);
        cache.insert(
            origin,
            CachedRobots {
                fetched: Instant::now(),
                ttl,
                policy: Arc::clone(&policy),
            },
        );
        Some(policy)
    }
}
