//! The crawler: polls sections, fetches new items, revisits known ones.

mod backfill;

pub use backfill::{BackfillProgress, BackfillReport};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use govwire_model::canonical::sha256_hex;
use govwire_model::profile::{HtmlListSection, JsonApiSection, SectionProfile};
use govwire_model::{PortalProfile, RawAttachment, RawPage};
use govwire_retry::{Backoff, LogThrottle};
use govwire_store::{CrawlItem, SectionPollRecord, Store, Validators, REVISITS_LEASE};
use reqwest::{Method, StatusCode};
use tokio::sync::Mutex as AsyncMutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use crate::error::{Chain, CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, FetchSettings, Fetcher, Tally};
use crate::list::{self, HtmlSelectors, ListPage};
use crate::net::AddressGuard;
use crate::options::CrawlerOptions;
use crate::robots::RobotsPolicy;
use crate::schedule::{self, ItemHistory, RevisitBounds};
use crate::sink::PageSink;

/// How long a robots.txt is trusted before it is fetched again.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long an unreadable robots.txt (5xx, unreachable) blocks the portal
/// before it is tried again: long enough not to hammer a struggling server,
/// short enough that one outage does not cost a day of polls.
const ROBOTS_ERROR_TTL: Duration = Duration::from_secs(600);

/// Longest sleep of [`Crawler::run`] between looks at the revisit schedule;
/// items fall due continuously, and asking the store is cheap.
const REVISIT_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// Shortest sleep of [`Crawler::run`] between two looks at the section
/// schedule, so a section that is due but held elsewhere cannot make it spin.
const MIN_SCHEDULE_LOOK: Duration = Duration::from_millis(20);

/// First wait of [`Crawler::run`] after a round in which the store failed
/// (it doubles with each such round in a row, up to [`STORE_RETRY_CAP`]):
/// without it, a store that refuses writes (claims fail at once) made the
/// loop spin, logging hundreds of warnings a second.
const STORE_RETRY_BASE: Duration = Duration::from_millis(500);

/// Longest wait of [`Crawler::run`] between rounds while the store keeps
/// failing: short enough to resume within seconds of it healing.
const STORE_RETRY_CAP: Duration = Duration::from_secs(10);

/// Failed items in a row after which a revisit round stops: the portal is
/// struggling, and the rest of the round would only add to its load.
const REVISIT_FAILURE_LIMIT: u32 = 3;

/// What detail and HTML list requests accept.
pub(crate) const HTML_ACCEPT: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// What attachment requests accept.
pub(crate) const ATTACHMENT_ACCEPT: &str = "application/pdf,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,*/*;q=0.5";

/// Why a poll of a section stopped walking list pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// A page held only known items (and the overlap pages after it were
    /// walked): everything newer has been seen.
    KnownItems,
    /// A page held no items: the list ended.
    EmptyPage,
    /// A page repeated the previous page's items (an API past its end).
    RepeatedPage,
    /// The API's `pageNo` stayed below the page asked for (an API past its
    /// end).
    PageNumberStuck,
    /// The section's `max_pages` were walked.
    MaxPages,
    /// The first list page answered 304: nothing changed since the last poll.
    NotModified,
    /// An HTML list has no further page (no `page_url`, or a 404 past the
    /// end).
    LastPage,
    /// robots.txt disallows the section's list pages.
    DisallowedByRobots,
    /// The poll was cancelled; handled items are recorded.
    Cancelled,
    /// A backfill reached list pages older than its range (lists are newest
    /// first).
    OlderThanRange,
    /// A backfill of this range had already walked the whole list; nothing
    /// was fetched.
    AlreadyComplete,
}

/// What one poll of a section did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollReport {
    /// HTTP requests sent (list pages, detail pages, robots.txt, redirects).
    pub requests: u32,
    /// List pages received and read.
    pub list_pages: u32,
    /// Responses answered 304 Not Modified.
    pub not_modified: u32,
    /// Items not known before this poll that the crawler tried to fetch.
    pub new_items: u32,
    /// Pages handed to the sink.
    pub delivered: u32,
    /// List entries not fetched: on another host, without id or URL, or
    /// disallowed by robots.txt.
    pub skipped: u32,
    /// New items whose page is gone (404/410) already.
    pub missing: u32,
    /// New items that could not be fetched; they are recorded and retried by
    /// the revisits.
    pub failed: u32,
    /// New items refused for their content (not an HTML page, or HTML
    /// nested too deep to be read).
    pub refused: u32,
    /// Entries the list showed over the pages walked (before any were
    /// skipped): zero on a list that used to show entries is the sign of a
    /// layout change.
    pub listed: u32,
    /// Why the walk stopped.
    pub stopped_because: StopReason,
}

impl PollReport {
    fn new() -> Self {
        Self {
            requests: 0,
            list_pages: 0,
            not_modified: 0,
            new_items: 0,
            delivered: 0,
            skipped: 0,
            missing: 0,
            failed: 0,
            refused: 0,
            listed: 0,
            stopped_because: StopReason::MaxPages,
        }
    }
}

/// What one round of revisits did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisitReport {
    /// Items the store said were due (at most the revisit batch).
    pub due: u32,
    /// HTTP requests sent.
    pub requests: u32,
    /// Items fetched again.
    pub visited: u32,
    /// Items answered 304 Not Modified.
    pub not_modified: u32,
    /// Items answered 200 with the bytes already known.
    pub unchanged: u32,
    /// Items whose bytes changed (or were fetched for the first time), handed
    /// to the sink.
    pub delivered: u32,
    /// Items answered 404/410.
    pub missing: u32,
    /// Items that could not be fetched; retried later.
    pub failed: u32,
    /// Items refused for their content (not an HTML page, or HTML nested
    /// too deep to be read).
    pub refused: u32,
    /// Items not fetched: disallowed by robots.txt or with an unusable URL.
    pub skipped: u32,
    /// Whether the round stopped early because it was cancelled or the
    /// portal kept failing.
    pub stopped_early: bool,
}

/// The outcome of fetching one detail page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemOutcome {
    Delivered,
    Refused,
    Unchanged,
    NotModified,
    Missing,
    Failed,
    Cancelled,
}

/// The detail page to fetch and what the list said of it.
#[derive(Debug, Clone)]
struct ItemTarget {
    item_id: String,
    url: Url,
    title: Option<String>,
    published_on: Option<NaiveDate>,
}

/// A robots.txt as read, with its expiry.
#[derive(Debug)]
struct CachedRobots {
    fetched: Instant,
    ttl: Duration,
    policy: Arc<RobotsPolicy>,
}

/// State of one walk over a section's list pages.
#[derive(Debug, Default)]
struct Walk {
    /// Ids met in this poll, so an item that moves between pages while the
    /// list is walked is fetched once.
    seen: HashSet<String>,
    /// Ids of the previous page, to notice an API repeating its last page.
    previous_ids: Option<Vec<String>>,
    /// Pages still to walk after the first page of known items.
    overlap_left: Option<u32>,
    /// The list page being handled.
    page: u32,
    /// The first list page an interrupted walk before this one had not
    /// completely handled: until the walk is there, a page of known items
    /// does not end it (0 when the last walk completed).
    must_reach: u32,
}

impl Walk {
    /// A walk that may end at a page of known items only from page
    /// `must_reach` on.
    fn resuming(must_reach: u32) -> Self {
        Self {
            must_reach,
            ..Self::default()
        }
    }
}

/// Polls a portal's sections and revisits known items. One per portal; all
/// methods take `&self` and may be called from one task at a time or several
/// (requests to a host are serialized and paced either way).
pub struct Crawler<S: PageSink> {
    /// The portal as the profile describes it.
    profile: PortalProfile,
    /// Where relative URLs resolve: the override, or the profile's base URL.
    base_url: Url,
    /// The profile's own base URL; absolute URLs on its host are moved onto
    /// `base_url` when an override is set.
    profile_base: Url,
    /// Crawl state: known items, validators, revisit schedule.
    store: Store,
    /// Where fetched pages go.
    sink: S,
    /// Deployment settings.
    options: CrawlerOptions,
    /// HTTP with politeness and guards.
    fetcher: Fetcher,
    /// Compiled selectors of the HTML list sections, by section id.
    selectors: HashMap<String, HtmlSelectors>,
    /// The profile's `detail.attachments` selector, compiled; `None` when
    /// the profile fetches no attachments.
    attachment_links: Option<scraper::Selector>,
    /// Our product token in robots.txt (`govwire`).
    robots_token: String,
    /// robots.txt by origin (`https://www.shpt.gov.cn`).
    robots: AsyncMutex<HashMap<String, CachedRobots>>,
}

impl<S: PageSink> std::fmt::Debug for Crawler<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("portal", &self.profile.id)
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl<S: PageSink> Crawler<S> {
    /// Checks the profile and options and builds the HTTP client. Nothing is
    /// fetched yet.
    pub fn new(
        profile: PortalProfile,
        store: Store,
        sink: S,
        options: CrawlerOptions,
    ) -> Result<Self, CrawlError> {
        let profile_error = |message: String| CrawlError::Profile {
            portal: profile.id.clone(),
            message,
        };
        profile.validate().map_err(|e| profile_error(e.message))?;

        let user_agent = options.checked_user_agent()?;
        let robots_token = user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();

        let profile_base = Url::parse(&profile.base_url).map_err(|e| {
            profile_error(format!("base_url `{}` is not a URL: {e}", profile.base_url))
        })?;
        let mut guard = AddressGuard::new(profile.allow_private.iter().map(String::as_str))
            .map_err(profile_error)?;
        let base_url = match &options.base_url_override {
            Some(raw) => {
                let url = Url::parse(raw)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| {
                        CrawlError::Options(format!(
                            "base_url_override `{raw}` is not an http(s) URL"
                        ))
                    })?;
                guard.allow_url(&url);
                url
            }
            None => profile_base.clone(),
        };

        let mut selectors = HashMap::new();
        for section in &profile.sections {
            if let Some(api) = &section.json_api {
                list::render_request(&api.request, &api.channel, 1, api.page_size)
                    .map_err(|m| profile_error(format!("section `{}`: {m}", section.id)))?;
                base_url.join(&api.endpoint).map_err(|e| {
                    profile_error(format!("section `{}`: endpoint: {e}", section.id))
                })?;
            }
            if let Some(html) = &section.html_list {
                let compiled = HtmlSelectors::compile(html)
                    .map_err(|m| profile_error(format!("section `{}`: {m}", section.id)))?;
                selectors.insert(section.id.clone(), compiled);
                base_url
                    .join(&html.url)
                    .map_err(|e| profile_error(format!("section `{}`: url: {e}", section.id)))?;
                if let Some(page_url) = &html.page_url {
                    if !page_url.contains("{page}") {
                        return Err(profile_error(format!(
                            "section `{}`: page_url must contain {{page}}",
                            section.id
                        )));
                    }
                }
            }
        }

        let settings = FetchSettings::new(&profile.politeness, &options)?;
        let attachment_links = if profile.detail.attachments.trim().is_empty() {
            None
        } else {
            Some(
                scraper::Selector::parse(&profile.detail.attachments).map_err(|e| {
                    profile_error(format!(
                        "detail.attachments `{}` is not a valid selector: {e}",
                        profile.detail.attachments
                    ))
                })?,
            )
        };
        let fetcher = Fetcher::new(settings, guard).map_err(CrawlError::Client)?;

        Ok(Self {
            profile,
            base_url,
            profile_base,
            store,
            sink,
            options,
            fetcher,
            selectors,
            attachment_links,
            robots_token,
            robots: AsyncMutex::new(HashMap::new()),
        })
    }

    /// The sink pages are delivered to.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The portal profile this crawler polls.
    pub fn profile(&self) -> &PortalProfile {
        &self.profile
    }

    /// One poll of one section: walk list pages, fetch new items, deliver
    /// them. Returns what happened.
    pub async fn poll_section(&self, section_id: &str) -> Result<PollReport, CrawlError> {
        let section = self.section(section_id)?;
        self.poll(section, &CancellationToken::new()).await
    }

    /// Revisits known items whose next visit is due (conditional GET; a
    /// changed body is delivered again; 304 updates timestamps only).
    pub async fn revisit_due(&self) -> Result<RevisitReport, CrawlError> {
        self.revisit(&CancellationToken::new()).await
    }

    /// Runs until `cancel`: polls every section every poll interval and
    /// revisits due items; stops promptly and cleanly on cancel (finishes the
    /// in-flight page). Errors of single polls are logged and tried again at
    /// the next interval; it returns `Ok` once cancelled.
    ///
    /// Sections are shared through leases in the store: a section is polled
    /// only by the instance holding its lease, and only when the schedule
    /// kept with the lease says it is due, so several instances on one
    /// database poll each section once per interval and never twice at
    /// once. A poll renews its lease as it goes; an instance that dies
    /// loses its sections to the others when its leases expire. Revisit
    /// rounds of a portal are leased the same way (`@revisits`).
    pub async fn run(&self, cancel: CancellationToken) -> Result<(), CrawlError> {
        let poll_every = self.poll_interval();
        info!(
            portal = %self.profile.id,
            base_url = %self.base_url,
            sections = self.profile.sections.len(),
            poll_interval_secs = poll_every.as_secs(),
            instance = %self.options.instance_id,
            "Crawler started."
        );
        // A failure that persists (a read-only store, a full disk) is
        // logged once, then once a minute with a count; a round in which the
        // store failed is followed by a growing wait, never a tight loop.
        let mut poll_logs: HashMap<&str, LogThrottle> = HashMap::new();
        let mut revisit_log = LogThrottle::default();
        let mut schedule_log = LogThrottle::default();
        let mut store_backoff = Backoff::new(STORE_RETRY_BASE, STORE_RETRY_CAP);
        'outer: loop {
            let mut store_failed = false;
            for section in &self.profile.sections {
                if cancel.is_cancelled() {
                    break 'outer;
                }
                let log = poll_logs.entry(section.id.as_str()).or_default();
                match self.poll_if_due(section, poll_every, &cancel).await {
                    Ok(_) => {
                        if let Some(unlogged) = log.success() {
                            info!(portal = %self.profile.id, section = %section.id, failures = unlogged, "Polls work again.");
                        }
                    }
                    Err(error) => {
                        store_failed |= matches!(error, CrawlError::Store(_));
                        if let Some(failures) = log.failure() {
                            warn!(error = %Chain(&error), portal = %self.profile.id, section = %section.id, failures, "Poll failed.");
                        }
                    }
                }
            }
            if cancel.is_cancelled() {
                break;
            }
            let more_due = match self.revisit_if_free(&cancel).await {
                Ok(report) => {
                    if let Some(unlogged) = revisit_log.success() {
                        info!(portal = %self.profile.id, failures = unlogged, "Revisit rounds work again.");
                    }
                    report.is_some_and(|report| {
                        report.due == self.options.revisit_batch
                            && !report.stopped_early
                            && report.failed == 0
                            && report.skipped < report.due
                    })
                }
                Err(error) => {
                    store_failed |= matches!(error, CrawlError::Store(_));
                    if let Some(failures) = revisit_log.failure() {
                        warn!(error = %Chain(&error), portal = %self.profile.id, failures, "Revisit round failed.");
                    }
                    false
                }
            };
            if more_due && !store_failed {
                continue;
            }
            let wake = match self.next_wake(poll_every).await {
                Ok(wake) => {
                    schedule_log.success();
                    wake
                }
                Err(error) => {
                    store_failed = true;
                    if let Some(failures) = schedule_log.failure() {
                        warn!(error = %Chain(&error), portal = %self.profile.id, failures, "Failed to read the section schedule.");
                    }
                    Instant::now() + REVISIT_CHECK_INTERVAL.min(poll_every)
                }
            };
            let wake = if store_failed {
                wake.max(Instant::now() + store_backoff.next_wait())
            } else {
                store_backoff.reset();
                wake
            };
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep_until(wake) => {}
            }
        }
        info!(portal = %self.profile.id, instance = %self.options.instance_id, "Crawler stopped.");
        Ok(())
    }

    /// Polls `section` if it is due and its lease can be taken; returns
    /// whether it polled. The lease is renewed while the poll runs and given
    /// back afterwards with the section's next poll scheduled.
    async fn poll_if_due(
        &self,
        section: &SectionProfile,
        poll_every: Duration,
        cancel: &CancellationToken,
    ) -> Result<bool, CrawlError> {
        if !self.claim(&section.id).await? {
            return Ok(false);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move { self.poll(section, &child).await }
        };
        let result = self.while_leased(&section.id, &child, work).await;
        // A poll cut short by a shutdown leaves the section due, so another
        // instance takes it at once; otherwise (done or failed) it is next
        // due one interval on.
        let interrupted = matches!(
            &result,
            Ok(report) if report.stopped_because == StopReason::Cancelled
        );
        let next = (!interrupted).then(|| after(Utc::now(), poll_every));
        self.release(&section.id, next).await;
        result.map(|_| true)
    }

    /// One revisit round, if no other instance is running one for this
    /// portal.
    async fn revisit_if_free(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<RevisitReport>, CrawlError> {
        if !self.claim(REVISITS_LEASE).await? {
            return Ok(None);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move { self.revisit(&child).await }
        };
        let result = self.while_leased(REVISITS_LEASE, &child, work).await;
        self.release(REVISITS_LEASE, None).await;
        result.map(Some)
    }

    /// Takes the lease of `name` (a section, or the revisit rounds) for one
    /// lease time, if it is due and free.
    async fn claim(&self, name: &str) -> Result<bool, CrawlError> {
        let now = Utc::now();
        let claimed = self
            .store
            .claim_section(
                &self.profile.id,
                name,
                &self.options.instance_id,
                now,
                after(now, self.options.lease_ttl),
            )
            .await?;
        if claimed {
            debug!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "Took a lease.");
        }
        Ok(claimed)
    }

    /// Runs `work` while renewing the lease of `name` every third of the
    /// lease time; if the lease is lost (another instance took it after a
    /// stall longer than the lease), `stop` is cancelled so the work ends at
    /// its next checkpoint.
    async fn while_leased<T>(
        &self,
        name: &str,
        stop: &CancellationToken,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let every = (self.options.lease_ttl / 3).max(Duration::from_millis(10));
        tokio::pin!(work);
        let mut renew_at = Instant::now() + every;
        loop {
            tokio::select! {
                output = &mut work => return output,
                () = tokio::time::sleep_until(renew_at) => {
                    renew_at = Instant::now() + every;
                    let now = Utc::now();
                    let renewed = self
                        .store
                        .renew_section_lease(
                            &self.profile.id,
                            name,
                            &self.options.instance_id,
                            now,
                            after(now, self.options.lease_ttl),
                        )
                        .await;
                    match renewed {
                        Ok(true) => {}
                        Ok(false) => {
                            warn!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "Lost a lease to another instance; stopping this work.");
                            stop.cancel();
                        }
                        Err(error) => {
                            // Keep working: the lease holds until it expires,
                            // and the next renewal may succeed.
                            warn!(error = %Chain(&error), portal = %self.profile.id, lease = name, "Failed to renew a lease.");
                        }
                    }
                }
            }
        }
    }

    /// Gives back the lease of `name`, scheduling its next poll.
    async fn release(&self, name: &str, next_poll_at: Option<DateTime<Utc>>) {
        let released = self
            .store
            .release_section(
                &self.profile.id,
                name,
                &self.options.instance_id,
                next_poll_at,
                Utc::now(),
            )
            .await;
        match released {
            Ok(true) => {}
            Ok(false) => {
                warn!(portal = %self.profile.id, lease = name, instance = %self.options.instance_id, "A lease was taken over before it was given back.");
            }
            Err(error) => {
                // The lease expires on its own; the section is then due.
                warn!(error = %Chain(&error), portal = %self.profile.id, lease = name, "Failed to give a lease back.");
            }
        }
    }

    /// When `run` should look at the schedule again: the earliest next poll
    /// of a free section, the expiry of a lease another instance holds, and
    /// at least every revisit check.
    async fn next_wake(&self, poll_every: Duration) -> Result<Instant, CrawlError> {
        let leases = self.store.section_leases(&self.profile.id).await?;
        let now = Utc::now();
        let instant_now = Instant::now();
        let at = |t: DateTime<Utc>| instant_now + (t - now).to_std().unwrap_or(Duration::ZERO);
        let mut wake = instant_now + REVISIT_CHECK_INTERVAL.min(poll_every);
        for section in &self.profile.sections {
            let lease = leases.iter().find(|l| l.section == section.id);
            let due = match lease {
                None => instant_now,
                Some(lease) => {
                    let held = lease.holder.is_some()
                        && lease.expires_at.is_some_and(|expiry| expiry > now);
                    match (held, lease.expires_at, lease.next_poll_at) {
                        (true, Some(expiry), _) => at(expiry),
                        (_, _, Some(next)) => at(next),
                        _ => instant_now,
                    }
                }
            };
            wake = wake.min(due);
        }
        // Never spin: a section due now but not claimable (another instance
        // took it between the claim and this look) is looked at again soon,
        // not at once.
        Ok(wake.max(instant_now + MIN_SCHEDULE_LOOK))
    }

    fn section(&self, section_id: &str) -> Result<&SectionProfile, CrawlError> {
        self.profile
            .sections
            .iter()
            .find(|s| s.id == section_id)
            .ok_or_else(|| CrawlError::UnknownSection {
                portal: self.profile.id.clone(),
                section: section_id.to_owned(),
            })
    }

    fn poll_interval(&self) -> Duration {
        self.options
            .poll_interval
            .unwrap_or_else(|| Duration::from_secs(self.profile.politeness.poll_interval_secs))
    }

    /// When a failed item is tried again: the next poll or the next revisit,
    /// whichever comes first.
    fn retry_delay(&self) -> Duration {
        self.options.revisit_interval.min(self.poll_interval())
    }

    async fn poll(
        &self,
        section: &SectionProfile,
        cancel: &CancellationToken,
    ) -> Result<PollReport, CrawlError> {
        let tally = Tally::default();
        let mut report = PollReport::new();
        let must_reach = self
            .store
            .walk_progress(&self.profile.id, &section.id)
            .await?
            .map_or(0, |progress| progress.must_reach());
        if must_reach > 1 {
            info!(portal = %self.profile.id, section = %section.id, must_reach, "The last walk of this section was interrupted; walking past known items until its furthest page.");
        }
        self.store
            .start_walk(&self.profile.id, &section.id, Utc::now())
            .await?;
        let walk = Walk::resuming(must_reach);
        let walked = match (&section.json_api, &section.html_list) {
            (Some(api), _) => {
                self.walk_json(section, api, walk, cancel, &tally, &mut report)
                    .await
            }
            (None, Some(html)) => {
                self.walk_html(section, html, walk, cancel, &tally, &mut report)
                    .await
            }
            (None, None) => Err(CrawlError::Profile {
                portal: self.profile.id.clone(),
                message: format!("section `{}` has no list source", section.id),
            }),
        };
        report.requests = tally.requests();
        report.not_modified = tally.not_modified();
        self.record_poll(section, &report, &walked).await;
        report.stopped_because = walked?;
        // A cancelled walk stays open: the next one walks past the pages
        // of known items at the top of the list to where this one stopped.
        if report.stopped_because != StopReason::Cancelled {
            self.store
                .complete_walk(&self.profile.id, &section.id, Utc::now())
                .await?;
        }
        info!(
            portal = %self.profile.id,
            section = %section.id,
            requests = report.requests,
            list_pages = report.list_pages,
            new_items = report.new_items,
            delivered = report.delivered,
            skipped = report.skipped,
            failed = report.failed,
            stopped_because = ?report.stopped_because,
            "Polled section."
        );
        Ok(report)
    }

    /// Reports a finished poll to the store's section health, from which
    /// the notifier tells a portal that changed its layout or keeps failing
    /// from a quiet one. A cancelled poll is not reported (it saw part of
    /// the list); a list robots.txt disallows is reported as an error, since
    /// the section can no longer be watched. A failure to record is logged:
    /// it must not fail the poll whose items are already recorded.
    async fn record_poll(
        &self,
        section: &SectionProfile,
        report: &PollReport,
        walked: &Result<StopReason, CrawlError>,
    ) {
        let error = match walked {
            Ok(StopReason::Cancelled) => return,
            Ok(StopReason::DisallowedByRobots) => {
                Some("robots.txt disallows the section's list".to_owned())
            }
            Ok(_) => None,
            Err(error) => Some(Chain(error).to_string()),
        };
        let record = SectionPollRecord {
            portal: self.profile.id.clone(),
            section: section.id.clone(),
            at: Utc::now(),
            listed: report.listed,
            new_items: report.new_items,
            errors: report.failed,
            error,
            not_modified: matches!(walked, Ok(StopReason::NotModified)),
        };
        if let Err(error) = self.store.record_section_poll(&record).await {
            warn!(error = %Chain(&error), portal = %self.profile.id, section = %section.id, "Failed to record the poll in the section health.");
        }
    }

    async fn walk_json(
        &self,
        section: &SectionProfile,
        api: &JsonApiSection,
        mut walk: Walk,
        cancel: &CancellationToken,
        tally: &Tally,
        report: &mut PollReport,
    ) -> Result<StopReason, CrawlError> {
        let endpoint = self.portal_url(&api.endpoint)?;
        let Some(robots) = self.robots(&endpoint, cancel, tally).await else {
            return Ok(StopReason::Cancelled);
        };
        if !robots.allows(&path_and_query(&endpoint)) {
            warn!(portal = %self.profile.id, section = %section.id, url = %endpoint, "robots.txt disallows the section's list; not polling it.");
            return Ok(StopReason::DisallowedByRobots);
        }
        for page in 1..=section.max_pages {
            if cancel.is_cancelled() {
                return Ok(StopReason::Cancelled);
            }
            let body = list::render_request(&api.request, &api.channel, page, api.page_size)
                .map_err(|message| CrawlError::Profile {
                    portal: self.profile.id.clone(),
                    message,
                })?;
            let request = FetchRequest {
                method: Method::POST,
                url: endpoint.clone(),
                json_body: Some(body),
                accept: "application/json",
                etag: None,
                last_modified: None,
                expect: Expect::Any,
            };
            let response = match self.fetcher.fetch(request, cancel, tally).await {
                Ok(response) => response,
                Err(FetchError::Cancelled) => return Ok(StopReason::Cancelled),
                Err(source) => return Err(self.list_fetch_error(section, source)),
            };
            if response.status != StatusCode::OK {
                let source = FetchError::Status {
                    url: response.url.to_string(),
                    status: response.status.as_u16(),
                };
                return Err(self.list_fetch_error(section, source));
            }
            let list_page =
                list::parse_json_list(&response.body, &api.fields).map_err(|message| {
                    let error = CrawlError::ListFormat {
                        section: section.id.clone(),
                        url: response.url.to_string(),
                        message,
                    };
                    warn!(error = %error, portal = %self.profile.id, "Failed to read list page.");
                    error
                })?;
            report.list_pages += 1;
            if list_page.entries.is_empty() && list_page.invalid == 0 {
                return Ok(StopReason::EmptyPage);
            }
            if list_page.page_no.is_some_and(|no| no < u64::from(page)) {
                debug!(section = %section.id, page, page_no = ?list_page.page_no, "The API's page number is stuck; the list ended.");
                return Ok(StopReason::PageNumberStuck);
            }
            let base = self.base_url.clone();
            walk.page = page;
            if let Some(stop) = self
                .take_page(
                    section, &base, list_page, &robots, &mut walk, cancel, tally, report,
                )
                .await?
            {
                return Ok(stop);
            }
            self.page_done(section, page).await?;
        }
        Ok(StopReason::MaxPages)
    }

    async fn walk_html(
        &self,
        section: &SectionProfile,
        html: &HtmlListSection,
        mut walk: Walk,
        cancel: &CancellationToken,
        tally: &Tally,
        report: &mut PollReport,
    ) -> Result<StopReason, CrawlError> {
        let selectors = self
            .selectors
            .get(&section.id)
            .ok_or_else(|| CrawlError::Profile {
                portal: self.profile.id.clone(),
                message: format!("section `{}` has no compiled selectors", section.id),
            })?;
        let first_url = self.portal_url(&html.url)?;
        let Some(robots) = self.robots(&first_url, cancel, tally).await else {
            return Ok(StopReason::Cancelled);
        };
        // The first page's validators are stored only once the whole walk
        // has recorded every new item, so a 304 never hides an item.
        let mut first_page_validators: Option<Validators> = None;
        let mut stop = StopReason::MaxPages;
        for page in 1..=section.max_pages {
            if cancel.is_cancelled() {
                return Ok(StopReason::Cancelled);
            }
            let url = if page == 1 {
                first_url.clone()
            } else {
                match &html.page_url {
                    Some(template) => {
                        self.portal_url(&template.replace("{page}", &page.to_string()))?
                    }
                    None => {
                        stop = StopReason::LastPage;
                        break;
                    }
                }
            };
            if !robots.allows(&path_and_query(&url)) {
                warn!(portal = %self.profile.id, section = %section.id, url = %url, "robots.txt disallows this list page; not fetching it.");
                if page == 1 {
                    return Ok(StopReason::DisallowedByRobots);
                }
                stop = StopReason::DisallowedByRobots;
                break;
            }
            // A walk resuming an interrupted one asks unconditionally: the
            // first page may be unchanged while pages behind it were never
            // walked.
            let stored = if page == 1 && walk.must_reach <= 1 {
                self.store.http_validators(url.as_str()).await?
            } else {
                None
            };
            let request = FetchRequest::get(url.clone(), HTML_ACCEPT).conditional(
                stored.as_ref().and_then(|v| v.etag.as_deref()),
                stored.as_ref().and_then(|v| v.last_modified.as_deref()),
            );
            let response = match self.fetcher.fetch(request, cancel, tally).await {
                Ok(response) => response,
                Err(FetchError::Cancelled) => return Ok(StopReason::Cancelled),
                Err(source) => return Err(self.list_fetch_error(section, source)),
            };
            match response.status {
                StatusCode::NOT_MODIFIED if page == 1 && stored.is_some() => {
                    debug!(section = %section.id, url = %url, "List unchanged since the last poll.");
                    return Ok(StopReason::NotModified);
                }
                StatusCode::NOT_FOUND | StatusCode::GONE if page > 1 => {
                    stop = StopReason::LastPage;
                    break;
                }
                StatusCode::OK => {}
                other => {
                    let source = FetchError::Status {
                        url: response.url.to_string(),
                        status: other.as_u16(),
                    };
                    return Err(self.list_fetch_error(section, source));
                }
            }
            if page == 1 && (response.etag.is_some() || response.last_modified.is_some()) {
                first_page_validators = Some(Validators {
                    etag: response.etag.clone(),
                    last_modified: response.last_modified.clone(),
                });
            }
            let list_page = list::parse_html_list(
                &response.body,
                response.content_type.as_deref(),
                &response.url,
                selectors,
            )
            .map_err(|message| self.list_format_error(section, &response.url, message))?;
            report.list_pages += 1;
            walk.page = page;
            if let Some(reason) = self
                .take_page(
                    section,
                    &response.url,
                    list_page,
                    &robots,
                    &mut walk,
                    cancel,
                    tally,
                    report,
                )
                .await?
            {
                stop = reason;
                break;
            }
            self.page_done(section, page).await?;
        }
        if stop == StopReason::Cancelled {
            return Ok(stop);
        }
        if let Some(validators) = first_page_validators {
            self.store
                .set_http_validators(first_url.as_str(), &validators)
                .await?;
        }
        Ok(stop)
    }

    /// Records that list page `page` of the running walk of `section` was
    /// completely handled, so an interruption after it is resumed past it.
    async fn page_done(&self, section: &SectionProfile, page: u32) -> Result<(), CrawlError> {
        self.store
            .walk_page_done(&self.profile.id, &section.id, page, Utc::now())
            .await?;
        Ok(())
    }

    /// Handles the entries of one list page; returns why the walk stops, if
    /// it does.
    #[allow(clippy::too_many_arguments)]
    async fn take_page(
        &self,
        section: &SectionProfile,
        page_url: &Url,
        page: ListPage,
        robots: &RobotsPolicy,
        walk: &mut Walk,
        cancel: &CancellationToken,
        tally: &Tally,
        report: &mut PollReport,
    ) -> Result<Option<StopReason>, CrawlError> {
        if page.entries.is_empty() && page.invalid == 0 {
            return Ok(Some(StopReason::EmptyPage));
        }
        let ids: Vec<String> = page.entries.iter().map(|e| e.id.clone()).collect();
        if walk.previous_ids.as_ref() == Some(&ids) {
            debug!(section = %section.id, "The list repeats its previous page; the list ended.");
            return Ok(Some(StopReason::RepeatedPage));
        }
        walk.previous_ids = Some(ids);
        report.listed = report
            .listed
            .saturating_add(u32::try_from(page.entries.len()).unwrap_or(u32::MAX))
            .saturating_add(page.invalid);
        if page.invalid > 0 {
            debug!(section = %section.id, url = %page_url, invalid = page.invalid, "Skipping list entries without an id or a URL.");
            report.skipped += page.invalid;
        }

        let mut known_here = 0u32;
        let mut candidates = Vec::new();
        for entry in page.entries {
            let Some(url) = self.item_url(page_url, &entry.href) else {
                debug!(section = %section.id, item_id = %entry.id, href = %entry.href, "Skipping an item on another host.");
                report.skipped += 1;
                continue;
            };
            if !walk.seen.insert(entry.id.clone()) {
                known_here += 1;
                continue;
            }
            candidates.push(ItemTarget {
                item_id: entry.id,
                url,
                title: entry.title,
                published_on: entry.published_on,
            });
        }
        let ids: Vec<String> = candidates.iter().map(|c| c.item_id.clone()).collect();
        let known = self.store.known_items(&self.profile.id, &ids).await?;

        let mut new_here = 0u32;
        for target in candidates {
            if known.contains(&target.item_id) {
                known_here += 1;
                continue;
            }
            if cancel.is_cancelled() {
                return Ok(Some(StopReason::Cancelled));
            }
            if !robots.allows(&path_and_query(&target.url)) {
                info!(portal = %self.profile.id, section = %section.id, item_id = %target.item_id, url = %target.url, "robots.txt disallows this item; skipping it.");
                report.skipped += 1;
                continue;
            }
            new_here += 1;
            report.new_items += 1;
            info!(portal = %self.profile.id, section = %section.id, item_id = %target.item_id, url = %target.url, "New item.");
            match self
                .fetch_item(&section.id, target, None, cancel, tally)
                .await?
            {
                ItemOutcome::Delivered => report.delivered += 1,
                ItemOutcome::Missing => report.missing += 1,
                ItemOutcome::Failed => report.failed += 1,
                ItemOutcome::Refused => report.refused += 1,
                ItemOutcome::Unchanged | ItemOutcome::NotModified => {}
                ItemOutcome::Cancelled => {
                    report.new_items -= 1;
                    return Ok(Some(StopReason::Cancelled));
                }
            }
        }

        match walk.overlap_left.as_mut() {
            None if new_here == 0 && known_here > 0 && walk.page >= walk.must_reach => {
                walk.overlap_left = Some(section.overlap_pages)
            }
            Some(left) => *left = left.saturating_sub(1),
            None => {}
        }
        Ok((walk.overlap_left == Some(0)).then_some(StopReason::KnownItems))
    }

    /// Fetches one detail page (conditionally when it was fetched before),
    /// delivers it when its bytes are new, and records the outcome. Errors
    /// of the fetch are recorded for a retry and reported as
    /// [`ItemOutcome::Failed`]; only store and sink failures are errors.
    async fn fetch_item(
        &self,
        section: &str,
        target: ItemTarget,
        stored: Option<CrawlItem>,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Result<ItemOutcome, CrawlError> {
        let now = Utc::now();
        let stored_before = stored.is_some();
        let mut record = stored.unwrap_or_else(|| CrawlItem {
            portal: self.profile.id.clone(),
            section: section.to_owned(),
            item_id: target.item_id.clone(),
            url: target.url.to_string(),
            title: target.title.clone(),
            published_on: target.published_on,
            etag: None,
            last_modified: None,
            body_sha256: None,
            first_seen_at: now,
            last_fetched_at: None,
            last_changed_at: None,
            next_visit_at: None,
            last_status: None,
            consecutive_missing: 0,
        });
        // A page handed on before and never decided by the notifier (lost
        // downstream: dead-lettered, its queue deleted) is fetched without
        // validators and handed on again, even if its bytes did not change.
        let undecided = if stored_before {
            self.store
                .open_handover(&self.profile.id, &record.item_id)
                .await?
        } else {
            None
        };
        if let Some(sha) = &undecided {
            info!(portal = %self.profile.id, section, item_id = %record.item_id, sha256 = %sha, "The page handed on last was never decided; fetching it again unconditionally.");
        }
        // Validators only help when we hold the bytes they describe.
        let (etag, last_modified) = if record.body_sha256.is_some() && undecided.is_none() {
            (record.etag.clone(), record.last_modified.clone())
        } else {
            (None, None)
        };
        let request = FetchRequest::get(target.url.clone(), HTML_ACCEPT)
            .conditional(etag.as_deref(), last_modified.as_deref())
            .expecting(Expect::Html);
        let response = match self.fetcher.fetch(request, cancel, tally).await {
            Ok(response) => response,
            Err(FetchError::Cancelled) => return Ok(ItemOutcome::Cancelled),
            Err(
                error @ (FetchError::UnexpectedContentType { .. } | FetchError::Unreadable { .. }),
            ) => {
                // Not a transient failure: the page is there, but it is not
                // a page we can read. Look again on the slow schedule.
                warn!(error = %error, portal = %self.profile.id, section, item_id = %target.item_id, url = %target.url, "Refused a detail page that cannot be read.");
                record.last_status = Some(StatusCode::OK.as_u16());
                record.consecutive_missing = 0;
                record.next_visit_at = Some(after(now, self.revisit_bounds().max));
                self.store.upsert_crawl_item(&record).await?;
                return Ok(ItemOutcome::Refused);
            }
            Err(error) => {
                warn!(error = %Chain(&error), portal = %self.profile.id, section, item_id = %target.item_id, url = %target.url, "Failed to fetch page.");
                self.record_retry(record, error.status(), now).await?;
                return Ok(ItemOutcome::Failed);
            }
        };
        let status = response.status;
        match status {
            StatusCode::OK => {
                let sha = sha256_hex(&response.body);
                let changed = record.body_sha256.as_deref() != Some(sha.as_str());
                if changed || undecided.is_some() {
                    let attachments = self
                        .fetch_attachments(
                            &response.body,
                            response.content_type.as_deref(),
                            &response.url,
                            cancel,
                            tally,
                        )
                        .await;
                    let page = RawPage {
                        portal: self.profile.id.clone(),
                        section: record.section.clone(),
                        item_id: record.item_id.clone(),
                        url: response.url.to_string(),
                        list_title: target.title.clone().or_else(|| record.title.clone()),
                        published_on: target.published_on.or(record.published_on),
                        fetched_at: now,
                        content_type: response.content_type.clone(),
                        body: response.body,
                        attachments,
                    };
                    // Recorded before the page goes out, so the notifier's
                    // decision always finds the row it closes.
                    self.store
                        .record_handover(&self.profile.id, &record.item_id, &sha, now)
                        .await?;
                    if let Err(error) = self.sink.deliver(page).await {
                        warn!(error = %Chain(&error), portal = %self.profile.id, section, item_id = %target.item_id, url = %target.url, "Failed to hand a page on; it will be fetched again.");
                        if let Err(store_error) = self.record_retry(record, None, now).await {
                            warn!(error = %Chain(&store_error), item_id = %target.item_id, "Failed to record the page for a retry.");
                        }
                        return Err(CrawlError::Sink(error));
                    }
                    debug!(portal = %self.profile.id, section, item_id = %target.item_id, sha256 = %sha, "Delivered page.");
                    if changed {
                        record.last_changed_at = Some(now);
                    }
                }
                record.etag = response.etag;
                record.last_modified = response.last_modified;
                record.body_sha256 = Some(sha);
                record.last_fetched_at = Some(now);
                record.last_status = Some(status.as_u16());
                record.consecutive_missing = 0;
                if target.title.is_some() {
                    record.title = target.title;
                }
                if target.published_on.is_some() {
                    record.published_on = target.published_on;
                }
                record.next_visit_at = Some(self.next_visit(now, &record));
                self.store.upsert_crawl_item(&record).await?;
                Ok(if changed || undecided.is_some() {
                    ItemOutcome::Delivered
                } else {
                    ItemOutcome::Unchanged
                })
            }
            StatusCode::NOT_MODIFIED if record.body_sha256.is_some() => {
                record.last_fetched_at = Some(now);
                record.next_visit_at = Some(self.next_visit(now, &record));
                record.last_status = Some(status.as_u16());
                record.consecutive_missing = 0;
                self.store.upsert_crawl_item(&record).await?;
                Ok(ItemOutcome::NotModified)
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                record.consecutive_missing = record.consecutive_missing.saturating_add(1);
                record.last_status = Some(status.as_u16());
                // Gone pages are looked at again soon: a withdrawal is only
                // believed after several misses, and a page back after a
                // blip should not wait a day to be seen.
                record.next_visit_at = Some(after(now, self.revisit_bounds().min));
                info!(portal = %self.profile.id, section, item_id = %record.item_id, url = %target.url, status = status.as_u16(), consecutive_missing = record.consecutive_missing, "Page is gone.");
                self.store.upsert_crawl_item(&record).await?;
                Ok(ItemOutcome::Missing)
            }
            other => {
                let error = FetchError::Status {
                    url: response.url.to_string(),
                    status: other.as_u16(),
                };
                warn!(error = %error, portal = %self.profile.id, section, item_id = %record.item_id, "Failed to fetch page.");
                self.record_retry(record, Some(other.as_u16()), now).await?;
                Ok(ItemOutcome::Failed)
            }
        }
    }

    /// Records a failed item so it is tried again soon, keeping what was
    /// known of its last good fetch.
    async fn record_retry(
        &self,
        mut record: CrawlItem,
        status: Option<u16>,
        now: DateTime<Utc>,
    ) -> Result<(), CrawlError> {
        record.last_status = status.or(record.last_status);
        record.next_visit_at = Some(after(now, self.retry_delay()));
        self.store.upsert_crawl_item(&record).await?;
        Ok(())
    }

    /// The bounds of the adaptive revisit schedule.
    fn revisit_bounds(&self) -> RevisitBounds {
        RevisitBounds::new(
            self.options.revisit_min_interval,
            self.options.revisit_interval,
        )
    }

    /// When an item fetched at `now` (its record updated) is due again.
    fn next_visit(&self, now: DateTime<Utc>, record: &CrawlItem) -> DateTime<Utc> {
        let history = ItemHistory {
            first_seen_at: record.first_seen_at,
            published_on: record.published_on,
            last_changed_at: record.last_changed_at,
        };
        schedule::next_visit_at(now, history, self.revisit_bounds())
    }

    /// Fetches the files a detail page links with the profile's
    /// `detail.attachments` selector: resolved against the page URL, under
    /// the same address rules, robots.txt, pacing and size cap as pages, at
    /// most `max_attachments` of them. A file that cannot be fetched is
    /// listed with its `error`, so the page is still handed on.
    async fn fetch_attachments(
        &self,
        body: &[u8],
        content_type: Option<&str>,
        page_url: &Url,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Vec<RawAttachment> {
        let Some(selector) = &self.attachment_links else {
            return Vec::new();
        };
        let links = match crate::attachments::links(body, content_type, page_url, selector) {
            Ok(links) => links,
            Err(reason) => {
                // The fetcher refuses such pages first; this holds for any
                // other way a page reaches here.
                warn!(%reason, portal = %self.profile.id, url = %page_url, "Refused to look for attachment links in an unreadable page.");
                return Vec::new();
            }
        };
        let mut attachments = Vec::with_capacity(links.len());
        for (index, link) in links.into_iter().enumerate() {
            let mut attachment = RawAttachment {
                name: link.name,
                url: link
                    .url
                    .as_ref()
                    .map_or_else(|_| link.href.clone(), Url::to_string),
                content_type: None,
                body: Vec::new(),
                text: None,
                error: None,
            };
            let url = match link.url {
                Ok(url) => self.rebase(url),
                Err(reason) => {
                    attachment.error = Some(reason);
                    attachments.push(attachment);
                    continue;
                }
            };
            attachment.url = url.to_string();
            if index >= self.options.max_attachments {
                attachment.error = Some(format!(
                    "not fetched: the page links more than {} attachments",
                    self.options.max_attachments
                ));
                attachments.push(attachment);
                continue;
            }
            if cancel.is_cancelled() {
                attachment.error = Some("not fetched: the crawler was stopping".into());
                attachments.push(attachment);
                continue;
            }
            if let Err(error) = self.fetcher.check(&url).await {
                warn!(%error, portal = %self.profile.id, page = %page_url, "Refused an attachment link.");
                attachment.error = Some(error.to_string());
                attachments.push(attachment);
                continue;
            }
            match self.robots(&url, cancel, tally).await {
                Some(robots) if robots.allows(&path_and_query(&url)) => {}
                Some(_) => {
                    attachment.error = Some("not fetched: robots.txt disallows it".into());
                    attachments.push(attachment);
                    continue;
                }
                None => {
                    attachment.error = Some("not fetched: the crawler was stopping".into());
                    attachments.push(attachment);
                    continue;
                }
            }
            let request =
                FetchRequest::get(url.clone(), ATTACHMENT_ACCEPT).expecting(Expect::Attachment);
            match self.fetcher.fetch(request, cancel, tally).await {
                Ok(response) if response.status == StatusCode::OK => {
                    attachment.content_type = response.content_type;
                    attachment.body = response.body;
                }
                Ok(response) => {
                    attachment.error = Some(format!("answered HTTP {}", response.status.as_u16()));
                }
                Err(error) => {
                    attachment.error = Some(Chain(&error).to_string());
                }
            }
            if let Some(error) = &attachment.error {
                warn!(%error, portal = %self.profile.id, page = %page_url, url = %attachment.url, "Failed to fetch an attachment; handing the page on without it.");
            }
            attachments.push(attachment);
        }
        attachments
    }

    async fn revisit(&self, cancel: &CancellationToken) -> Result<RevisitReport, CrawlError> {
        let tally = Tally::default();
        let mut report = RevisitReport::default();
        let now = Utc::now();
        let due = self
            .store
            .items_due(&self.profile.id, now, self.options.revisit_batch)
            .await?;
        report.due = u32::try_from(due.len()).unwrap_or(u32::MAX);
        let mut failures_in_a_row = 0u32;
        for item in due {
            if cancel.is_cancelled() {
                report.stopped_early = true;
                break;
            }
            let url = match Url::parse(&item.url) {
                Ok(url) => self.rebase(url),
                Err(error) => {
                    warn!(%error, portal = %self.profile.id, item_id = %item.item_id, url = %item.url, "Stored item URL is unusable; skipping it until the next revisit.");
                    report.skipped += 1;
                    self.postpone(item, now).await?;
                    continue;
                }
            };
            let Some(robots) = self.robots(&url, cancel, &tally).await else {
                report.stopped_early = true;
                break;
            };
            if !robots.allows(&path_and_query(&url)) {
                info!(portal = %self.profile.id, item_id = %item.item_id, url = %url, "robots.txt disallows this item; not revisiting it now.");
                report.skipped += 1;
                self.postpone(item, now).await?;
                continue;
            }
            let target = ItemTarget {
                item_id: item.item_id.clone(),
                url,
                title: None,
                published_on: None,
            };
            let section = item.section.clone();
            let outcome = self
                .fetch_item(&section, target, Some(item), cancel, &tally)
                .await?;
            if outcome != ItemOutcome::Cancelled {
                report.visited += 1;
            }
            match outcome {
                ItemOutcome::Delivered => report.delivered += 1,
                ItemOutcome::Unchanged => report.unchanged += 1,
                ItemOutcome::NotModified => report.not_modified += 1,
                ItemOutcome::Missing => report.missing += 1,
                ItemOutcome::Failed => report.failed += 1,
                ItemOutcome::Refused => report.refused += 1,
                ItemOutcome::Cancelled => {
                    report.stopped_early = true;
                    break;
                }
            }
            if outcome == ItemOutcome::Failed {
                failures_in_a_row += 1;
                if failures_in_a_row >= REVISIT_FAILURE_LIMIT {
                    warn!(portal = %self.profile.id, failures = failures_in_a_row, "Portal keeps failing; ending this revisit round early.");
                    report.stopped_early = true;
                    break;
                }
            } else {
                failures_in_a_row = 0;
            }
        }
        report.requests = tally.requests();
        if report.due > 0 {
            info!(
                portal = %self.profile.id,
                due = report.due,
                visited = report.visited,
                not_modified = report.not_modified,
                unchanged = report.unchanged,
                delivered = report.delivered,
                missing = report.missing,
                failed = report.failed,
                "Revisited items."
            );
        }
        Ok(report)
    }

    /// Moves an item's next visit one revisit interval on, without fetching.
    async fn postpone(&self, mut item: CrawlItem, now: DateTime<Utc>) -> Result<(), CrawlError> {
        item.next_visit_at = Some(after(
            now,
            self.options.revisit_interval.max(self.retry_delay()),
        ));
        self.store.upsert_crawl_item(&item).await?;
        Ok(())
    }

    /// The robots.txt policy of `url`'s origin, fetched when not cached or
    /// expired. `None` when cancelled before it could be read.
    async fn robots(
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
                warn!(error = %Chain(&error), url = %robots_url, "Failed to fetch robots.txt; treating every path as disallowed for now.");
                (RobotsPolicy::DisallowAll, ROBOTS_ERROR_TTL)
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
                warn!(url = %robots_url, status = response.status.as_u16(), "robots.txt is unavailable; treating every path as disallowed for now.");
                (RobotsPolicy::DisallowAll, ROBOTS_ERROR_TTL)
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

    /// A list page that arrived but cannot be read, logged.
    fn list_format_error(
        &self,
        section: &SectionProfile,
        url: &Url,
        message: String,
    ) -> CrawlError {
        let error = CrawlError::ListFormat {
            section: section.id.clone(),
            url: url.to_string(),
            message,
        };
        warn!(error = %error, portal = %self.profile.id, url = %url, "Failed to read list page.");
        error
    }

    fn list_fetch_error(&self, section: &SectionProfile, source: FetchError) -> CrawlError {
        let error = CrawlError::ListFetch {
            section: section.id.clone(),
            source,
        };
        warn!(error = %Chain(&error), portal = %self.profile.id, "Failed to fetch list page.");
        error
    }

    /// A URL of the portal from the profile (endpoint, list URL), resolved
    /// against the effective base URL.
    fn portal_url(&self, reference: &str) -> Result<Url, CrawlError> {
        self.base_url
            .join(reference)
            .map(|u| self.rebase(u))
            .map_err(|e| CrawlError::Profile {
                portal: self.profile.id.clone(),
                message: format!("`{reference}` does not resolve against the base URL: {e}"),
            })
    }

    /// The absolute URL of a list entry, if it is on the portal's host.
    fn item_url(&self, page_url: &Url, href: &str) -> Option<Url> {
        let url = self.rebase(page_url.join(href).ok()?);
        (matches!(url.scheme(), "http" | "https") && same_site(&url, &self.base_url)).then_some(url)
    }

    /// Moves a URL on the profile's own host onto the override base URL, so
    /// absolute links of the real site lead to the portal actually polled.
    fn rebase(&self, mut url: Url) -> Url {
        if self.base_url == self.profile_base || !same_site(&url, &self.profile_base) {
            return url;
        }
        let original = url.clone();
        let moved = url.set_scheme(self.base_url.scheme()).is_ok()
            && url.set_host(self.base_url.host_str()).is_ok()
            && url.set_port(self.base_url.port()).is_ok();
        if moved {
            url
        } else {
            original
        }
    }
}

/// Whether two URLs are on one site: the same host, and the same port or
/// both on their scheme's default port.
fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| u.host_str().map(str::to_ascii_lowercase);
    host(a).is_some()
        && host(a) == host(b)
        && (a.port_or_known_default() == b.port_or_known_default()
            || (a.port().is_none() && b.port().is_none()))
}

/// The path and query of a URL, as robots.txt rules match them.
fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Longest schedule step: a century is "never" for a crawler, and keeps
/// timestamps in the range every database stores.
const FAR_FUTURE: TimeDelta = TimeDelta::days(36_525);

/// `now + d`, at most a century ahead.
pub(crate) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let delta = TimeDelta::from_std(d).unwrap_or(FAR_FUTURE).min(FAR_FUTURE);
    now + delta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_on_one_host_and_default_ports_are_one_site() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert!(same_site(
            &u("https://www.shpt.gov.cn/a"),
            &u("http://www.shpt.gov.cn/b")
        ));
        assert!(same_site(
            &u("http://127.0.0.1:8080/a"),
            &u("http://127.0.0.1:8080/")
        ));
        assert!(!same_site(
            &u("http://127.0.0.1:8081/a"),
            &u("http://127.0.0.1:8080/")
        ));
        assert!(!same_site(
            &u("https://www.gov.cn/a"),
            &u("https://www.shpt.gov.cn/")
        ));
    }

    #[test]
    fn far_future_instants_saturate() {
        let now = Utc::now();
        assert_eq!(after(now, Duration::from_secs(u64::MAX)), now + FAR_FUTURE);
        assert_eq!(after(now, Duration::ZERO), now);
    }
}
