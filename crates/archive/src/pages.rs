//! The archive's pages for people: server-rendered HTML in Chinese for
//! journalists, researchers and deputies' offices reading the archive in a
//! browser, on a phone as on a desktop.
//!
//! The pages live beside the JSON API under paths of their own, so an API
//! client's `GET /replies/{id}` stays JSON whatever it accepts, and a page's
//! address can be shared as it is:
//!
//! - `GET /`: the list, with the search form and every filter
//!   ([`ListFilters`], query parameters of the form), the count and the
//!   next page.
//! - `GET /reply/{id}`: one reply, its newest version; `?version=N` shows
//!   version N. The document as it reads on paper, then its metadata, the
//!   proposal it answers, its sources, attachments, the parser's warnings,
//!   its status and its versions.
//! - `GET /reply/{id}/diff?from=A&to=B`: version A against version B, field
//!   by field and the body paragraph by paragraph.
//!
//! An unknown reply or version is a 404 page, a malformed parameter a 400
//! page, each saying in Chinese what is wrong.
//!
//! Every page is whole in one response: no script (a `Content-Security-Policy`
//! forbids any), no font, style sheet or image from the network, the style
//! inline. Every string that came from a portal is escaped with
//! [`govwire_model::html::escape`], and only http(s) URLs become links.
//!
//! Rendering is separate from the handlers: [`render_list`],
//! [`render_reply`], [`render_diff`] and [`render_error`] are pure
//! functions of what they show.

mod diff;
mod layout;
mod list;
mod reply;
#[cfg(test)]
mod tests;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use govwire_model::Reply;
use govwire_store::{ArchivedReply, Store, StoreError};
use serde::Deserialize;

pub use diff::{diff_body, diff_text, render_diff, Block, BlockDiff, BlockKind, Piece};
pub use list::{render_list, ListFilters, ListRow, ListView, Snippet};
pub use reply::render_reply;

/// Replies on one page of the list.
pub const PAGE_SIZE: u32 = 50;

/// What the pages allow the browser to load: nothing but their own inline
/// style; forms post back to the archive.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// The pages' routes over `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/", get(list_page))
        .route("/reply/{id}", get(reply_page))
        .route("/reply/{id}/diff", get(diff_page))
        .with_state(store)
}

/// A page that says what went wrong: `heading` and `message`, escaped.
pub fn render_error(heading: &str, message: &str) -> String {
    layout::error_page(heading, message)
}

/// The row of the list that shows `archived`.
pub fn list_row(archived: &ArchivedReply) -> ListRow {
    let r = &archived.current;
    ListRow {
        reply_id: r.id.as_str().to_string(),
        title: r.title.clone(),
        doc_number: r.doc_number.clone(),
        addressee: r.addressee.clone(),
        handling_result: r.handling_result.clone(),
        published_on: r.published_on,
        status: archived.status,
        snippet: None,
    }
}

/// An HTML response with the pages' headers.
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found(message: &str) -> Response {
    html(
        StatusCode::NOT_FOUND,
        render_error("找不到这件答复", message),
    )
}

fn bad_request(message: &str) -> Response {
    html(StatusCode::BAD_REQUEST, render_error("请求有误", message))
}

fn unavailable(e: StoreError) -> Response {
    tracing::warn!(error = %e, "Archive page query failed.");
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        render_error("暂时无法读取档案", "档案数据库暂时无法回答，请稍后再试。"),
    )
}

/// A version number from a query parameter, or the 400 page saying why it
/// is not one.
fn version_number(name: &str, value: &str) -> Result<u32, Response> {
    match value.trim().parse::<u32>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(bad_request(&format!(
            "参数 {name} 应为版本号（从 1 开始的整数），收到的是“{value}”。"
        ))),
    }
}

/// The paging parameter of the list (the filters are [`ListFilters`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Paging {
    /// Replies to skip.
    offset: Option<String>,
}

async fn list_page(
    State(store): State<Store>,
    filters: Result<Query<ListFilters>, QueryRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Response {
    let (Ok(Query(filters)), Ok(Query(paging))) = (filters, paging) else {
        return bad_request("查询条件无法读取，请从表单重新查询。");
    };
    let offset = match paging.offset.as_deref().map(str::trim) {
        None | Some("") => 0,
        Some(text) => match text.parse::<u32>() {
            Ok(n) => n,
            Err(_) => return bad_request(&format!("参数 offset 应为整数，收到的是“{text}”。")),
        },
    };
    match list_view(&store, filters.normalized(), offset).await {
        Ok(view) => html(StatusCode::OK, render_list(&view)),
        Err(e) => unavailable(e),
    }
}

/// The list page's content for `filters`, skipping `offset` replies.
///
/// Until the store's search lands, the rows are the newest replies of the
/// whole archive (`Store::archive_list`, no filter applied yet) and the
/// total is every archived reply; the query is the one line marked below.
async fn list_view(
    store: &Store,
    filters: ListFilters,
    offset: u32,
) -> Result<ListView, StoreError> {
    // The query: replace with the store's filtered search.
    let summaries = store.archive_list(None, PAGE_SIZE, offset).await?;
    let total = store.archive_stats().await?.replies;
    let mut rows = Vec::with_capacity(summaries.len());
    for summary in &summaries {
        if let Some(archived) = store.archive_reply(&summary.reply_id).await? {
            rows.push(list_row(&archived));
        }
    }
    let query = filters.query_string();
    let link = |offset: u32| {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.clone());
        }
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        if parts.is_empty() {
            "/".to_string()
        } else {
            format!("/?{}", parts.join("&"))
        }
    };
    let shown = u64::from(offset) + summaries.len() as u64;
    Ok(ListView {
        next_page: (summaries.len() == PAGE_SIZE as usize && shown < total)
            .then(|| link(offset + PAGE_SIZE)),
        first_page: (offset > 0).then(|| link(0)),
        rows,
        total,
        filters,
    })
}

/// The version parameter of a reply's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct VersionQuery {
    version: Option<String>,
}

async fn reply_page(
    State(store): State<Store>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> Response {
    let (Ok(Path(id)), Ok(Query(query))) = (id, query) else {
        return bad_request("地址中的答复编号或版本参数无法读取。");
    };
    let archived = match store.archive_reply(&id).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(&format!("档案中没有编号为“{id}”的答复。")),
        Err(e) => return unavailable(e),
    };
    let Some(version) = query.version.filter(|v| !v.trim().is_empty()) else {
        return html(StatusCode::OK, render_reply(&archived, &archived.current));
    };
    let version = match version_number("version", &version) {
        Ok(v) => v,
        Err(response) => return response,
    };
    match read_version(&store, &id, version).await {
        Ok(record) => html(StatusCode::OK, render_reply(&archived, &record)),
        Err(page) => page,
    }
}

/// The two versions a comparison is asked for.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn diff_page(
    State(store): State<Store>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<DiffQuery>, QueryRejection>,
) -> Response {
    let (Ok(Path(id)), Ok(Query(query))) = (id, query) else {
        return bad_request("地址中的答复编号或版本参数无法读取。");
    };
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return bad_request("请用参数 from 和 to 指明要对照的两个版本，例如 ?from=1&to=2。");
    };
    let (from, to) = match (version_number("from", &from), version_number("to", &to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(response), _) | (_, Err(response)) => return response,
    };
    if from == to {
        return bad_request(&format!(
            "from 与 to 都是第 {from} 版：请指明两个不同的版本。"
        ));
    }
    let old = match read_version(&store, &id, from).await {
        Ok(record) => record,
        Err(page) => return page,
    };
    let new = match read_version(&store, &id, to).await {
        Ok(record) => record,
        Err(page) => return page,
    };
    html(StatusCode::OK, render_diff(&old, &new))
}

/// Version `version` of reply `id`, or the page saying why it cannot be
/// shown (no such reply, no such version, the store failing).
async fn read_version(store: &Store, id: &str, version: u32) -> Result<Reply, Response> {
    match store.archive_version(id, version).await {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(match store.archive_reply(id).await {
            Ok(Some(a)) => not_found(&format!(
                "答复“{id}”没有第 {version} 版：档案中共有 {} 个版本。",
                a.versions.len()
            )),
            Ok(None) => not_found(&format!("档案中没有编号为“{id}”的答复。")),
            Err(e) => unavailable(e),
        }),
        Err(e) => Err(unavailable(e)),
    }
}
