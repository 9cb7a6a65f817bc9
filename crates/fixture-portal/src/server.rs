//! The HTTP server: the JSON list API, detail pages, HTML list pages,
//! robots.txt, conditional GETs, the request log, and the admin API.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::{
    CONTENT_TYPE, ETAG, HOST, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

mod admin;
mod hostile;

pub use hostile::{deep_page, Hostile, GZIP_BOMB_BYTES, HUGE_PAGE_BYTES, METADATA_URL, WAF_PAGE};

use crate::render::{self, ListRow};
use crate::spec::{compare_ids, Document, Link};

/// The list API reports at most this many items, as the real one does on
/// large channels (a search-engine result window); items past it cannot be
/// paged to.
pub const TOTAL_COUNT_CAP: usize = 10_000;

/// Pages past the last one that still answer with the last page again
/// (`pageNo` stuck at the last); further out the API answers `list: []` and
/// zeros.
pub const STUCK_PAGES: usize = 3;

/// Rows per HTML list page, as on the 2020 list pages.
pub const HTML_PAGE_SIZE: usize = 10;

/// Largest `pageSize` the list API accepts; anything larger is a client bug.
pub const MAX_PAGE_SIZE: i64 = 200;

/// Requests kept in the log; older ones are dropped so a long-running demo
/// does not grow without bound.
pub const MAX_RECORDED_REQUESTS: usize = 100_000;

const HTML: &str = "text/html; charset=utf-8";

/// One request the portal answered, for tests that assert what a crawler did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// HTTP method (`GET`, `POST`).
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Whether the request was conditional (`If-None-Match` or
    /// `If-Modified-Since`).
    pub conditional: bool,
    /// When it was answered.
    pub at: DateTime<Utc>,
}

/// The fixture portal server.
#[derive(Debug)]
pub struct FixturePortal;

impl FixturePortal {
    /// Binds `addr` (port 0 for tests), serves `docs` until `shutdown` is
    /// cancelled.
    ///
    /// Fails if the address cannot be bound or two documents share an item
    /// id.
    pub async fn start(
        addr: SocketAddr,
        docs: Vec<Document>,
        shutdown: CancellationToken,
    ) -> std::io::Result<RunningPortal> {
        let state = PortalState::new(docs)?;
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared {
            addr: local,
            state: Mutex::new(state),
            requests: Mutex::new(VecDeque::new()),
            done: CancellationToken::new(),
            hostile: Mutex::new(Hostile::Off),
        });
        let router = router(shared.clone());
        let done = shared.done.clone();
        let documents = shared.lock().docs.len();
        info!(addr = %local, documents, "Fixture portal listening.");
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown.cancelled_owned())
                .await;
            if let Err(error) = served {
                error!(%error, addr = %local, "Fixture portal server failed.");
            }
            info!(addr = %local, "Fixture portal stopped.");
            done.cancel();
        });
        Ok(RunningPortal { shared })
    }
}

/// A handle on a running fixture portal: its address, its documents (to
/// script additions, edits and removals), and its request log.
#[derive(Clone)]
pub struct RunningPortal {
    /// State shared with the server task.
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunningPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The documents would drown any message this handle appears in.
        f.debug_struct("RunningPortal")
            .field("addr", &self.shared.addr)
            .field(
                "documents",
                // try_lock: formatting the handle inside an edit must not
                // deadlock.
                &self.shared.state.try_lock().map(|s| s.docs.len()).ok(),
            )
            .finish()
    }
}

#[derive(Debug)]
struct Shared {
    /// The bound address.
    addr: SocketAddr,
    /// Documents and their modification times.
    state: Mutex<PortalState>,
    /// Answered requests, oldest first.
    requests: Mutex<VecDeque<RequestRecord>>,
    /// Cancelled when the server task has ended.
    done: CancellationToken,
    /// How the portal misbehaves (see `hostile`).
    hostile: Mutex<Hostile>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, PortalState> {
        // A panic while holding the lock cannot leave the state half-updated
        // in a way that matters to a fixture; keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_requests(&self) -> MutexGuard<'_, VecDeque<RequestRecord>> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn base_url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        format!("http://{addr}")
    }
}

#[derive(Debug)]
struct Entry {
    /// The document as currently served.
    doc: Document,
    /// Its last modification (whole seconds): the detail page's
    /// `Last-Modified`.
    modified: SystemTime,
}

#[derive(Debug)]
struct PortalState {
    /// Documents by item id.
    docs: HashMap<String, Entry>,
    /// Per channel, the latest change to anything its lists show (an edit,
    /// an addition, a removal): the list pages' `Last-Modified`.
    channel_changed: HashMap<String, SystemTime>,
    /// Channels served as HTML list columns (those that are not numeric
    /// channel ids); once known, a column keeps answering even when empty.
    html_columns: BTreeSet<String>,
    /// The last modification time handed out; each change gets a later one,
    /// so `If-Modified-Since` can never hide a change made within the same
    /// second as the previous one.
    last_tick: SystemTime,
    /// When the portal started: the `Last-Modified` of robots.txt.
    started: SystemTime,
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn is_channel_id(channel: &str) -> bool {
    channel.chars().all(|c| c.is_ascii_digit())
}

impl PortalState {
    fn new(docs: Vec<Document>) -> std::io::Result<Self> {
        let started = whole_seconds(SystemTime::now());
        let mut state = PortalState {
            docs: HashMap::new(),
            channel_changed: HashMap::new(),
            html_columns: BTreeSet::new(),
            last_tick: started,
            started,
        };
        for doc in docs {
            if state.docs.contains_key(&doc.item_id) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("two documents share item id {}", doc.item_id),
                ));
            }
            state.insert(doc, started);
        }
        Ok(state)
    }

    fn tick(&mut self) -> SystemTime {
        let now = whole_seconds(SystemTime::now());
        let next = if now > self.last_tick {
            now
        } else {
            self.last_tick + Duration::from_secs(1)
        };
        self.last_tick = next;
        next
    }

    fn touch_channel(&mut self, channel: &str, at: SystemTime) {
        self.channel_changed.insert(channel.to_string(), at);
        if !is_channel_id(channel) {
            self.html_columns.insert(channel.to_string());
        }
    }

    fn insert(&mut self, doc: Document, at: SystemTime) {
        self.touch_channel(&doc.channel, at);
        if let Some(old) = self.docs.get(&doc.item_id) {
            let old_channel = old.doc.channel.clone();
            self.touch_channel(&old_channel, at);
        }
        self.docs
            .insert(doc.item_id.clone(), Entry { doc, modified: at });
    }

    /// Listed documents of `channels`, newest `published_on` first, ties by
    /// higher item id first.
    fn listed(&self, channels: &[String]) -> Vec<&Entry> {
        let mut entries: Vec<&Entry> = self
            .docs
            .values()
            .filter(|e| channels.contains(&e.doc.channel))
            .collect();
        entries.sort_by(|a, b| list_order(&a.doc, &b.doc));
        entries
    }

    fn channel_modified(&self, channel: &str) -> SystemTime {
        self.channel_changed
            .get(channel)
            .copied()
            .unwrap_or(self.started)
    }
}

fn list_order(a: &Document, b: &Document) -> Ordering {
    b.published_on
        .cmp(&a.published_on)
        .then_with(|| compare_ids(&b.item_id, &a.item_id))
}

impl RunningPortal {
    /// `http://127.0.0.1:PORT` (the loopback address when bound to all
    /// interfaces).
    pub fn base_url(&self) -> String {
        self.shared.base_url()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Adds a document, or replaces the one with the same item id. Its page
    /// and lists change from now on.
    pub fn add(&self, doc: Document) {
        let mut state = self.shared.lock();
        let at = state.tick();
        info!(item_id = %doc.item_id, path = %doc.path(), "Fixture document added.");
        state.insert(doc, at);
    }

    /// Edits a document in place; its `Last-Modified` and `ETag` change.
    /// Returns `false` if no document has `item_id`. The item id itself
    /// cannot be changed this way (remove and add instead).
    pub fn edit(&self, item_id: &str, f: impl FnOnce(&mut Document)) -> bool {
        let mut state = self.shared.lock();
        if !state.docs.contains_key(item_id) {
            return false;
        }
        let at = state.tick();
        let Some(entry) = state.docs.get_mut(item_id) else {
            return false;
        };
        let old_channel = entry.doc.channel.clone();
        f(&mut entry.doc);
        if entry.doc.item_id != item_id {
            warn!(item_id, attempted = %entry.doc.item_id, "An edit cannot change the item id; kept the old one.");
            entry.doc.item_id = item_id.to_string();
        }
        entry.modified = at;
        let new_channel = entry.doc.channel.clone();
        state.touch_channel(&old_channel, at);
        state.touch_channel(&new_channel, at);
        info!(item_id, "Fixture document edited.");
        true
    }

    /// Removes a document: its detail page answers 404 and it is gone from
    /// the lists. Returns `false` if no document has `item_id`.
    pub fn remove(&self, item_id: &str) -> bool {
        let mut state = self.shared.lock();
        if !state.docs.contains_key(item_id) {
            return false;
        }
        let at = state.tick();
        let Some(entry) = state.docs.remove(item_id) else {
            return false;
        };
        state.touch_channel(&entry.doc.channel, at);
        info!(item_id, "Fixture document removed.");
        true
    }

    /// The document with `item_id`, as currently served.
    pub fn document(&self, item_id: &str) -> Option<Document> {
        self.shared.lock().docs.get(item_id).map(|e| e.doc.clone())
    }

    /// Every document, in item-id order.
    pub fn documents(&self) -> Vec<Document> {
        let mut docs: Vec<Document> = self
            .shared
            .lock()
            .docs
            .values()
            .map(|e| e.doc.clone())
            .collect();
        docs.sort_by(|a, b| compare_ids(&a.item_id, &b.item_id));
        docs
    }

    /// Absolute URL of a document's detail page on this portal.
    pub fn url_of(&self, doc: &Document) -> String {
        format!("{}{}", self.base_url(), doc.path())
    }

    /// Every request answered since the start or the last
    /// [`RunningPortal::reset_requests`], oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.lock_requests().iter().cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn reset_requests(&self) {
        self.shared.lock_requests().clear();
    }

    /// Resolves when the server task has ended (after `shutdown` was
    /// cancelled and open connections closed).
    pub async fn stopped(&self) {
        self.shared.done.cancelled().await;
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/robots.txt", get(robots))
        .route("/front/api/data/affair", post(list_api))
        .route("/zhengwu/{column}/{page}", get(html_list))
        .route("/zhengwu/{column}/{year}/{node}/{file}", get(detail))
        .route("/files/{file}", get(crate::attachments::serve))
        .merge(admin::routes())
        .merge(hostile::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            hostile::intercept,
        ))
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            record_request,
        ))
        .with_state(shared)
}

async fn record_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(String::from);
    let conditional = request.headers().contains_key(IF_NONE_MATCH)
        || request.headers().contains_key(IF_MODIFIED_SINCE);
    let response = next.run(request).await;
    let status = response.status().as_u16();
    info!(method = %method, path = %path, status, conditional, "Served request.");
    let mut requests = shared.lock_requests();
    if requests.len() >= MAX_RECORDED_REQUESTS {
        requests.pop_front();
    }
    requests.push_back(RequestRecord {
        method,
        path,
        query,
        status,
        conditional,
        at: Utc::now(),
    });
    response
}

/// A strong validator for `body`: a quoted hash of its bytes.
fn etag_of(body: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(body));
    format!("\"{}\"", &digest[..32])
}

/// Whether an `If-None-Match` value matches `etag` (weak comparison, as RFC
/// 9110 prescribes for this header).
fn etag_matches(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    header
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

/// A GET answer with `ETag` and `Last-Modified`, or `304 Not Modified` with
/// no body when the client's validators still hold.
fn cacheable(
    headers: &HeaderMap,
    content_type: &str,
    body: impl Into<Vec<u8>>,
    modified: SystemTime,
) -> Response {
    let body: Vec<u8> = body.into();
    let etag = etag_of(&body);
    let modified = whole_seconds(modified);
    let last_modified = httpdate::fmt_http_date(modified);
    let not_modified = match headers.get(IF_NONE_MATCH) {
        Some(value) => value.to_str().is_ok_and(|v| etag_matches(v, &etag)),
        // If-Modified-Since counts only without If-None-Match (RFC 9110
        // 13.1.3).
        None => headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| modified <= since),
    };
    let mut builder = Response::builder()
        .header(ETAG, etag)
        .header(LAST_MODIFIED, last_modified);
    let built = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder = builder.header(CONTENT_TYPE, content_type);
        builder.status(StatusCode::OK).body(Body::from(body))
    };
    built.unwrap_or_else(|error| {
        error!(%error, "Failed to build a response.");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

fn html_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, HeaderValue::from_static(HTML))],
        render::not_found_page(),
    )
        .into_response()
}

async fn not_found(method: Method, uri: Uri) -> Response {
    info!(method = %method, path = %uri.path(), "No such page.");
    html_not_found()
}

async fn robots(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let started = shared.lock().started;
    cacheable(
        &headers,
        "text/plain; charset=utf-8",
        "User-agent: *\nAllow: /\n".to_string(),
        started,
    )
}

async fn detail(
    State(shared): State<Arc<Shared>>,
    Path((_column, _year, _node, file)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(item_id) = file.strip_suffix(".html") else {
        return html_not_found();
    };
    let page = {
        let state = shared.lock();
        state
            .docs
            .get(item_id)
            .filter(|e| e.doc.is_served() && e.doc.path() == uri.path())
            .map(|e| (e.doc.served(), e.modified))
    };
    match page {
        // Bytes in the document's encoding, Content-Type as its label says.
        Some((page, modified)) => cacheable(&headers, &page.content_type, page.body, modified),
        None => html_not_found(),
    }
}

/// The page number of an HTML list file name: `index.html` is 1,
/// `index_N.html` is N for N ≥ 2.
fn list_page_number(file: &str) -> Option<usize> {
    if file == "index.html" {
        return Some(1);
    }
    let n: usize = file
        .strip_prefix("index_")?
        .strip_suffix(".html")?
        .parse()
        .ok()?;
    (n >= 2).then_some(n)
}

async fn html_list(
    State(shared): State<Arc<Shared>>,
    Path((column, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(page) = list_page_number(&file) else {
        return html_not_found();
    };
    let (body, modified) = {
        let state = shared.lock();
        if !state.html_columns.contains(&column) {
            return html_not_found();
        }
        let entries = state.listed(std::slice::from_ref(&column));
        let pages = entries.len().div_ceil(HTML_PAGE_SIZE).max(1);
        if page > pages {
            return html_not_found();
        }
        let rows: Vec<ListRow> = entries
            .iter()
            .skip((page - 1) * HTML_PAGE_SIZE)
            .take(HTML_PAGE_SIZE)
            .map(|e| ListRow {
                index_number: e.doc.meta.index_number.clone().unwrap_or_default(),
                href: list_url(&e.doc, &shared.base_url()),
                title: e.doc.title().to_string(),
                description: e.doc.description.clone().unwrap_or_default(),
                date: e.doc.published_on.format("%Y-%m-%d").to_string(),
            })
            .collect();
        (
            render::list_page(&column, &rows, page, pages),
            state.channel_modified(&column),
        )
    };
    cacheable(&headers, HTML, body, modified)
}

/// The URL a list shows for `doc`: its path, or an absolute URL on `base`,
/// or its external URL.
fn list_url(doc: &Document, base: &str) -> String {
    match &doc.link {
        Link::Relative => doc.path(),
        Link::Absolute => format!("{base}{}", doc.path()),
        Link::External(url) => url.clone(),
    }
}

/// The list API's request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRequest {
    /// Channels to list.
    channel_list: Vec<String>,
    /// Items per page.
    #[serde(default = "default_page_size")]
    page_size: i64,
    /// 1-based page number.
    #[serde(default = "default_page_no")]
    page_no: i64,
    /// Sort fields; only `display_date` is known.
    #[serde(default)]
    order_fields: Vec<String>,
    /// Sort directions (`desc`, `asc`), parallel to `order_fields`.
    #[serde(default)]
    order_types: Vec<String>,
    /// Document flag; the real API's meaning is unknown, so it is only
    /// logged.
    #[serde(default)]
    doc_flag: Option<String>,
}

fn default_page_size() -> i64 {
    15
}

fn default_page_no() -> i64 {
    1
}

fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": message.into() }))).into_response()
}

async fn list_api(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let request: ListRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            warn!(%error, "Rejected a malformed list request.");
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("malformed request body: {error}"),
            );
        }
    };
    if !(1..=MAX_PAGE_SIZE).contains(&request.page_size) {
        warn!(
            page_size = request.page_size,
            "Rejected a list request with a bad page size."
        );
        return json_error(
            StatusCode::BAD_REQUEST,
            format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"),
        );
    }
    debug!(
        channels = ?request.channel_list,
        page_no = request.page_no,
        page_size = request.page_size,
        doc_flag = ?request.doc_flag,
        "List request."
    );
    let ascending = request
        .order_fields
        .iter()
        .zip(&request.order_types)
        .any(|(field, kind)| field == "display_date" && kind.eq_ignore_ascii_case("asc"));
    let base = request_base(&headers, &shared);
    let state = shared.lock();
    let mut entries = state.listed(&request.channel_list);
    entries.truncate(TOTAL_COUNT_CAP);
    if ascending {
        entries.reverse();
    }
    let size = usize::try_from(request.page_size).unwrap_or(15);
    let total = entries.len();
    let last = total.div_ceil(size);
    let asked = usize::try_from(request.page_no.max(1)).unwrap_or(usize::MAX);
    let page = if total == 0 || asked > last.saturating_add(STUCK_PAGES) {
        None
    } else {
        Some(asked.min(last))
    };
    let data = match page {
        None => json!({ "list": [], "pageNo": 0, "totalPage": 0, "totalCount": 0 }),
        Some(page) => {
            let list: Vec<serde_json::Value> = entries
                .iter()
                .skip((page - 1) * size)
                .take(size)
                .map(|e| {
                    json!({
                        "id": e.doc.item_id,
                        "title": e.doc.title(),
                        "url": list_url(&e.doc, &base),
                        "display_date": e.doc.published_on.format("%Y-%m-%d").to_string(),
                        "doc_flag": "1",
                        "channel_id": e.doc.channel,
                    })
                })
                .collect();
            json!({ "list": list, "pageNo": page, "totalPage": last, "totalCount": total })
        }
    };
    axum::Json(json!({ "data": data })).into_response()
}

/// The base URL the client used (its `Host` header when it is a valid
/// authority), so absolute links point where the client can reach.
fn request_base(headers: &HeaderMap, shared: &Shared) -> String {
    headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| Authority::from_str(h).ok())
        .filter(|a| !a.as_str().contains('@'))
        .map(|a| format!("http://{a}"))
        .unwrap_or_else(|| shared.base_url())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_compare_as_numbers() {
        assert_eq!(compare_ids("9", "10"), Ordering::Less);
        assert_eq!(compare_ids("204477", "204102"), Ordering::Greater);
        assert_eq!(compare_ids("007", "7"), Ordering::Equal);
    }

    #[test]
    fn list_file_names_map_to_page_numbers() {
        assert_eq!(list_page_number("index.html"), Some(1));
        assert_eq!(list_page_number("index_2.html"), Some(2));
        assert_eq!(list_page_number("index_1.html"), None);
        assert_eq!(list_page_number("index_x.html"), None);
        assert_eq!(list_page_number("list.html"), None);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_wildcard() {
        let tag = "\"abc\"";
        assert!(etag_matches("\"abc\"", tag));
        assert!(etag_matches("\"x\", W/\"abc\"", tag));
        assert!(etag_matches("*", tag));
        assert!(!etag_matches("\"abd\"", tag));
    }

    #[test]
    fn modification_times_strictly_increase_even_within_one_second() {
        let mut state = PortalState::new(Vec::new()).expect("an empty portal");
        let a = state.tick();
        let b = state.tick();
        let c = state.tick();
        assert!(a < b && b < c, "{a:?} {b:?} {c:?}");
    }
}
