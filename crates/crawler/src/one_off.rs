//! One fetch outside a crawl, for tools that read a single page
//! (`govwire parse URL`): the crawler's own fetch path, so its guards hold
//! there too. Every hop of every request is checked against the address
//! rules, the body is capped after decompression, a page must be HTML
//! shallow enough to read and a linked file a document, and the profile's
//! pacing and WAF detection apply.

use std::time::Duration;

use govwire_model::PortalProfile;
use reqwest::StatusCode;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::crawler::{ATTACHMENT_ACCEPT, HTML_ACCEPT};
use crate::error::{CrawlError, FetchError};
use crate::http::{Expect, FetchRequest, FetchSettings, Fetcher, Tally};
use crate::net::AddressGuard;
use crate::options::CrawlerOptions;

/// Longest wait for a host that asks for one (`Retry-After`, the profile's
/// minimum delay between requests): a person is waiting for the answer, so
/// a longer wait fails the fetch instead.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// Fetches pages and the files they link one at a time, under the crawler's
/// guards and the profile's limits.
#[derive(Debug)]
pub struct OneOffFetcher {
    /// The crawler's fetcher, with its guards.
    fetcher: Fetcher,
    /// Never cancelled: a one-off fetch ends with its process.
    cancel: CancellationToken,
}

/// A page or file a [`OneOffFetcher`] fetched.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub url: Url,
    /// `Content-Type` as sent.
    pub content_type: Option<String>,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl OneOffFetcher {
    /// A fetcher with the crawler's guards and `profile`'s limits (body cap,
    /// timeouts, pacing, block markers). Every address must be public, as
    /// for the crawler, except the `host:port` pairs the profile's
    /// `allow_private` names and, when `allow_private` is given, the host and
    /// port of that URL: the page an operator chose to read on a loopback or
    /// private address, allowed as the crawler allows the host and port of
    /// an operator's base URL override. Redirects and linked files elsewhere
    /// are held to the public rule on every hop.
    pub fn new(
        profile: &PortalProfile,
        user_agent: &str,
        allow_private: Option<&Url>,
    ) -> Result<Self, CrawlError> {
        let mut guard = AddressGuard::new(profile.allow_private.iter().map(String::as_str))
            .map_err(|message| CrawlError::Profile {
                portal: profile.id.to_string(),
                message,
            })?;
        if let Some(url) = allow_private {
            guard.allow_url(url);
        }
        let mut options = CrawlerOptions::new(user_agent);
        options.max_inline_wait = MAX_WAIT;
        let settings = FetchSettings::new(&profile.politeness, &options)?;
        let fetcher = Fetcher::new(settings, guard).map_err(CrawlError::Client)?;
        Ok(Self {
            fetcher,
            cancel: CancellationToken::new(),
        })
    }

    /// Fetches an HTML page; any answer but 200 is an error.
    pub async fn page(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get(url, HTML_ACCEPT, Expect::Html).await
    }

    /// Fetches a file a page links (PDF, Word, a download); any answer but
    /// 200 is an error.
    pub async fn attachment(&self, url: &Url) -> Result<Fetched, FetchError> {
        self.get(url, ATTACHMENT_ACCEPT, Expect::Attachment).await
    }

    async fn get(
        &self,
        url: &Url,
        accept: &'static str,
        expect: Expect,
    ) -> Result<Fetched, FetchError> {
        let request = FetchRequest::get(url.clone(), accept).expecting(expect);
        let response = self
            .fetcher
            .fetch(request, &self.cancel, &Tally::default())
            .await?;
        if response.status != StatusCode::OK {
            return Err(FetchError::Status {
                url: response.url.to_string(),
                status: response.status.as_u16(),
            });
        }
        Ok(Fetched {
            url: response.url,
            content_type: response.content_type,
            body: response.body,
        })
    }
}
