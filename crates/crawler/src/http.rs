//! HTTP for the crawler: one client, polite pacing per host, bounded bodies,
//! guarded redirects, and back-off when a portal struggles.
//!
//! Every request goes through [`Fetcher::fetch`]. It holds one of the host's
//! permits for the whole exchange (the profile's `politeness.concurrency`,
//! one by default: that many requests in flight per host), waits out the
//! host's minimum delay since the last request started or ended and any
//! back-off, checks the address of every hop
//! against the [`AddressGuard`], follows at most [`MAX_REDIRECTS`] redirects
//! itself, and reads the body as a stream, stopping at the size limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::Rng;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Mutex as AsyncMutex;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};
use url::Url;

use govwire_model::profile::Politeness;

use crate::error::{CrawlError, FetchError};
use crate::net::AddressGuard;
use crate::options::CrawlerOptions;

/// Redirects followed for one fetch. Five is what RFC 9309 asks for robots.txt
/// and more than any portal page needs; a longer chain is a loop or a trap.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Longest Retry-After honoured; a server asking for more is treated as
/// asking for an hour, after which the crawler tries again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How the fetcher paces and limits requests.
#[derive(Debug, Clone)]
pub(crate) struct FetchSettings {
    /// The `User-Agent` header, naming the operator.
    pub(crate) user_agent: String,
    /// Minimum delay between two requests to one host.
    pub(crate) min_delay: Duration,
    /// Requests to one host in flight at once.
    pub(crate) concurrency: usize,
    /// Largest body accepted, after decompression.
    pub(crate) max_body_bytes: u64,
    /// Connect timeout.
    pub(crate) connect_timeout: Duration,
    /// Total timeout of one request, body included.
    pub(crate) request_timeout: Duration,
    /// First back-off step after an error.
    pub(crate) backoff_base: Duration,
    /// Longest back-off after repeated errors.
    pub(crate) backoff_cap: Duration,
    /// Longest wait for a host's slot before a request fails instead: a
    /// Retry-After or back-off longer than this ends the current poll (the
    /// next poll tries again) rather than blocking a caller.
    pub(crate) max_inline_wait: Duration,
    /// Texts of WAF and captcha pages.
    pub(crate) block_markers: Vec<String>,
    /// How long a host that blocks us is left alone.
    pub(crate) block_backoff: Duration,
    /// 403s in a row that count as a block.
    pub(crate) forbidden_storm: u32,
}

impl FetchSettings {
    /// The settings of a crawler: the profile's politeness, with what the
    /// operator's options override.
    pub(crate) fn new(
        politeness: &Politeness,
        options: &CrawlerOptions,
    ) -> Result<Self, CrawlError> {
        Ok(Self {
            user_agent: options.checked_user_agent()?.to_owned(),
            min_delay: options.min_delay.unwrap_or_else(|| politeness.min_delay()),
            concurrency: usize::try_from(
                options
                    .concurrency
                    .unwrap_or(politeness.concurrency)
                    .clamp(1, govwire_model::profile::MAX_CONCURRENCY),
            )
            .unwrap_or(1),
            max_body_bytes: politeness.max_body_bytes,
            connect_timeout: Duration::from_secs(politeness.connect_timeout_secs.max(1)),
            request_timeout: options
                .request_timeout
                .unwrap_or_else(|| Duration::from_secs(politeness.request_timeout_secs.max(1))),
            backoff_base: options.backoff_base,
            backoff_cap: options.backoff_cap,
            max_inline_wait: options.max_inline_wait,
            block_markers: politeness.block_markers.clone(),
            block_backoff: options.block_backoff,
            forbidden_storm: options.forbidden_storm,
        })
    }
}

/// What kind of body a request is for; a 200 of another type is refused
/// before its body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Anything (robots.txt, list API answers: read by their own rules).
    Any,
    /// An HTML page, refused when nested too deep to be read.
    Html,
    /// A document linked from a page (PDF, Word, WPS, a download).
    Attachment,
}

/// Media types of HTML pages.
const HTML_TYPES: &[&str] = &["text/html", "application/xhtml+xml"];

/// Media types of attachments: documents as portals serve them, including
/// the generic download types many government servers send for any file.
const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-works",
    "application/wps-office.doc",
    "application/wps-office.docx",
    "application/kswps",
    "application/rtf",
    "text/rtf",
    "text/plain",
    "application/zip",
    "application/octet-stream",
    "application/x-download",
    "application/force-download",
    "application/download",
];

impl Expect {
    /// Whether a `Content-Type` header value is acceptable; `None` when it
    /// is, else what was expected. A missing header is accepted: the
    /// parser decides by the bytes.
    fn refuses(self, content_type: Option<&str>) -> Option<&'static str> {
        let (types, expected): (&[&str], &'static str) = match self {
            Expect::Any => return None,
            Expect::Html => (HTML_TYPES, "an HTML page"),
            Expect::Attachment => (ATTACHMENT_TYPES, "a document"),
        };
        let essence = content_type?
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence.is_empty() || types.contains(&essence.as_str()) {
            None
        } else {
            Some(expected)
        }
    }
}

/// Bodies larger than this are never taken for a WAF page on a 200: such
/// pages are small, and a long reply that happens to mention 安全验证 must
/// not be refused.
const BLOCK_PAGE_MAX_BYTES: usize = 64 * 1024;

/// A 200 page whose visible text is shorter than this (in characters) and
/// holds a block marker is a WAF page, whatever its title.
const BLOCK_PAGE_MAX_TEXT: usize = 600;

/// One request to make.
#[derive(Debug, Clone)]
pub(crate) struct FetchRequest<'a> {
    /// GET or POST.
    pub(crate) method: Method,
    /// Absolute URL.
    pub(crate) url: Url,
    /// JSON body (POST only).
    pub(crate) json_body: Option<String>,
    /// The `Accept` header.
    pub(crate) accept: &'static str,
    /// `If-None-Match` value, from a stored `ETag`.
    pub(crate) etag: Option<&'a str>,
    /// `If-Modified-Since` value, from a stored `Last-Modified`.
    pub(crate) last_modified: Option<&'a str>,
    /// The kind of body wanted; a 200 of another type is refused.
    pub(crate) expect: Expect,
}

impl<'a> FetchRequest<'a> {
    /// A plain GET.
    pub(crate) fn get(url: Url, accept: &'static str) -> Self {
        Self {
            method: Method::GET,
            url,
            json_body: None,
            accept,
            etag: None,
            last_modified: None,
            expect: Expect::Any,
        }
    }

    /// The same request, refusing a 200 whose body is not of `expect`.
    pub(crate) fn expecting(mut self, expect: Expect) -> Self {
        self.expect = expect;
        self
    }

    /// The same request, conditional on the given validators.
    pub(crate) fn conditional(
        mut self,
        etag: Option<&'a str>,
        last_modified: Option<&'a str>,
    ) -> Self {
        self.etag = etag;
        self.last_modified = last_modified;
        self
    }
}

/// A final (non-redirect) response.
#[derive(Debug, Clone)]
pub(crate) struct FetchResponse {
    /// Its status.
    pub(crate) status: StatusCode,
    /// The URL that answered, after redirects.
    pub(crate) url: Url,
    /// `Content-Type` as sent.
    pub(crate) content_type: Option<String>,
    /// `ETag` as sent.
    pub(crate) etag: Option<String>,
    /// `Last-Modified` as sent.
    pub(crate) last_modified: Option<String>,
    /// The decompressed body (empty for a 304).
    pub(crate) body: Vec<u8>,
}

/// Counts requests made during one crawler operation, for its report, and
/// names the portal and section its requests are counted under in the
/// metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// HTTP requests sent (every redirect hop counts).
    requests: AtomicU32,
    /// Responses with status 304.
    not_modified: AtomicU32,
    /// The portal the requests are for (metrics label).
    portal: String,
    /// The section, or `revisits` (metrics label).
    section: String,
}

impl Tally {
    /// A tally for the requests of `section` of `portal`.
    pub(crate) fn for_section(portal: &str, section: &str) -> Self {
        Self {
            portal: portal.to_owned(),
            section: section.to_owned(),
            ..Self::default()
        }
    }

    /// Counts one finished exchange in the metrics: its outcome (the
    /// status, or what failed), its bytes and its duration.
    fn count(&self, result: &Result<OneResponse, FetchError>, elapsed: std::time::Duration) {
        use crate::error::TransportFailure;
        let outcome: std::borrow::Cow<'static, str> = match result {
            Ok(response) => response.status.as_u16().to_string().into(),
            Err(FetchError::Transport { failure, .. }) => match failure {
                TransportFailure::NameNotResolved => "dns_failure",
                TransportFailure::Refused => "connection_refused",
                TransportFailure::Reset => "connection_reset",
                TransportFailure::Tls => "tls_failure",
                TransportFailure::TimedOut => "timeout",
                _ => "transport_failure",
            }
            .into(),
            Err(FetchError::Blocked { .. }) => "blocked".into(),
            Err(FetchError::BodyTooLarge { .. }) => "too_large".into(),
            Err(_) => "refused".into(),
        };
        let (portal, section) = (self.portal.clone(), self.section.clone());
        metrics::counter!("govwire_crawler_requests_total", "portal" => portal.clone(), "section" => section.clone(), "outcome" => outcome).increment(1);
        if let Ok(response) = result {
            metrics::counter!("govwire_crawler_response_bytes_total", "portal" => portal.clone(), "section" => section).increment(response.body.len() as u64);
        }
        metrics::histogram!("govwire_crawler_request_duration_seconds", "portal" => portal)
            .record(elapsed.as_secs_f64());
    }
    /// Requests sent so far.
    pub(crate) fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// 304 answers so far.
    pub(crate) fn not_modified(&self) -> u32 {
        self.not_modified.load(Ordering::Relaxed)
    }
}

/// One host: the right to send (`concurrency` permits) and its pacing.
#[derive(Debug)]
struct Host {
    /// A permit is held for a whole exchange.
    permits: tokio::sync::Semaphore,
    /// Pacing state, locked briefly before and after each exchange.
    state: AsyncMutex<HostState>,
}

/// Pacing state of one host.
#[derive(Debug, Default)]
struct HostState {
    /// When the last request to the host started (reserved) or finished,
    /// whichever is later: the next one starts at least the minimum delay
    /// after it.
    last_request: Option<Instant>,
    /// No request before this instant (Retry-After, back-off).
    not_before: Option<Instant>,
    /// Errors in a row, for the exponential back-off.
    failures: u32,
    /// The host's robots.txt `Crawl-delay`, if it asks for one.
    crawl_delay: Duration,
    /// 403 answers in a row, to notice a storm of them.
    forbidden_in_a_row: u32,
}

/// The crawler's HTTP side.
#[derive(Debug)]
pub(crate) struct Fetcher {
    /// The one client of this crawler (connection pool, TLS, decompression).
    client: reqwest::Client,
    /// Which addresses may be reached.
    guard: AddressGuard,
    /// Pacing and limits.
    settings: FetchSettings,
    /// Per-host slots; holding a permit of a host is the right to send.
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

impl Fetcher {
    /// Builds the client. Proxies from the environment are ignored: the
    /// address guard must see the real destination of every request.
    pub(crate) fn new(
        settings: FetchSettings,
        guard: AddressGuard,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .no_proxy()
            .dns_resolver(Arc::new(guard.resolver()))
            .build()?;
        Ok(Self {
            client,
            guard,
            settings,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// Requests to one host in flight at once.
    pub(crate) fn concurrency(&self) -> usize {
        self.settings.concurrency
    }

    /// Checks that `url` may be fetched at all (scheme, address), without
    /// sending anything.
    pub(crate) async fn check(&self, url: &Url) -> Result<(), FetchError> {
        self.guard.check(url).await
    }

    /// Records a host's robots.txt `Crawl-delay`.
    pub(crate) async fn set_crawl_delay(&self, url: &Url, delay: Duration) {
        let slot = self.slot(&host_key(url));
        slot.state.lock().await.crawl_delay = delay;
    }

    /// Sends the request, following redirects, and returns the final response
    /// whatever its status.
    pub(crate) async fn fetch(
        &self,
        request: FetchRequest<'_>,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Result<FetchResponse, FetchError> {
        let first_url = request.url.to_string();
        let mut url = request.url.clone();
        let mut method = request.method.clone();
        let mut body = request.json_body.clone();
        for hop in 0..=MAX_REDIRECTS {
            self.guard.check(&url).await?;
            let response = self
                .send_once(&url, &method, body.as_deref(), &request, cancel, tally)
                .await?;
            if !response.status.is_redirection() || response.status == StatusCode::NOT_MODIFIED {
                return Ok(response.into());
            }
            if hop == MAX_REDIRECTS {
                break;
            }
            let next = response
                .location
                .as_deref()
                .and_then(|loc| url.join(loc).ok())
                .ok_or_else(|| FetchError::BadRedirect {
                    url: url.to_string(),
                })?;
            let status = response.status;
            if status == StatusCode::SEE_OTHER
                || (method == Method::POST
                    && (status == StatusCode::MOVED_PERMANENTLY || status == StatusCode::FOUND))
            {
                method = Method::GET;
                body = None;
            }
            debug!(from = %url, to = %next, status = status.as_u16(), "Following redirect.");
            url = next;
        }
        Err(FetchError::TooManyRedirects { url: first_url })
    }

    fn slot(&self, key: &str) -> Arc<Host> {
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(hosts.entry(key.to_owned()).or_insert_with(|| {
            Arc::new(Host {
                permits: tokio::sync::Semaphore::new(self.settings.concurrency),
                state: AsyncMutex::new(HostState::default()),
            })
        }))
    }

    async fn send_once(
        &self,
        url: &Url,
        method: &Method,
        body: Option<&str>,
        request: &FetchRequest<'_>,
        cancel: &CancellationToken,
        tally: &Tally,
    ) -> Result<OneResponse, FetchError> {
        let key = host_key(url);
        let slot = self.slot(&key);
        let _permit = tokio::select! {
            biased;
            () = cancel.cancelled() => return Err(FetchError::Cancelled),
            permit = slot.permits.acquire() => permit.map_err(|_| FetchError::Cancelled)?,
        };

        // Politeness: the minimum delay (or the portal's Crawl-delay) since
        // the last request, and any back-off in force. The start is
        // reserved under the lock, so requests in flight together still
        // start the delay apart.
        let ready = {
            let mut state = slot.state.lock().await;
            let now = Instant::now();
            let delay = self.settings.min_delay.max(state.crawl_delay);
            let mut ready = state.last_request.map_or(now, |t| t + delay).max(now);
            if let Some(not_before) = state.not_before {
                ready = ready.max(not_before);
            }
            let remaining = ready - now;
            if remaining > self.settings.max_inline_wait {
                return Err(FetchError::BackingOff {
                    host: key,
                    remaining,
                });
            }
            state.last_request = Some(ready);
            ready
        };
        if ready > Instant::now() {
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(FetchError::Cancelled),
                () = tokio::time::sleep_until(ready) => {}
            }
        }

        let mut builder = self
            .client
            .request(method.clone(), url.clone())
            .header(header::ACCEPT, request.accept);
        if let Some(body) = body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_owned());
        }
        if let Some(etag) = request.etag.and_then(|v| HeaderValue::from_str(v).ok()) {
            builder = builder.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = request
            .last_modified
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            builder = builder.header(header::IF_MODIFIED_SINCE, lm);
        }

        tally.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let result = self.exchange(builder, url, request.expect).await;
        let mut state = slot.state.lock().await;
        let finished = Instant::now();
        state.last_request = Some(state.last_request.map_or(finished, |t| t.max(finished)));
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);

        tally.count(&result, started.elapsed());
        let result = match result {
            Ok(response) => match self.block_reason(&response, &mut state) {
                Some(reason) => {
                    let wait = self.settings.block_backoff;
                    state.failures = state.failures.saturating_add(1);
                    state.not_before = Some(Instant::now() + wait);
                    warn!(host = %key, url = %url, status = response.status.as_u16(), %reason, wait_secs = wait.as_secs(), "Portal is blocking us; leaving the whole host alone.");
                    return Err(FetchError::Blocked {
                        url: url.to_string(),
                        reason,
                    });
                }
                None => Ok(response),
            },
            Err(error) => Err(error),
        };

        match &result {
            Ok(response) => {
                debug!(
                    method = %method,
                    url = %url,
                    status = response.status.as_u16(),
                    bytes = response.body.len(),
                    elapsed_ms,
                    "Fetched."
                );
                if response.status == StatusCode::NOT_MODIFIED {
                    tally.not_modified.fetch_add(1, Ordering::Relaxed);
                }
                let status = response.status;
                if status == StatusCode::TOO_MANY_REQUESTS
                    || status == StatusCode::SERVICE_UNAVAILABLE
                {
                    let wait = match response.retry_after {
                        Some(asked) => {
                            state.failures = state.failures.saturating_add(1);
                            asked.min(MAX_RETRY_AFTER)
                        }
                        None => self.next_backoff(&mut state),
                    };
                    state.not_before = Some(Instant::now() + wait);
                    warn!(host = %key, status = status.as_u16(), wait_secs = wait.as_secs(), "Portal asks us to slow down; backing off.");
                } else if status.is_server_error() || status == StatusCode::FORBIDDEN {
                    let wait = self.next_backoff(&mut state);
                    state.not_before = Some(Instant::now() + wait);
                    warn!(host = %key, status = status.as_u16(), wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "Portal answered with an error; backing off.");
                } else {
                    state.failures = 0;
                    state.not_before = None;
                }
            }
            Err(FetchError::Transport { .. }) => {
                let wait = self.next_backoff(&mut state);
                state.not_before = Some(Instant::now() + wait);
                debug!(method = %method, url = %url, elapsed_ms, "Request failed; backing off.");
            }
            Err(_) => {
                debug!(method = %method, url = %url, elapsed_ms, "Response rejected.");
            }
        }
        result
    }

    /// Why a response shows the portal blocking us, if it does: a WAF or
    /// captcha page (a block marker on an error page, or on a small 200
    /// page whose title holds it or whose text is short), or the 403 that
    /// makes a storm. Counts 403s in a row.
    fn block_reason(&self, response: &OneResponse, state: &mut HostState) -> Option<String> {
        let status = response.status;
        if status == StatusCode::FORBIDDEN {
            state.forbidden_in_a_row = state.forbidden_in_a_row.saturating_add(1);
        } else {
            state.forbidden_in_a_row = 0;
        }
        if status == StatusCode::FORBIDDEN
            && self.settings.forbidden_storm > 0
            && state.forbidden_in_a_row >= self.settings.forbidden_storm
        {
            state.forbidden_in_a_row = 0;
            return Some(format!(
                "{} answers 403 in a row",
                self.settings.forbidden_storm
            ));
        }
        let checked = status == StatusCode::OK
            || status == StatusCode::FORBIDDEN
            || status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::SERVICE_UNAVAILABLE
            || status == StatusCode::UNAUTHORIZED;
        if !checked || response.body.is_empty() || self.settings.block_markers.is_empty() {
            return None;
        }
        let is_html = response.content_type.as_deref().is_none_or(|ct| {
            let ct = ct.to_ascii_lowercase();
            ct.contains("html") || ct.starts_with("text/")
        });
        if !is_html || (status == StatusCode::OK && response.body.len() > BLOCK_PAGE_MAX_BYTES) {
            return None;
        }
        let text = crate::list::decode_html(&response.body, response.content_type.as_deref());
        let marker = self
            .settings
            .block_markers
            .iter()
            .find(|m| !m.is_empty() && text.contains(m.as_str()))?;
        if status != StatusCode::OK {
            return Some(format!(
                "an HTTP {} page saying `{marker}`",
                status.as_u16()
            ));
        }
        // A page too deep to parse is no WAF page; whoever reads it refuses
        // it.
        let page = crate::list::parse_html(&text).ok()?;
        let title = scraper::Selector::parse("title")
            .ok()
            .and_then(|s| page.select(&s).next().map(|t| t.text().collect::<String>()))
            .unwrap_or_default();
        let visible = scraper::Selector::parse("body")
            .ok()
            .and_then(|s| page.select(&s).next())
            .map(|body| {
                body.text()
                    .flat_map(str::chars)
                    .filter(|c| !c.is_whitespace())
                    .count()
            })
            .unwrap_or(0);
        (title.contains(marker.as_str()) || visible < BLOCK_PAGE_MAX_TEXT)
            .then(|| format!("a page saying `{marker}`"))
    }

    /// Exponential back-off with full jitter: a random wait between zero and
    /// `base * 2^failures`, capped. Counts the failure.
    fn next_backoff(&self, state: &mut HostState) -> Duration {
        let exp = state.failures.min(20);
        state.failures = state.failures.saturating_add(1);
        let ceiling = self
            .settings
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.settings.backoff_cap);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=ceiling_ms))
    }

    async fn exchange(
        &self,
        builder: reqwest::RequestBuilder,
        url: &Url,
        expect: Expect,
    ) -> Result<OneResponse, FetchError> {
        let transport = |source: reqwest::Error| match crate::net::refusal_in(&source) {
            // The resolver dropped every address of the name: a refusal by
            // the address rules, not a network failure.
            Some(refusal) => FetchError::Refused {
                url: url.to_string(),
                reason: refusal.to_string(),
            },
            None => FetchError::Transport {
                url: url.to_string(),
                failure: crate::error::TransportFailure::of(&source, source.is_timeout()),
                source,
            },
        };
        let mut response = builder.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::OK {
            let content_type = header_text(&headers, header::CONTENT_TYPE);
            if let Some(expected) = expect.refuses(content_type.as_deref()) {
                return Err(FetchError::UnexpectedContentType {
                    url: url.to_string(),
                    content_type: content_type.unwrap_or_default(),
                    expected,
                });
            }
        }
        let limit = self.settings.max_body_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(FetchError::BodyTooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        // Whoever reads an HTML page next builds its tree; refuse what would
        // make that quadratic before anyone tries. The bytes are checked
        // first (as cheap as it gets for a page in an ASCII-compatible
        // encoding); the decoded text decides, so a page in another encoding
        // (UTF-16) is never refused for how its bytes look.
        if status == StatusCode::OK
            && expect == Expect::Html
            && govwire_parser::check_nesting(&body).is_err()
        {
            let content_type = header_text(&headers, header::CONTENT_TYPE);
            let text = crate::list::decode_html(&body, content_type.as_deref());
            if let Err(error) = govwire_parser::check_nesting(text.as_bytes()) {
                return Err(FetchError::Unreadable {
                    url: url.to_string(),
                    reason: error.to_string(),
                });
            }
        }
        let text = |name: header::HeaderName| header_text(&headers, name);
        Ok(OneResponse {
            status,
            url: response.url().clone(),
            content_type: text(header::CONTENT_TYPE),
            etag: text(header::ETAG),
            last_modified: text(header::LAST_MODIFIED),
            location: text(header::LOCATION),
            retry_after: headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
            body,
        })
    }
}

/// One response, before redirects are decided.
#[derive(Debug)]
struct OneResponse {
    status: StatusCode,
    url: Url,
    content_type: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    location: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl From<OneResponse> for FetchResponse {
    fn from(r: OneResponse) -> Self {
        FetchResponse {
            status: r.status,
            url: r.url,
            content_type: r.content_type,
            etag: r.etag,
            last_modified: r.last_modified,
            body: r.body,
        }
    }
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `host:port` of a URL: the unit of pacing.
pub(crate) fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default().to_ascii_lowercase(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Reads `Retry-After`: delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
