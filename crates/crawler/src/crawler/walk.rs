//! Walking a section's list pages: fetch a list page (a POST to the JSON
//! list API, or a GET of an HTML list page), read its entries, fetch the
//! items not known yet, record how far the walk got.

use std::collections::HashSet;

use chrono::Utc;
use govwire_model::profile::{HtmlListSection, JsonApiSection, SectionProfile};
use govwire_store::Validators;
use reqwest::{Method, StatusCode};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use super::item::{ItemOutcome, ItemTarget};
use super::urls::path_and_query;
use super::{Crawler, PollReport, StopReason, HTML_ACCEPT};
use crate::error::{Chain, CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, Tally};
use crate::list::{self, ListPage};
use crate::robots::RobotsPolicy;
use crate::sink::PageSink;

/// State of one walk over a section's list pages.
#[derive(Debug, Default)]
pub(super) struct Walk {
    /// Ids met in this poll, so an item that moves between pages while the
    /// list is walked is fetched once.
    pub(super) seen: HashSet<String>,
    /// Ids of the previous page, to notice an API repeating its last page.
    pub(super) previous_ids: Option<Vec<String>>,
    /// Pages still to walk after the first page of known items.
    pub(super) overlap_left: Option<u32>,
    /// The list page being handled.
    pub(super) page: u32,
    /// The first list page an interrupted walk before this one had not
    /// completely handled: until the walk is there, a page of known items
    /// does not end it (0 when the last walk completed).
    pub(super) must_reach: u32,
}

impl Walk {
    /// A walk that may end at a page of known items only from page
    /// `must_reach` on.
    pub(super) fn resuming(must_reach: u32) -> Self {
        Self {
            must_reach,
            ..Self::default()
        }
    }
}

impl<S: PageSink> Crawler<S> {
    pub(super) async fn walk_json(
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

    pub(super) async fn walk_html(
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
    pub(super) async fn page_done(
        &self,
        section: &SectionProfile,
        page: u32,
    ) -> Result<(), CrawlError> {
        self.store
            .walk_page_done(&self.profile.id, &section.id, page, Utc::now())
            .await?;
        Ok(())
    }

    /// Handles the entries of one list page; returns why the walk stops, if
    /// it does.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn take_page(
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

    /// A list page that arrived but cannot be read, logged.
    pub(super) fn list_format_error(
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

    pub(super) fn list_fetch_error(
        &self,
        section: &SectionProfile,
        source: FetchError,
    ) -> CrawlError {
        let error = CrawlError::ListFetch {
            section: section.id.clone(),
            source,
        };
        warn!(error = %Chain(&error), portal = %self.profile.id, "Failed to fetch list page.");
        error
    }
}
