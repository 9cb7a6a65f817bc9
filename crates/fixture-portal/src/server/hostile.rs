//! Hostile modes: the portal misbehaving the ways real government servers
//! do (rate limits, outages, WAF pages, slow or oversized bodies, traps in
//! redirects, encodings that lie, a layout change), switchable at run time so
//! a test can show what the crawler does about each.
//!
//! - `GET /_admin/hostile`: the current mode as JSON.
//! - `PUT /_admin/hostile`: set the mode (`{"mode": "waf_page"}`,
//!   `{"mode": "too_many_requests", "retry_after_secs": 120}`, …); `{"mode":
//!   "off"}` ends it. [`RunningPortal::set_hostile`] does the same in
//!   process.
//!
//! The admin API and robots.txt are never affected, except by
//! [`Hostile::RobotsDisallow`].

use std::io::Write as _;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LOCATION, RETRY_AFTER,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

/// How long the trickle mode waits between two bytes: one a second, the
/// pace of the slowest servers a crawler must not wait on forever.
const TRICKLE_PAUSE: Duration = Duration::from_secs(1);

use super::{RunningPortal, Shared};

/// Size of [`Hostile::HugePage`]'s body: ten times the crawler's default
/// body cap.
pub const HUGE_PAGE_BYTES: usize = 50 * 1024 * 1024;

/// Decompressed size of [`Hostile::GzipBomb`]'s body; a few tens of
/// kilobytes on the wire.
pub const GZIP_BOMB_BYTES: usize = 64 * 1024 * 1024;

/// Where [`Hostile::RedirectToMetadata`] sends detail pages: the cloud
/// metadata service, the classic target of a server-side request forgery.
pub const METADATA_URL: &str = "http://169.254.169.254/latest/meta-data/";

/// The page [`Hostile::WafPage`] serves: the texts of the WAF and captcha
/// pages Shanghai government sites show to clients that press too hard.
pub const WAF_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>安全验证</title></head><body><div class=\"waf\"><p>访问频繁，请稍后再试。</p><p>请输入验证码：<input name=\"captcha\"></p></div></body></html>";

/// How the portal misbehaves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum Hostile {
    /// It behaves.
    #[default]
    Off,
    /// Every request (list API, lists, detail pages) answers 429 with
    /// `Retry-After`.
    TooManyRequests {
        /// The `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// Every request answers 503 without `Retry-After`: an outage.
    ServiceUnavailable,
    /// Detail pages send their body one byte a second.
    TrickleBody,
    /// Detail pages are a gzip bomb: a small compressed body that expands
    /// to [`GZIP_BOMB_BYTES`].
    GzipBomb,
    /// Detail pages are [`HUGE_PAGE_BYTES`] long.
    HugePage,
    /// Detail pages redirect to [`METADATA_URL`].
    RedirectToMetadata,
    /// Detail pages redirect to the same path on another port of 127.0.0.1.
    RedirectToLoopback {
        /// The port redirected to.
        port: u16,
    },
    /// robots.txt disallows every path under `path` for every agent.
    RobotsDisallow {
        /// The disallowed path prefix (`/zhengwu/qzxtabljg-jytabljg/`).
        path: String,
    },
    /// Detail pages are sent as GBK bytes while their header and `<meta>`
    /// still say UTF-8, as older Shanghai government pages did.
    GbkMislabelledUtf8,
    /// Every request (list API, lists, detail pages) answers 200 with a WAF
    /// captcha page ([`WAF_PAGE`]).
    WafPage,
    /// Detail pages and HTML list pages are `levels` `div`s nested in one
    /// another: HTML that takes an HTML tree builder time growing with the
    /// square of its depth.
    DeepNesting {
        /// How deep the `div`s nest.
        levels: u32,
    },
    /// The portal changed its layout: HTML list pages have no list table
    /// any more and the list API returns its items under another key, so a
    /// crawler reading the old layout finds nothing.
    LayoutChange,
}

/// What a request is, as far as the hostile modes care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Admin,
    Robots,
    ListApi,
    HtmlList,
    Detail,
    Other,
}

fn kind(path: &str) -> Kind {
    if path.starts_with("/_admin/") {
        return Kind::Admin;
    }
    if path == "/robots.txt" {
        return Kind::Robots;
    }
    if path.ends_with("/api/data/affair") {
        return Kind::ListApi;
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["zhengwu", _, _] => Kind::HtmlList,
        ["zhengwu", _, _, _, _] => Kind::Detail,
        _ => Kind::Other,
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/_admin/hostile", get(show).put(set))
}

async fn show(State(shared): State<Arc<Shared>>) -> Json<Hostile> {
    Json(shared.hostile())
}

async fn set(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Hostile>(&body) {
        Ok(mode) => {
            shared.set_hostile(mode.clone());
            Json(mode).into_response()
        }
        Err(error) => {
            warn!(%error, "Rejected a hostile mode.");
            super::json_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("not a hostile mode: {error}"),
            )
        }
    }
}

impl Shared {
    fn hostile(&self) -> Hostile {
        self.hostile
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn set_hostile(&self, mode: Hostile) {
        info!(?mode, "Fixture hostile mode set.");
        *self
            .hostile
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = mode;
    }
}

impl RunningPortal {
    /// Makes the portal misbehave (or behave again, with [`Hostile::Off`])
    /// from the next request on.
    pub fn set_hostile(&self, mode: Hostile) {
        self.shared.set_hostile(mode);
    }

    /// The current hostile mode.
    pub fn hostile(&self) -> Hostile {
        self.shared.hostile()
    }
}

/// The middleware: answers in the current hostile mode, or passes the
/// request on.
pub(super) async fn intercept(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let mode = shared.hostile();
    let path = request.uri().path().to_owned();
    let kind = kind(&path);
    if mode == Hostile::Off || kind == Kind::Admin {
        return next.run(request).await;
    }
    let content = matches!(kind, Kind::ListApi | Kind::HtmlList | Kind::Detail);
    match mode {
        Hostile::TooManyRequests { retry_after_secs } if content => (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, retry_after_secs.to_string())],
            "Too Many Requests",
        )
            .into_response(),
        Hostile::ServiceUnavailable if content => {
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
        }
        Hostile::WafPage if content => html(StatusCode::OK, Body::from(WAF_PAGE)),
        Hostile::TrickleBody if kind == Kind::Detail => html(StatusCode::OK, trickle()),
        Hostile::GzipBomb if kind == Kind::Detail => {
            let mut response = html(StatusCode::OK, Body::from(gzip_bomb()));
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        Hostile::HugePage if kind == Kind::Detail => html(StatusCode::OK, huge_page()),
        Hostile::RedirectToMetadata if kind == Kind::Detail => redirect(METADATA_URL.to_owned()),
        Hostile::RedirectToLoopback { port } if kind == Kind::Detail => {
            redirect(format!("http://127.0.0.1:{port}{path}"))
        }
        Hostile::DeepNesting { levels } if matches!(kind, Kind::Detail | Kind::HtmlList) => {
            html(StatusCode::OK, Body::from(deep_page(levels)))
        }
        Hostile::RobotsDisallow { path: disallowed } if kind == Kind::Robots => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("User-agent: *\nDisallow: {disallowed}\n"),
        )
            .into_response(),
        Hostile::GbkMislabelledUtf8 if kind == Kind::Detail => {
            rewrite(next.run(request).await, |body| {
                let text = String::from_utf8_lossy(body);
                let (bytes, _, _) = encoding_rs::GBK.encode(&text);
                bytes.into_owned()
            })
            .await
        }
        Hostile::LayoutChange if kind == Kind::HtmlList => {
            // The new layout is new bytes: validators of the old one no
            // longer match.
            let mut request = request;
            request.headers_mut().remove(IF_NONE_MATCH);
            request.headers_mut().remove(IF_MODIFIED_SINCE);
            let mut response = next.run(request).await;
            if let Some(etag) = response.headers().get(ETAG).and_then(|v| v.to_str().ok()) {
                let changed = format!(
                    "\"layout-{}",
                    etag.trim_start_matches("W/").trim_start_matches('"')
                );
                if let Ok(value) = HeaderValue::from_str(&changed) {
                    response.headers_mut().insert(ETAG, value);
                }
            }
            rewrite(response, |body| {
                String::from_utf8_lossy(body)
                    .replace("<table", "<div")
                    .replace("</table>", "</div>")
                    .replace("<tr", "<p")
                    .replace("</tr>", "</p>")
                    .replace("<td", "<span")
                    .replace("</td>", "</span>")
                    .into_bytes()
            })
            .await
        }
        Hostile::LayoutChange if kind == Kind::ListApi => {
            rewrite(next.run(request).await, |body| {
                let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
                    return body.to_vec();
                };
                if let Some(data) = value.get_mut("data").and_then(|d| d.as_object_mut()) {
                    if let Some(list) = data.remove("list") {
                        data.insert("records".into(), list);
                    }
                }
                serde_json::to_vec(&value).unwrap_or_else(|_| body.to_vec())
            })
            .await
        }
        _ => next.run(request).await,
    }
}

fn html(status: StatusCode, body: Body) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(LOCATION, to)]).into_response()
}

/// A page that takes minutes to arrive: one byte a second.
fn trickle() -> Body {
    let page: &'static [u8] =
        "<!DOCTYPE html><html><body><h1>普陀区人民政府</h1><p>正文</p></body></html>".as_bytes();
    let stream = futures_util::stream::unfold(0usize, move |at| async move {
        if at >= page.len() {
            return None;
        }
        if at > 0 {
            tokio::time::sleep(TRICKLE_PAUSE).await;
        }
        Some((
            Ok::<_, std::io::Error>(Bytes::from_static(&page[at..at + 1])),
            at + 1,
        ))
    });
    Body::from_stream(stream)
}

/// A page of `levels` nested `div`s around one line of text.
pub fn deep_page(levels: u32) -> String {
    let levels = usize::try_from(levels).unwrap_or(usize::MAX);
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>{}<p>普陀区人民政府</p>{}</body></html>",
        "<div>".repeat(levels),
        "</div>".repeat(levels)
    )
}

/// [`HUGE_PAGE_BYTES`] of HTML, streamed in 64 KiB chunks so the fixture
/// never holds it.
fn huge_page() -> Body {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(
        "<p>普陀区人民政府办公室</p>\n"
            .repeat(CHUNK / 40)
            .into_bytes(),
    );
    let chunks = HUGE_PAGE_BYTES.div_ceil(chunk.len());
    let stream =
        futures_util::stream::iter(std::iter::repeat_n(chunk, chunks).map(Ok::<_, std::io::Error>));
    Body::from_stream(stream)
}

/// A gzip stream of [`GZIP_BOMB_BYTES`] spaces inside an HTML page, built
/// once.
fn gzip_bomb() -> Bytes {
    static BOMB: OnceLock<Bytes> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let spaces = vec![b' '; 1024 * 1024];
        let mut write = |bytes: &[u8]| {
            if let Err(error) = encoder.write_all(bytes) {
                warn!(%error, "Failed to build the gzip bomb.");
            }
        };
        write(b"<!DOCTYPE html><html><body>");
        for _ in 0..GZIP_BOMB_BYTES / spaces.len() {
            write(&spaces);
        }
        write(b"</body></html>");
        Bytes::from(encoder.finish().unwrap_or_default())
    })
    .clone()
}

/// The response with its body rewritten (headers kept, length dropped).
async fn rewrite(response: Response, f: impl FnOnce(&[u8]) -> Vec<u8>) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            warn!(%error, "Failed to read a response to rewrite.");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if !parts.status.is_success() {
        return Response::from_parts(parts, Body::from(bytes));
    }
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(f(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_told_apart_by_path() {
        assert_eq!(kind("/_admin/hostile"), Kind::Admin);
        assert_eq!(kind("/robots.txt"), Kind::Robots);
        assert_eq!(kind("/front/api/data/affair"), Kind::ListApi);
        assert_eq!(
            kind("/zhengwu/qzxtabljg-jytabljg/index.html"),
            Kind::HtmlList
        );
        assert_eq!(
            kind("/zhengwu/qzxtabljg-jytabljg/2025/197/197298.html"),
            Kind::Detail
        );
        assert_eq!(kind("/favicon.ico"), Kind::Other);
    }

    #[test]
    fn modes_read_as_the_admin_api_takes_them() {
        let mode: Hostile =
            serde_json::from_str(r#"{"mode":"too_many_requests","retry_after_secs":120}"#)
                .expect("a mode");
        assert_eq!(
            mode,
            Hostile::TooManyRequests {
                retry_after_secs: 120
            }
        );
        let deep: Hostile =
            serde_json::from_str(r#"{"mode":"deep_nesting","levels":200000}"#).expect("a mode");
        assert_eq!(deep, Hostile::DeepNesting { levels: 200_000 });
        assert!(serde_json::from_str::<Hostile>(r#"{"mode":"nonsense"}"#).is_err());
    }

    #[test]
    fn the_gzip_bomb_is_small_on_the_wire() {
        assert!(gzip_bomb().len() < 256 * 1024, "{}", gzip_bomb().len());
    }
}
