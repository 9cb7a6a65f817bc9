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
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use govwire_model::{HandlingResult, Reply};
use govwire_store::{Cursor, ReplyFilter, ReplyRow, Store, StoreError};

use crate::params;
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

/// The row of the list that shows `row`.
pub fn list_row(row: ReplyRow) -> ListRow {
    ListRow {
        handling_result: row.handling_result.map(|raw| HandlingResult {
            raw,
            category: row.result_category,
        }),
        reply_id: row.reply_id,
        title: row.title,
        doc_number: row.doc_number,
        addressee: row.addressee,
        published_on: row.published_on,
        status: row.status,
        snippet: row.snippet,
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

/// Why a page cannot be shown; each answers with its own page in Chinese.
#[derive(Debug)]
enum Refusal {
    /// No such reply or version (404), saying which.
    NotFound(String),
    /// A parameter that cannot be read (400), saying which and why.
    BadRequest(String),
    /// The store failed (500); the cause is logged, not shown.
    Unavailable,
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "Archive page query failed.");
        Refusal::Unavailable
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound(message) => html(
                StatusCode::NOT_FOUND,
                render_error("找不到这件答复", &message),
            ),
            Refusal::BadRequest(message) => {
                html(StatusCode::BAD_REQUEST, render_error("请求有误", &message))
            }
            Refusal::Unavailable => html(
                StatusCode::INTERNAL_SERVER_ERROR,
                render_error("暂时无法读取档案", "档案数据库暂时无法回答，请稍后再试。"),
            ),
        }
    }
}

/// A page, or why it cannot be shown.
type PageResult = Result<Response, Refusal>;

/// A version number from a query parameter.
fn version_number(name: &str, value: &str) -> Result<u32, Refusal> {
    match value.trim().parse::<u32>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(Refusal::BadRequest(format!(
            "参数 {name} 应为版本号（从 1 开始的整数），收到的是“{value}”。"
        ))),
    }
}

/// What a request whose path or query cannot be read is told.
fn unreadable() -> Refusal {
    Refusal::BadRequest("地址中的答复编号或查询参数无法读取。".into())
}

async fn list_page(
    State(store): State<Store>,
    RawQuery(query): RawQuery,
    filters: Result<Query<ListFilters>, QueryRejection>,
) -> PageResult {
    let Ok(Query(filters)) = filters else {
        return Err(unreadable());
    };
    let query = query.unwrap_or_default();
    let (filter, after, _) = params::parse_filter(&query)
        .map_err(|e| Refusal::BadRequest(format!("参数 {} 有误：{}", e.parameter, e.error)))?;
    let view = list_view(&store, &filter, after.as_ref(), filters.normalized()).await?;
    Ok(html(StatusCode::OK, render_list(&view)))
}

/// The list page's content: the replies `filter` selects, a page of
/// [`PAGE_SIZE`] after `after`, with the form refilled from `filters`.
async fn list_view(
    store: &Store,
    filter: &ReplyFilter,
    after: Option<&Cursor>,
    filters: ListFilters,
) -> Result<ListView, StoreError> {
    let page = store.query_replies(filter, after, PAGE_SIZE).await?;
    let link = |cursor: Option<&Cursor>| {
        let query = params::to_query(filter, cursor, PAGE_SIZE);
        if query.is_empty() {
            "/".to_string()
        } else {
            format!("/?{query}")
        }
    };
    Ok(ListView {
        next_page: page.next.as_ref().map(|c| link(Some(c))),
        first_page: after.is_some().then(|| link(None)),
        rows: page.rows.into_iter().map(list_row).collect(),
        total: page.total,
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
) -> PageResult {
    let (Ok(Path(id)), Ok(Query(query))) = (id, query) else {
        return Err(unreadable());
    };
    let archived = store
        .archive_reply(&id)
        .await?
        .ok_or_else(|| no_reply(&id))?;
    let shown = match query.version.filter(|v| !v.trim().is_empty()) {
        None => archived.current.clone(),
        Some(version) => read_version(&store, &id, version_number("version", &version)?).await?,
    };
    Ok(html(StatusCode::OK, render_reply(&archived, &shown)))
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
) -> PageResult {
    let (Ok(Path(id)), Ok(Query(query))) = (id, query) else {
        return Err(unreadable());
    };
    let (Some(from), Some(to)) = (query.from, query.to) else {
        return Err(Refusal::BadRequest(
            "请用参数 from 和 to 指明要对照的两个版本，例如 ?from=1&to=2。".into(),
        ));
    };
    let (from, to) = (version_number("from", &from)?, version_number("to", &to)?);
    if from == to {
        return Err(Refusal::BadRequest(format!(
            "from 与 to 都是第 {from} 版：请指明两个不同的版本。"
        )));
    }
    let old = read_version(&store, &id, from).await?;
    let new = read_version(&store, &id, to).await?;
    Ok(html(StatusCode::OK, render_diff(&old, &new)))
}

/// What a request for an unknown reply is told.
fn no_reply(id: &str) -> Refusal {
    Refusal::NotFound(format!("档案中没有编号为“{id}”的答复。"))
}

/// Version `version` of reply `id`; when there is none, the refusal says
/// whether the reply or only the version is unknown.
async fn read_version(store: &Store, id: &str, version: u32) -> Result<Reply, Refusal> {
    if let Some(record) = store.archive_version(id, version).await? {
        return Ok(record);
    }
    let archived = store.archive_reply(id).await?.ok_or_else(|| no_reply(id))?;
    Err(Refusal::NotFound(format!(
        "答复“{id}”没有第 {version} 版：档案中共有 {} 个版本。",
        archived.versions.len()
    )))
}
