//! Backfill: walking a section's whole history (or a date range of it)
//! through the same path as live polling: known items are skipped, new ones
//! fetched, recorded and handed on exactly as a poll would, so the notifier
//! dedups and versions them as usual. A cursor in the store records the
//! last list page completely handled, so an interrupted backfill resumes
//! there.

use chrono::{NaiveDate, Utc};
use govwire_model::profile::SectionProfile;
use govwire_store::BackfillCursor;
use reqwest::{Method, StatusCode};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use super::{
    item::{ItemOutcome, ItemTarget},
    urls::path_and_query,
    walk::Walk,
    Crawler, StopReason, HTML_ACCEPT,
};
use crate::error::{CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, Tally};
use crate::list::{self, ListPage};
use crate::sink::PageSink;

/// Most list pages one backfill walks: far past any real portal's history
/// (the list API caps its total at 10 000 items), so only a list that never
/// ends reaches it.
const BACKFILL_MAX_PAGES: u32 = 100_000;

/// How far a backfill has got, reported after every list page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillProgress {
    /// The section being walked.
    pub section: String,
    /// The list page just handled.
    pub page: u32,
    /// How many pages the portal claims the list has (its `totalPage`):
    /// a hint for a progress bar, never trusted to end the walk.
    pub pages_hint: Option<u64>,
    /// List entries in the date range seen so far (over every run of this
    /// backfill).
    pub items_seen: u64,
    /// Entries not known before, fetched so far (over every run).
    pub new_items: u64,
}

/// What one run of a backfill did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillReport {
    /// The section walked.
    pub section: String,
    /// The page this run started from when it resumed an interrupted
    /// backfill; `None` for a fresh start.
    pub resumed_from: Option<u32>,
    /// List pages read in this run.
    pub pages: u32,
    /// Entries in the range seen in this run.
    pub items_seen: u64,
    /// Entries not known before, fetched in this run.
    pub new_items: u64,
    /// Pages handed to the sink in this run.
    pub delivered: u64,
    /// New entries that could not be fetched (recorded; the revisits retry
    /// them).
    pub failed: u64,
    /// Entries not fetched: outside the range, on another host, or
    /// disallowed by robots.txt.
    pub skipped: u64,
    /// Whether the whole list has now been walked.
    pub completed: bool,
    /// Why the walk stopped.
    pub stopped_because: StopReason,
}

impl BackfillReport {
    /// A report of a run that has walked nothing yet.
    fn nothing(section: &str) -> Self {
        Self {
            section: section.to_owned(),
            resumed_from: None,
            pages: 0,
            items_seen: 0,
            new_items: 0,
            delivered: 0,
            failed: 0,
            skipped: 0,
            completed: false,
            stopped_because: StopReason::MaxPages,
        }
    }
}

impl<S: PageSink> Crawler<S> {
    /// Walks the list of `section_id` from its newest page to its end,
    /// fetching every item published within `since..=until` (either bound
    /// open) that is not known yet, through the same dedup and recording
    /// path as [`Crawler::poll_section`]. `progress` is called after every
    /// list page. Resumes from the store's cursor when a backfill of the
    /// same section and range was interrupted (one page before it, so
    /// items that moved down the list meanwhile are not missed); a completed
    /// one does nothing. Stops at the end of the list, at a page wholly
    /// older than `since` (lists are newest first), or when `cancel` fires
    /// (the cursor then holds the last page completely handled).
    ///
    /// The backfill holds the section's lease (the same one live polls
    /// take, see [`Crawler::run`]) while it walks, renewing it, so it never
    /// runs beside a poll or another backfill of the section. When another
    /// instance holds it, the backfill waits up to
    /// [`CrawlerOptions::backfill_lease_wait`](crate::CrawlerOptions) for it
    /// to be given back or to expire, then fails with
    /// [`CrawlError::SectionLeased`] naming the holder. The section's poll
    /// schedule is left as it was. Cancelled while waiting, it returns a
    /// report with [`StopReason::Cancelled`] and nothing walked.
    pub async fn backfill(
        &self,
        section_id: &str,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        progress: impl FnMut(&BackfillProgress) + Send,
        cancel: &CancellationToken,
    ) -> Result<BackfillReport, CrawlError> {
        self.section(section_id)?;
        if !self.hold_for_backfill(section_id, cancel).await? {
            let mut report = BackfillReport::nothing(section_id);
            report.stopped_because = StopReason::Cancelled;
            return Ok(report);
        }
        let child = cancel.child_token();
        let work = {
            let child = child.clone();
            async move {
                self.backfill_walk(section_id, since, until, progress, &child)
                    .await
            }
        };
        let result = self.while_leased(section_id, &child, work).await;
        self.unhold(section_id).await;
        let lost = child.is_cancelled() && !cancel.is_cancelled();
        match result {
            Ok(report) if lost && !report.completed => Err(CrawlError::LeaseLost {
                portal: self.profile.id.clone(),
                section: section_id.to_owned(),
            }),
            other => other,
        }
    }

    /// The walk itself, under the section's lease.
    async fn backfill_walk(
        &self,
        section_id: &str,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        mut progress: impl FnMut(&BackfillProgress) + Send,
        cancel: &CancellationToken,
    ) -> Result<BackfillReport, CrawlError> {
        let section = self.section(section_id)?;
        if let (Some(since), Some(until)) = (since, until) {
            if since > until {
                return Err(CrawlError::Options(format!(
                    "backfill range is empty: {since} is after {until}"
                )));
            }
        }
        let portal = self.profile.id.as_str();
        let now = Utc::now();
        let stored = self
            .store
            .backfill_cursor(portal, section_id, since, until)
            .await?;
        let mut report = BackfillReport::nothing(section_id);
        let mut cursor = match stored {
            Some(cursor) if cursor.completed_at.is_some() => {
                info!(
                    portal,
                    section = section_id,
                    ?since,
                    ?until,
                    "This backfill already walked the whole list; nothing to do."
                );
                report.completed = true;
                report.stopped_because = StopReason::AlreadyComplete;
                return Ok(report);
            }
            Some(cursor) => {
                report.resumed_from = Some(cursor.next_page);
                cursor
            }
            None => BackfillCursor {
                portal: portal.to_owned(),
                section: section_id.to_owned(),
                since,
                until,
                next_page: 1,
                items_seen: 0,
                new_items: 0,
                started_at: now,
                updated_at: now,
                completed_at: None,
            },
        };
        let first_page = cursor.next_page.saturating_sub(1).max(1);
        info!(
            portal,
            section = section_id,
            ?since,
            ?until,
            first_page,
            resumed = report.resumed_from.is_some(),
            "Backfill started."
        );

        let tally = Tally::default();
        let mut walk = Walk::default();
        let mut stop = StopReason::MaxPages;
        for page in first_page..=BACKFILL_MAX_PAGES {
            if cancel.is_cancelled() {
                stop = StopReason::Cancelled;
                break;
            }
            let (list_page, page_url) = match self
                .backfill_list_page(section, page, cancel, &tally)
                .await?
            {
                ListFetch::Page(list_page, url) => (list_page, url),
                ListFetch::Ended(reason) => {
                    stop = reason;
                    break;
                }
            };
            report.pages += 1;
            if list_page.entries.is_empty() && list_page.invalid == 0 {
                stop = StopReason::EmptyPage;
                break;
            }
            if list_page.page_no.is_some_and(|no| no < u64::from(page)) {
                stop = StopReason::PageNumberStuck;
                break;
            }
            let ids: Vec<String> = list_page.entries.iter().map(|e| e.id.clone()).collect();
            if walk.previous_ids.as_ref() == Some(&ids) {
                stop = StopReason::RepeatedPage;
                break;
            }
            walk.previous_ids = Some(ids);
            let pages_hint = list_page.total_page;
            let (seen_before, new_before) = (report.items_seen, report.new_items);
            let outcome = self
                .backfill_entries(
                    section,
                    &page_url,
                    list_page,
                    since,
                    until,
                    &mut walk,
                    cancel,
                    &tally,
                    &mut report,
                )
                .await?;
            if outcome == PageOutcome::Cancelled {
                stop = StopReason::Cancelled;
                break;
            }
            cursor.next_page = page.saturating_add(1);
            cursor.updated_at = Utc::now();
            cursor.items_seen = cursor
                .items_seen
                .saturating_add(report.items_seen - seen_before);
            cursor.new_items = cursor
                .new_items
                .saturating_add(report.new_items - new_before);
            self.store.save_backfill_cursor(&cursor).await?;
            progress(&BackfillProgress {
                section: section_id.to_owned(),
                page,
                pages_hint,
                items_seen: cursor.items_seen,
                new_items: cursor.new_items,
            });
            if outcome == PageOutcome::OlderThanRange {
                stop = StopReason::OlderThanRange;
                break;
            }
        }
        report.stopped_because = stop;
        if stop != StopReason::Cancelled {
            cursor.completed_at = Some(Utc::now());
            cursor.updated_at = Utc::now();
            self.store.save_backfill_cursor(&cursor).await?;
            report.completed = true;
        }
        info!(
            portal,
            section = section_id,
            pages = report.pages,
            items_seen = report.items_seen,
            new_items = report.new_items,
            delivered = report.delivered,
            failed = report.failed,
            completed = report.completed,
            stopped_because = ?stop,
            "Backfill stopped."
        );
        Ok(report)
    }

    /// Fetches list page `page` of a section for a backfill.
    async fn backfill_list_page(
        &self,
        section: &SectionProfile,
        page: u32,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Result<ListFetch, CrawlError> {
        let request = match (&section.json_api, &section.html_list) {
            (Some(api), _) => {
                let body = list::render_request(&api.request, &api.channel, page, api.page_size)
                    .map_err(|message| CrawlError::Profile {
                        portal: self.profile.id.clone(),
                        message,
                    })?;
                FetchRequest {
                    method: Method::POST,
                    url: self.portal_url(&api.endpoint)?,
                    json_body: Some(body),
                    accept: "application/json",
                    etag: None,
                    last_modified: None,
                    expect: Expect::Any,
                }
            }
            (None, Some(html)) => {
                let reference = if page == 1 {
                    html.url.clone()
                } else {
                    match &html.page_url {
                        Some(template) => template.replace("{page}", &page.to_string()),
                        None => return Ok(ListFetch::Ended(StopReason::LastPage)),
                    }
                };
                FetchRequest::get(self.portal_url(&reference)?, HTML_ACCEPT)
            }
            (None, None) => {
                return Err(CrawlError::Profile {
                    portal: self.profile.id.clone(),
                    message: format!("section `{}` has no list source", section.id),
                })
            }
        };
        let url = request.url.clone();
        let Some(robots) = self.robots(&url, cancel, tally).await else {
            return Ok(ListFetch::Ended(StopReason::Cancelled));
        };
        if !robots.allows(&path_and_query(&url)) {
            warn!(portal = %self.profile.id, section = %section.id, url = %url, "robots.txt disallows this list page; the backfill stops here.");
            return Ok(ListFetch::Ended(StopReason::DisallowedByRobots));
        }
        let response = match self.fetcher.fetch(request, cancel, tally).await {
            Ok(response) => response,
            Err(FetchError::Cancelled) => return Ok(ListFetch::Ended(StopReason::Cancelled)),
            Err(source) => return Err(self.list_fetch_error(section, source)),
        };
        match response.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND | StatusCode::GONE if page > 1 && section.html_list.is_some() => {
                return Ok(ListFetch::Ended(StopReason::LastPage));
            }
            other => {
                let source = FetchError::Status {
                    url: response.url.to_string(),
                    status: other.as_u16(),
                };
                return Err(self.list_fetch_error(section, source));
            }
        }
        let list_page = match (&section.json_api, self.selectors.get(&section.id)) {
            (Some(api), _) => {
                list::parse_json_list(&response.body, &api.fields).map_err(|message| {
                    let error = CrawlError::ListFormat {
                        section: section.id.clone(),
                        url: response.url.to_string(),
                        message,
                    };
                    warn!(error = %error, portal = %self.profile.id, "Failed to read list page.");
                    error
                })?
            }
            (None, Some(selectors)) => list::parse_html_list(
                &response.body,
                response.content_type.as_deref(),
                &response.url,
                selectors,
            )
            .map_err(|message| self.list_format_error(section, &response.url, message))?,
            (None, None) => {
                return Err(CrawlError::Profile {
                    portal: self.profile.id.clone(),
                    message: format!("section `{}` has no compiled selectors", section.id),
                })
            }
        };
        let base = if section.json_api.is_some() {
            self.base_url.clone()
        } else {
            response.url.clone()
        };
        Ok(ListFetch::Page(list_page, base))
    }

    /// Handles the entries of one backfill list page.
    #[allow(clippy::too_many_arguments)]
    async fn backfill_entries(
        &self,
        section: &SectionProfile,
        page_url: &Url,
        page: ListPage,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        walk: &mut Walk,
        cancel: &CancellationToken,
        tally: &Tally,
        report: &mut BackfillReport,
    ) -> Result<PageOutcome, CrawlError> {
        report.skipped += u64::from(page.invalid);
        let (mut dated, mut older) = (0u32, 0u32);
        let mut candidates = Vec::new();
        for entry in page.entries {
            if let Some(date) = entry.published_on {
                dated += 1;
                if since.is_some_and(|since| date < since) {
                    older += 1;
                    report.skipped += 1;
                    continue;
                }
                if until.is_some_and(|until| date > until) {
                    report.skipped += 1;
                    continue;
                }
            }
            let Some(url) = self.item_url(page_url, &entry.href) else {
                debug!(section = %section.id, item_id = %entry.id, href = %entry.href, "Skipping an item on another host.");
                report.skipped += 1;
                continue;
            };
            if !walk.seen.insert(entry.id.clone()) {
                continue;
            }
            report.items_seen += 1;
            candidates.push(ItemTarget {
                item_id: entry.id,
                url,
                title: entry.title,
                published_on: entry.published_on,
            });
        }
        let ids: Vec<String> = candidates.iter().map(|c| c.item_id.clone()).collect();
        let known = self.store.known_items(&self.profile.id, &ids).await?;
        let robots = match candidates.first() {
            Some(first) => match self.robots(&first.url, cancel, tally).await {
                Some(robots) => Some(robots),
                None => return Ok(PageOutcome::Cancelled),
            },
            None => None,
        };
        for target in candidates {
            if known.contains(&target.item_id) {
                continue;
            }
            if cancel.is_cancelled() {
                return Ok(PageOutcome::Cancelled);
            }
            if robots
                .as_ref()
                .is_some_and(|r| !r.allows(&path_and_query(&target.url)))
            {
                report.skipped += 1;
                continue;
            }
            report.new_items += 1;
            match self
                .fetch_item(&section.id, target, None, cancel, tally)
                .await?
            {
                ItemOutcome::Delivered => report.delivered += 1,
                ItemOutcome::Failed | ItemOutcome::Refused => report.failed += 1,
                ItemOutcome::Missing | ItemOutcome::Unchanged | ItemOutcome::NotModified => {}
                ItemOutcome::Cancelled => {
                    report.new_items -= 1;
                    return Ok(PageOutcome::Cancelled);
                }
            }
        }
        Ok(if dated > 0 && older == dated {
            PageOutcome::OlderThanRange
        } else {
            PageOutcome::Handled
        })
    }
}

/// A backfill list page, or why there is none.
enum ListFetch {
    /// The page read, with the URL its links resolve against.
    Page(ListPage, Url),
    /// The list ended (or the walk was cancelled) before this page.
    Ended(StopReason),
}

/// How handling one backfill page ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageOutcome {
    /// Every entry handled.
    Handled,
    /// Every entry handled, and every dated one was older than the range.
    OlderThanRange,
    /// Cancelled part-way; the page is handled again on resume.
    Cancelled,
}
