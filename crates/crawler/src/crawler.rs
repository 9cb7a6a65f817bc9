//! The crawler: polls sections, fetches new items, revisits known ones.
//!
//! [`Crawler`] and its reports live here, with [`Crawler::run`], the loop
//! that polls and revisits on the shared schedule. The rest is one concern a
//! file, each an `impl` block of [`Crawler`]:
//! - `lease`: leases of sections and revisit rounds in the store, and when
//!   to look at the schedule again.
//! - `poll`: one poll of a section and its record in the section health.
//! - `walk`: the one walk of a section's list pages, used by polls and
//!   backfills alike, with the rule that stops it.
//! - `item`: fetching one detail page with its attachments, handing it on,
//!   recording its outcome.
//! - `revisit`: revisit rounds over known items that fell due.
//! - `backfill`: walking a section's whole history from a resumable cursor.
//! - `robots_cache`: robots.txt per origin.
//! - `urls`: resolving, rebasing and checking URLs of the portal.

mod backfill;
mod item;
mod lease;
mod poll;
mod revisit;
mod robots_cache;
mod urls;
mod walk;

pub use backfill::{BackfillProgress, BackfillReport};

use std::collections::HashMap;
use std::time::Duration;

use govwire_model::profile::SectionProfile;
use govwire_model::PortalProfile;
use govwire_retry::{Backoff, LogThrottle};
use govwire_store::Store;
use tokio::sync::Mutex as AsyncMutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};
use url::Url;

use crate::error::{Chain, CrawlError};
use crate::http::{FetchSettings, Fetcher, Tally};
use crate::list::{self, HtmlSelectors};
use crate::net::AddressGuard;
use crate::options::CrawlerOptions;
use crate::sink::PageSink;
use robots_cache::CachedRobots;
use walk::WalkCounts;

/// Longest sleep of [`Crawler::run`] between looks at the revisit schedule;
/// items fall due continuously, and asking the store is cheap.
const REVISIT_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// First wait of [`Crawler::run`] after a round in which the store failed
/// (it doubles with each such round in a row, up to [`STORE_RETRY_CAP`]):
/// without it, a store that refuses writes (claims fail at once) made the
/// loop spin, logging hundreds of warnings a second.
const STORE_RETRY_BASE: Duration = Duration::from_millis(500);

/// Longest wait of [`Crawler::run`] between rounds while the store keeps
/// failing: short enough to resume within seconds of it healing.
const STORE_RETRY_CAP: Duration = Duration::from_secs(10);

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
    /// List pages read a second time, once the page behind them was read,
    /// for entries that slid onto them meanwhile (a reply withdrawn above
    /// them moves the list up). Only walks that take unknown items do this.
    pub list_rereads: u32,
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
    /// The report of a walk that did what `counts` and `tally` say; its
    /// stop reason is set once the walk is known to have ended well.
    fn new(counts: &WalkCounts, tally: &Tally) -> Self {
        Self {
            requests: tally.requests(),
            list_pages: counts.list_pages,
            list_rereads: counts.list_rereads,
            not_modified: tally.not_modified(),
            new_items: counts.new_items,
            delivered: counts.delivered,
            skipped: counts.skipped,
            missing: counts.missing,
            failed: counts.failed,
            refused: counts.refused,
            listed: counts.listed,
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
            portal: profile.id.to_string(),
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
                selectors.insert(section.id.to_string(), compiled);
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
        if let Err(error) = self.log_next_polls().await {
            warn!(error = %Chain(&error), portal = %self.profile.id, "Failed to read the section schedule.");
        }
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

    /// The profile's section `section_id`.
    fn section(&self, section_id: &str) -> Result<&SectionProfile, CrawlError> {
        self.profile
            .sections
            .iter()
            .find(|s| s.id == section_id)
            .ok_or_else(|| CrawlError::UnknownSection {
                portal: self.profile.id.to_string(),
                section: section_id.to_owned(),
            })
    }

    /// How often each section is polled: the option, else the profile's.
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
}
