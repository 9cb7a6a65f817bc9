//! The one walk of a section's list pages, for polls and backfills alike:
//! fetch a list page (a POST to the JSON list API, or a GET of an HTML list
//! page), read its entries, fetch the items not known yet, record how far
//! the walk got, and go on until the list ends or the walk's [`StopRule`]
//! ends it.
//!
//! The list itself ends a walk the same way for both: an empty page, a page
//! repeating the one before, an API whose `pageNo` stays behind the page
//! asked for, an HTML list with no further page (or a 404 past its end),
//! robots.txt disallowing the next page, or the page limit.
//!
//! A list is not a snapshot: a reply withdrawn above the page being read
//! moves every later entry up one place, and the first entry of the next
//! page slides onto the page already read. So wherever the walk is taking
//! unknown items, it reads the page before again once it has the next one
//! (and once the list has ended), and takes what slid onto it. An entry is
//! then missed only if more than a whole page is withdrawn above it in the
//! time between two list requests.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

use futures_util::StreamExt;

use chrono::{NaiveDate, Utc};
use govwire_model::profile::{HtmlListSection, JsonApiSection, SectionProfile};
use govwire_store::Validators;
use reqwest::{Method, StatusCode};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use super::item::{ItemOutcome, ItemTarget};
use super::urls::path_and_query;
use super::{Crawler, StopReason, HTML_ACCEPT};
use crate::error::{Chain, CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, Tally};
use crate::list::{self, HtmlSelectors, ListPage};
use crate::robots::RobotsPolicy;
use crate::sink::PageSink;
use rule::{Ask, HandledPage};

mod rule;

pub use rule::BackfillProgress;
pub(super) use rule::{first_page, StopRule};

/// What a walk did, counted as it goes, so a walk that fails part-way
/// still reports what it handled.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct WalkCounts {
    /// List pages received and read.
    pub(super) list_pages: u32,
    /// List pages read again, after the page behind them, for entries that
    /// slid onto them while the list was walked.
    pub(super) list_rereads: u32,
    /// Entries the list showed over the pages read, before any were
    /// skipped.
    pub(super) listed: u32,
    /// Entries fetched or found known: in the range, on the portal's site,
    /// and not met earlier in this walk.
    pub(super) items_seen: u64,
    /// Items not known before that the walk tried to fetch.
    pub(super) new_items: u32,
    /// Pages handed to the sink.
    pub(super) delivered: u32,
    /// Entries not fetched: without id or URL, outside the range, on
    /// another host, or disallowed by robots.txt.
    pub(super) skipped: u32,
    /// New items whose page is gone (404/410) already.
    pub(super) missing: u32,
    /// New items that could not be fetched (recorded for a retry).
    pub(super) failed: u32,
    /// New items refused for their content.
    pub(super) refused: u32,
}

/// A list page fetched and read.
struct ReadPage {
    /// Its entries.
    list: ListPage,
    /// The robots.txt of its origin, which its items are checked against.
    robots: Arc<RobotsPolicy>,
    /// The URL its links resolve against.
    base: Url,
    /// The validators of the first page of a poll, to store once the walk
    /// recorded every new item.
    validators: Option<(Url, Validators)>,
}

/// A list page completely handled, as the walk's progress records it.
#[derive(Debug, Clone, Copy)]
struct PageDone {
    /// The page.
    page: u32,
    /// How many pages the portal claims the list has.
    pages_hint: Option<u64>,
    /// Entries seen on it (in range, on the site, new to this walk).
    items_seen: u64,
    /// Entries not known before, fetched from it.
    new_items: u32,
    /// Whether the stop rule ends the walk after it.
    ends_walk: bool,
}

/// What a walk reads a section's list pages with, to read one again.
struct ListContext<'s> {
    /// The section walked.
    section: &'s SectionProfile,
    /// Where its list pages come from.
    source: &'s ListSource<'s>,
    /// The date range entries must be in to be fetched, if any.
    range: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
    /// Cancels the walk.
    cancel: &'s CancellationToken,
    /// The walk's request counts.
    tally: &'s Tally,
}

/// Why the list ended at `page`, read as `list`, if it did: an empty page,
/// an API whose `pageNo` stays behind the page asked for, or a page
/// repeating the one before (`previous_ids`).
fn list_end(
    section: &SectionProfile,
    page: u32,
    list: &ListPage,
    previous_ids: Option<&Vec<String>>,
) -> Option<StopReason> {
    if list.entries.is_empty() && list.invalid == 0 {
        return Some(StopReason::EmptyPage);
    }
    if list.page_no.is_some_and(|no| no < u64::from(page)) {
        debug!(section = %section.id, page, page_no = ?list.page_no, "The API's page number is stuck; the list ended.");
        return Some(StopReason::PageNumberStuck);
    }
    let repeats = previous_ids.is_some_and(|previous| {
        previous.len() == list.entries.len()
            && previous
                .iter()
                .zip(&list.entries)
                .all(|(id, e)| *id == e.id)
    });
    if repeats {
        debug!(section = %section.id, "The list repeats its previous page; the list ended.");
        return Some(StopReason::RepeatedPage);
    }
    None
}

/// Where a section's list pages come from.
enum ListSource<'s> {
    /// A JSON list API, asked by POST.
    Json {
        /// The section's API settings.
        api: &'s JsonApiSection,
        /// The API's URL, resolved against the base URL.
        endpoint: Url,
    },
    /// HTML list pages, read with the section's compiled selectors.
    Html {
        /// The section's list URLs.
        html: &'s HtmlListSection,
        /// The section's selectors, compiled when the crawler was built.
        selectors: &'s HtmlSelectors,
    },
}

impl<S: PageSink> Crawler<S> {
    /// Walks the list of `section` from the first page `rule` gives,
    /// handing new items on, until the list ends or `rule` ends the walk.
    /// `counts` holds what was done even when the walk fails part-way.
    /// A cancelled walk returns [`StopReason::Cancelled`], its handled
    /// pages recorded.
    pub(super) async fn walk(
        &self,
        section: &SectionProfile,
        mut rule: StopRule<'_>,
        cancel: &CancellationToken,
        tally: &Tally,
        counts: &mut WalkCounts,
    ) -> Result<StopReason, CrawlError> {
        let source = self.list_source(section)?;
        let lists = ListContext {
            section,
            source: &source,
            range: rule.range(),
            cancel,
            tally,
        };
        // Ids met in this walk, so an item that moves between pages while
        // the list is walked is fetched once.
        let mut seen = HashSet::new();
        // Ids of every entry the list showed in this walk, fetched or not,
        // so a page read again gives only what slid onto it.
        let mut shown = HashSet::new();
        // Ids of the previous page, to notice an API repeating its last page.
        let mut previous_ids: Option<Vec<String>> = None;
        // The first page's validators are stored only once the whole walk
        // has recorded every new item, so a 304 never hides an item.
        let mut first_page_validators: Option<(Url, Validators)> = None;
        // The page handled last, and whether it held unknown items.
        let mut last: Option<(u32, bool)> = None;
        let mut stop = StopReason::MaxPages;
        for page in rule.pages(section) {
            if cancel.is_cancelled() {
                return Ok(StopReason::Cancelled);
            }
            let read = self
                .read_list_page(section, &source, page, rule.asks(page), cancel, tally)
                .await?;
            let ReadPage {
                list: list_page,
                robots,
                base,
                validators,
            } = match read {
                ControlFlow::Continue(page) => page,
                ControlFlow::Break(StopReason::Cancelled) => return Ok(StopReason::Cancelled),
                ControlFlow::Break(reason) => {
                    stop = reason;
                    break;
                }
            };
            if validators.is_some() {
                first_page_validators = validators;
            }
            counts.list_pages += 1;
            let before = *counts;
            if let Some(reason) = list_end(section, page, &list_page, previous_ids.as_ref()) {
                stop = reason;
                break;
            }
            previous_ids = Some(list_page.entries.iter().map(|e| e.id.clone()).collect());
            shown.extend(list_page.entries.iter().map(|e| e.id.clone()));
            // Entries that slid onto the page before while this one was
            // asked for are on it now. Where the walk meets nothing unknown
            // on either page it is among known items, and does not look.
            let look_back = match last {
                Some((last_page, true)) => Some(last_page),
                Some((last_page, false)) if self.has_unknown(&list_page, &seen).await? => {
                    Some(last_page)
                }
                _ => None,
            };
            if self
                .take_slid(&lists, look_back, &mut seen, &mut shown, counts)
                .await?
                .is_break()
            {
                return Ok(StopReason::Cancelled);
            }
            let pages_hint = list_page.total_page;
            let Some(handled) = self
                .take_page(
                    section,
                    &base,
                    list_page,
                    lists.range,
                    &robots,
                    &mut seen,
                    cancel,
                    tally,
                    counts,
                )
                .await?
            else {
                return Ok(StopReason::Cancelled);
            };
            last = Some((page, handled.new > 0));
            let ends = rule.after_page(page, &handled, section);
            let done = PageDone {
                page,
                pages_hint,
                items_seen: counts.items_seen - before.items_seen,
                new_items: counts.new_items - before.new_items,
                ends_walk: ends.is_some(),
            };
            self.record_page(section, &mut rule, done).await?;
            if let Some(reason) = ends {
                return self.finish_walk(reason, first_page_validators).await;
            }
        }
        // The list ended (or the page limit was reached): what slid onto
        // the last page handled from behind it is on it now.
        let look_back = last
            .filter(|&(_, had_new)| had_new)
            .map(|(last_page, _)| last_page);
        if self
            .take_slid(&lists, look_back, &mut seen, &mut shown, counts)
            .await?
            .is_break()
        {
            return Ok(StopReason::Cancelled);
        }
        self.finish_walk(stop, first_page_validators).await
    }

    /// Ends a walk that stopped for `stop`: the first page's validators are
    /// stored now that every new item is recorded.
    async fn finish_walk(
        &self,
        stop: StopReason,
        first_page_validators: Option<(Url, Validators)>,
    ) -> Result<StopReason, CrawlError> {
        if let Some((url, validators)) = first_page_validators {
            self.store
                .set_http_validators(url.as_str(), &validators)
                .await?;
        }
        Ok(stop)
    }

    /// Fetches and reads list page `page` of `section`, checked against
    /// robots.txt and asked as `ask` says, or says why the list ended
    /// before it: statuses that end a list (a 304 on the first page, a 404
    /// or 410 past it on an HTML list) end the walk; any other failure is
    /// an error.
    async fn read_list_page(
        &self,
        section: &SectionProfile,
        source: &ListSource<'_>,
        page: u32,
        ask: Ask,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Result<ControlFlow<StopReason, ReadPage>, CrawlError> {
        let Some(url) = self.list_page_url(source, page)? else {
            return Ok(ControlFlow::Break(StopReason::LastPage));
        };
        let Some(robots) = self.robots(&url, cancel, tally).await else {
            return Ok(ControlFlow::Break(StopReason::Cancelled));
        };
        if let Some(reason) = robots.unreadable() {
            return Err(CrawlError::RobotsUnreadable {
                origin: url.origin().ascii_serialization(),
                reason: reason.to_owned(),
            });
        }
        if !robots.allows(&path_and_query(&url)) {
            warn!(portal = %self.profile.id, section = %section.id, url = %url, "robots.txt disallows this list page; the walk stops here.");
            return Ok(ControlFlow::Break(StopReason::DisallowedByRobots));
        }
        let html = matches!(source, ListSource::Html { .. });
        let stored = if html && ask.conditionally {
            self.store.http_validators(url.as_str()).await?
        } else {
            None
        };
        let request = match source {
            ListSource::Json { api, .. } => {
                let body = list::render_request(&api.request, &api.channel, page, api.page_size)
                    .map_err(|message| CrawlError::Profile {
                        portal: self.profile.id.to_string(),
                        message,
                    })?;
                FetchRequest {
                    method: Method::POST,
                    url: url.clone(),
                    json_body: Some(body),
                    accept: "application/json",
                    etag: None,
                    last_modified: None,
                    expect: Expect::Any,
                }
            }
            ListSource::Html { .. } => FetchRequest::get(url.clone(), HTML_ACCEPT).conditional(
                stored.as_ref().and_then(|v| v.etag.as_deref()),
                stored.as_ref().and_then(|v| v.last_modified.as_deref()),
            ),
        };
        let response = match self.fetcher.fetch(request, cancel, tally).await {
            Ok(response) => response,
            Err(FetchError::Cancelled) => return Ok(ControlFlow::Break(StopReason::Cancelled)),
            Err(source) => return Err(self.list_fetch_error(section, source)),
        };
        match response.status {
            StatusCode::OK => {}
            StatusCode::NOT_MODIFIED if page == 1 && stored.is_some() => {
                debug!(section = %section.id, url = %url, "List unchanged since the last poll.");
                return Ok(ControlFlow::Break(StopReason::NotModified));
            }
            StatusCode::NOT_FOUND | StatusCode::GONE if html && page > 1 => {
                return Ok(ControlFlow::Break(StopReason::LastPage));
            }
            other => {
                let source = FetchError::Status {
                    url: response.url.to_string(),
                    status: other.as_u16(),
                };
                return Err(self.list_fetch_error(section, source));
            }
        }
        let validators = (html
            && ask.keeping_validators
            && (response.etag.is_some() || response.last_modified.is_some()))
        .then(|| {
            let validators = Validators {
                etag: response.etag.clone(),
                last_modified: response.last_modified.clone(),
            };
            (url, validators)
        });
        let (list, base) = match source {
            ListSource::Json { api, .. } => (
                list::parse_json_list(&response.body, &api.fields),
                self.base_url.clone(),
            ),
            ListSource::Html { selectors, .. } => (
                list::parse_html_list(
                    &response.body,
                    response.content_type.as_deref(),
                    &response.url,
                    selectors,
                ),
                response.url.clone(),
            ),
        };
        let list =
            list.map_err(|message| self.list_format_error(section, &response.url, message))?;
        Ok(ControlFlow::Continue(ReadPage {
            list,
            robots,
            base,
            validators,
        }))
    }

    /// Whether `list` shows an entry neither met in this walk (`seen`) nor
    /// known to the store.
    async fn has_unknown(
        &self,
        list: &ListPage,
        seen: &HashSet<String>,
    ) -> Result<bool, CrawlError> {
        let ids: Vec<String> = list
            .entries
            .iter()
            .filter(|e| !seen.contains(&e.id))
            .map(|e| e.id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(false);
        }
        let known = self.store.known_items(&self.profile.id, &ids).await?;
        Ok(ids.iter().any(|id| !known.contains(id)))
    }

    /// Reads list page `page` again, after the page behind it, and takes the
    /// entries that slid onto it from there meanwhile (a reply withdrawn
    /// above it moved the list up): each is fetched as on any page, and
    /// counted in `govwire_crawler_list_shifts_total`. A page that is gone
    /// now (the list shrank) has nothing to give; no page (`None`), nothing
    /// to do. `Break` when cancelled.
    async fn take_slid(
        &self,
        lists: &ListContext<'_>,
        page: Option<u32>,
        seen: &mut HashSet<String>,
        shown: &mut HashSet<String>,
        counts: &mut WalkCounts,
    ) -> Result<ControlFlow<()>, CrawlError> {
        let Some(page) = page else {
            return Ok(ControlFlow::Continue(()));
        };
        let (section, cancel, tally) = (lists.section, lists.cancel, lists.tally);
        let ask = Ask {
            conditionally: false,
            keeping_validators: false,
        };
        let read = self
            .read_list_page(section, lists.source, page, ask, cancel, tally)
            .await?;
        let read = match read {
            ControlFlow::Continue(read) => read,
            ControlFlow::Break(StopReason::Cancelled) => return Ok(ControlFlow::Break(())),
            ControlFlow::Break(_) => return Ok(ControlFlow::Continue(())),
        };
        counts.list_rereads += 1;
        if list_end(section, page, &read.list, None) == Some(StopReason::PageNumberStuck) {
            return Ok(ControlFlow::Continue(()));
        }
        // Only the entries the walk was not shown before are taken, so
        // nothing is counted twice.
        let mut list = read.list;
        list.entries.retain(|e| shown.insert(e.id.clone()));
        list.invalid = 0;
        let slid = list.entries.len();
        if slid == 0 {
            return Ok(ControlFlow::Continue(()));
        }
        info!(portal = %self.profile.id, section = %section.id, page, entries = slid, "The list moved up while it was walked; taking the entries that slid onto the page before.");
        metrics::counter!("govwire_crawler_list_shifts_total", "portal" => self.profile.id.to_string(), "section" => section.id.to_string()).increment(slid as u64);
        let taken = self
            .take_page(
                section,
                &read.base,
                list,
                lists.range,
                &read.robots,
                seen,
                cancel,
                tally,
                counts,
            )
            .await?;
        Ok(match taken {
            Some(_) => ControlFlow::Continue(()),
            None => ControlFlow::Break(()),
        })
    }

    /// Records that a list page was completely handled, where `rule` keeps
    /// a walk's progress: a poll's in `crawl_walks` (except the page that
    /// ends the walk, which is completed right after), a backfill's in its
    /// cursor, then told to its `progress`.
    async fn record_page(
        &self,
        section: &SectionProfile,
        rule: &mut StopRule<'_>,
        done: PageDone,
    ) -> Result<(), CrawlError> {
        match rule {
            StopRule::KnownItems { .. } if done.ends_walk => {}
            StopRule::KnownItems { .. } => {
                self.store
                    .walk_page_done(&self.profile.id, &section.id, done.page, Utc::now())
                    .await?;
            }
            StopRule::EndOfList {
                cursor, progress, ..
            } => {
                cursor.next_page = done.page.saturating_add(1);
                cursor.updated_at = Utc::now();
                cursor.items_seen = cursor.items_seen.saturating_add(done.items_seen);
                cursor.new_items = cursor.new_items.saturating_add(u64::from(done.new_items));
                self.store.save_backfill_cursor(cursor).await?;
                progress(&BackfillProgress {
                    section: section.id.to_string(),
                    page: done.page,
                    pages_hint: done.pages_hint,
                    items_seen: cursor.items_seen,
                    new_items: cursor.new_items,
                });
            }
        }
        Ok(())
    }

    /// Where the list pages of `section` come from.
    fn list_source<'s>(
        &'s self,
        section: &'s SectionProfile,
    ) -> Result<ListSource<'s>, CrawlError> {
        match (&section.json_api, &section.html_list) {
            (Some(api), _) => Ok(ListSource::Json {
                api,
                endpoint: self.portal_url(&api.endpoint)?,
            }),
            (None, Some(html)) => {
                let selectors =
                    self.selectors
                        .get(section.id.as_str())
                        .ok_or_else(|| CrawlError::Profile {
                            portal: self.profile.id.to_string(),
                            message: format!("section `{}` has no compiled selectors", section.id),
                        })?;
                Ok(ListSource::Html { html, selectors })
            }
            (None, None) => Err(CrawlError::Profile {
                portal: self.profile.id.to_string(),
                message: format!("section `{}` has no list source", section.id),
            }),
        }
    }

    /// The URL of list page `page`; `None` when an HTML list has no
    /// further page.
    fn list_page_url(&self, source: &ListSource<'_>, page: u32) -> Result<Option<Url>, CrawlError> {
        match source {
            ListSource::Json { endpoint, .. } => Ok(Some(endpoint.clone())),
            ListSource::Html { html, .. } if page == 1 => self.portal_url(&html.url).map(Some),
            ListSource::Html { html, .. } => match &html.page_url {
                Some(template) => self
                    .portal_url(&template.replace("{page}", &page.to_string()))
                    .map(Some),
                None => Ok(None),
            },
        }
    }

    /// Handles the entries of one list page: the ones in `range` (when
    /// given), on the portal's site and not known yet are fetched and
    /// handed on. `None` when cancelled part-way; the page is then handled
    /// again by the walk that resumes this one.
    #[allow(clippy::too_many_arguments)]
    async fn take_page(
        &self,
        section: &SectionProfile,
        page_url: &Url,
        page: ListPage,
        range: Option<(Option<NaiveDate>, Option<NaiveDate>)>,
        robots: &RobotsPolicy,
        seen: &mut HashSet<String>,
        cancel: &CancellationToken,
        tally: &Tally,
        counts: &mut WalkCounts,
    ) -> Result<Option<HandledPage>, CrawlError> {
        counts.listed = counts
            .listed
            .saturating_add(u32::try_from(page.entries.len()).unwrap_or(u32::MAX))
            .saturating_add(page.invalid);
        if page.invalid > 0 {
            debug!(section = %section.id, url = %page_url, invalid = page.invalid, "Skipping list entries without an id or a URL.");
            counts.skipped += page.invalid;
        }

        let mut handled = HandledPage::default();
        let mut candidates = Vec::new();
        for entry in page.entries {
            if let (Some((since, until)), Some(date)) = (range, entry.published_on) {
                handled.dated += 1;
                if since.is_some_and(|since| date < since) {
                    handled.older += 1;
                    counts.skipped += 1;
                    continue;
                }
                if until.is_some_and(|until| date > until) {
                    counts.skipped += 1;
                    continue;
                }
            }
            let Some(url) = self.item_url(page_url, &entry.href) else {
                debug!(section = %section.id, item_id = %entry.id, href = %entry.href, "Skipping an item on another host.");
                counts.skipped += 1;
                continue;
            };
            if !seen.insert(entry.id.clone()) {
                handled.known += 1;
                continue;
            }
            counts.items_seen += 1;
            candidates.push(ItemTarget {
                item_id: entry.id,
                url,
                title: entry.title,
                published_on: entry.published_on,
            });
        }
        let ids: Vec<String> = candidates.iter().map(|c| c.item_id.clone()).collect();
        let known = self.store.known_items(&self.profile.id, &ids).await?;

        let mut wanted = Vec::new();
        for target in candidates {
            if known.contains(&target.item_id) {
                handled.known += 1;
                continue;
            }
            if !robots.allows(&path_and_query(&target.url)) {
                info!(portal = %self.profile.id, section = %section.id, item_id = %target.item_id, url = %target.url, "robots.txt disallows this item; skipping it.");
                counts.skipped += 1;
                continue;
            }
            wanted.push(target);
        }
        // The page's new items are fetched `concurrency` at a time (the
        // fetcher holds a host to that and to its delay); their outcomes
        // are taken in the list's order.
        let mut fetches = futures_util::stream::iter(wanted.into_iter().map(|target| {
            info!(portal = %self.profile.id, section = %section.id, item_id = %target.item_id, url = %target.url, "New item.");
            self.fetch_item(&section.id, target, None, cancel, tally)
        }))
        .buffered(self.fetcher.concurrency());
        while let Some(outcome) = fetches.next().await {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            handled.new += 1;
            counts.new_items += 1;
            match outcome? {
                ItemOutcome::Delivered => counts.delivered += 1,
                ItemOutcome::Missing => counts.missing += 1,
                ItemOutcome::Failed => counts.failed += 1,
                ItemOutcome::Refused => counts.refused += 1,
                ItemOutcome::Unchanged | ItemOutcome::NotModified => {}
                ItemOutcome::Cancelled => {
                    counts.new_items -= 1;
                    return Ok(None);
                }
            }
        }
        Ok(Some(handled))
    }

    /// A list page that arrived but cannot be read, logged.
    fn list_format_error(
        &self,
        section: &SectionProfile,
        url: &Url,
        message: String,
    ) -> CrawlError {
        let error = CrawlError::ListFormat {
            section: section.id.to_string(),
            url: url.to_string(),
            message,
        };
        warn!(error = %error, portal = %self.profile.id, url = %url, "Failed to read list page.");
        error
    }

    /// A list page that could not be fetched, logged.
    fn list_fetch_error(&self, section: &SectionProfile, source: FetchError) -> CrawlError {
        let error = CrawlError::ListFetch {
            section: section.id.to_string(),
            source,
        };
        warn!(error = %Chain(&error), portal = %self.profile.id, "Failed to fetch list page.");
        error
    }
}
