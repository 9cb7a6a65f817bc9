//! Fetching one detail page: conditionally when its bytes are held, with
//! the attachments it links, handed on when new or changed (or never
//! decided downstream), and its outcome recorded for the revisit schedule.

use chrono::{DateTime, NaiveDate, Utc};
use govwire_model::canonical::sha256_hex;
use govwire_model::{RawAttachment, RawPage};
use govwire_store::CrawlItem;
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use url::Url;

use super::urls::path_and_query;
use super::{Crawler, ATTACHMENT_ACCEPT, HTML_ACCEPT};
use crate::error::{Chain, CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, Tally};
use crate::schedule::after;
use crate::sink::PageSink;

/// The outcome of fetching one detail page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemOutcome {
    /// New or changed bytes (or a page never decided downstream), handed
    /// on.
    Delivered,
    /// Not a page that can be read (content type, nesting); looked at
    /// again on the slow schedule.
    Refused,
    /// Answered 200 with the bytes already known.
    Unchanged,
    /// Answered 304 Not Modified.
    NotModified,
    /// Answered 404 or 410.
    Missing,
    /// Could not be fetched; recorded for a retry.
    Failed,
    /// The crawler was stopping; nothing recorded.
    Cancelled,
}

/// The detail page to fetch and what the list said of it.
#[derive(Debug, Clone)]
pub(super) struct ItemTarget {
    /// The portal's id of the item.
    pub(super) item_id: String,
    /// Its detail page, on the portal's site.
    pub(super) url: Url,
    /// The title the list shows, if any.
    pub(super) title: Option<String>,
    /// The date the list shows, if any.
    pub(super) published_on: Option<NaiveDate>,
}

impl<S: PageSink> Crawler<S> {
    /// Fetches one detail page (conditionally when it was fetched before),
    /// delivers it when its bytes are new, and records the outcome. Errors
    /// of the fetch are recorded for a retry and reported as
    /// [`ItemOutcome::Failed`]; only store and sink failures are errors.
    pub(super) async fn fetch_item(
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
            portal: self.profile.id.to_string(),
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
                        section: record.section.as_str().into(),
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
                Some(robots) => {
                    attachment.error = Some(match robots.unreadable() {
                        Some(reason) => {
                            format!("not fetched: robots.txt could not be read ({reason})")
                        }
                        None => "not fetched: robots.txt disallows it".into(),
                    });
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
}
