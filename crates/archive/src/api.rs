//! The archive's read API (JSON). Every endpoint, parameter and field is
//! described in `docs/archive-api.md`.
//!
//! - `GET /replies`: the list, filtered and searched, in keyset pages
//!   (parameters read by [`crate::params::parse_filter`]);
//! - `GET /replies/{id}`: a reply's current record and its versions;
//! - `GET /replies/{id}/versions`: its versions with what changed in each;
//! - `GET /replies/{id}/versions/{v}`: one version's record;
//! - `GET /feed.atom`: the Atom feed of new and changed replies, with the
//!   list's filters ([`crate::feed`]);
//! - `GET /export.jsonl`, `GET /export.csv`: the replies the filters select,
//!   whole ([`crate::export`]);
//! - `GET /stats`, `GET /healthz`.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use govwire_store::{ReplyRow, Store};
use serde::Serialize;
use serde_json::json;

use crate::params::{parse_filter, to_query, BadParameter};

/// The API's routes over `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/stats", get(stats))
        .route("/replies", get(list))
        .route("/replies/{id}", get(reply))
        .route("/replies/{id}/versions", get(versions))
        .route("/replies/{id}/versions/{version}", get(version))
        .route("/feed.atom", get(crate::feed::handler))
        .route("/export.jsonl", get(crate::export::jsonl))
        .route("/export.csv", get(crate::export::csv))
        .with_state(store.clone())
        .merge(crate::pages::router(store))
}

/// The answer of `GET /replies`.
#[derive(Debug, Serialize)]
struct ListAnswer {
    /// How many replies match, over all pages.
    total: u64,
    /// This page's replies.
    replies: Vec<ReplyRow>,
    /// The link to the next page (the same parameters with `after`);
    /// `null` on the last page.
    next: Option<String>,
}

async fn list(State(store): State<Store>, RawQuery(query): RawQuery) -> Response {
    let (filter, after, limit) = match parse_filter(query.as_deref().unwrap_or("")) {
        Ok(parsed) => parsed,
        Err(bad) => return bad_request(bad),
    };
    match store.query_replies(&filter, after.as_ref(), limit).await {
        Ok(page) => Json(ListAnswer {
            total: page.total,
            next: page
                .next
                .map(|next| format!("/replies?{}", to_query(&filter, Some(&next), limit))),
            replies: page.rows,
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

async fn reply(State(store): State<Store>, Path(id): Path<String>) -> Response {
    match store.archive_reply(&id).await {
        Ok(Some(r)) => Json(r).into_response(),
        Ok(None) => not_found(&id),
        Err(e) => internal(e),
    }
}

async fn versions(State(store): State<Store>, Path(id): Path<String>) -> Response {
    match store.archive_versions(&id).await {
        Ok(versions) if versions.is_empty() => not_found(&id),
        Ok(versions) => Json(versions).into_response(),
        Err(e) => internal(e),
    }
}

async fn version(State(store): State<Store>, Path((id, version)): Path<(String, u32)>) -> Response {
    match store.archive_version(&id, version).await {
        Ok(Some(r)) => Json(r).into_response(),
        Ok(None) => not_found(&format!("{id} version {version}")),
        Err(e) => internal(e),
    }
}

async fn stats(State(store): State<Store>) -> Response {
    match store.archive_stats().await {
        Ok(s) => Json(s).into_response(),
        Err(e) => internal(e),
    }
}

/// 400 with `{"error": …, "parameter": …}`.
fn bad_request(bad: BadParameter) -> Response {
    tracing::debug!(parameter = %bad.parameter, error = %bad.error, "Refused a list query.");
    (StatusCode::BAD_REQUEST, Json(bad)).into_response()
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("no archived reply {what}")})),
    )
        .into_response()
}

fn internal(e: govwire_store::StoreError) -> Response {
    tracing::warn!(error = %e, "Archive API query failed.");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "the archive database could not answer"})),
    )
        .into_response()
}
