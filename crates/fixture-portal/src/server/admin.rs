//! The admin API: scripted timelines and demos add, edit and remove
//! documents over HTTP, and read the request log.
//!
//! - `GET /_admin/documents`: summaries of every document.
//! - `GET /_admin/documents/{id}`: one document as spec JSON.
//! - `POST /_admin/documents`: a document as spec JSON; `201`, `409` if the
//!   item id exists, `422` if the document is inconsistent.
//! - `PATCH /_admin/documents/{id}`: a [`DocumentPatch`]; `200`.
//! - `DELETE /_admin/documents/{id}`: `204`.
//! - `GET /_admin/requests`, `DELETE /_admin/requests`: the request log.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use tracing::warn;

use super::{json_error, request_base, Entry, Shared};
use crate::edit::DocumentPatch;
use crate::spec::{compare_ids, Document, Layout, Link};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_admin/documents", get(list).post(create))
        .route(
            "/_admin/documents/{id}",
            get(show).patch(patch).delete(delete),
        )
        .route("/_admin/requests", get(requests).delete(reset_requests))
}

/// One document as the admin API lists it.
#[derive(Debug, Serialize)]
struct Summary {
    /// The item id.
    item_id: String,
    /// The channel or HTML column it is listed in.
    channel: String,
    /// The title as shown.
    title: String,
    /// The detail page's path.
    path: String,
    /// The detail page's absolute URL (the external URL for an external
    /// entry).
    url: String,
    /// 发布日期.
    published_on: String,
    /// The layout.
    layout: Layout,
    /// Whether it is a reply.
    is_reply: bool,
    /// The detail page's `Last-Modified`.
    last_modified: String,
}

fn summary(entry: &Entry, base: &str) -> Summary {
    let doc = &entry.doc;
    Summary {
        item_id: doc.item_id.clone(),
        channel: doc.channel.clone(),
        title: doc.title().to_string(),
        path: doc.path(),
        url: match &doc.link {
            Link::External(url) => url.clone(),
            _ => format!("{base}{}", doc.path()),
        },
        published_on: doc.published_on.format("%Y-%m-%d").to_string(),
        layout: doc.layout,
        is_reply: doc.is_reply(),
        last_modified: httpdate::fmt_http_date(entry.modified),
    }
}

async fn list(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let base = request_base(&headers, &shared);
    let state = shared.lock();
    let mut entries: Vec<&Entry> = state.docs.values().collect();
    entries.sort_by(|a, b| compare_ids(&a.doc.item_id, &b.doc.item_id));
    let summaries: Vec<Summary> = entries.into_iter().map(|e| summary(e, &base)).collect();
    Json(summaries).into_response()
}

async fn show(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    match shared.lock().docs.get(&id) {
        Some(entry) => Json(entry.doc.clone()).into_response(),
        None => json_error(StatusCode::NOT_FOUND, format!("no document {id}")),
    }
}

async fn create(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let doc: Document = match serde_json::from_slice(&body) {
        Ok(doc) => doc,
        Err(error) => {
            warn!(%error, "Rejected a malformed document.");
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("malformed document: {error}"),
            );
        }
    };
    let problems = doc.problems();
    if !problems.is_empty() {
        warn!(item_id = %doc.item_id, problems = %problems.join("; "), "Rejected an inconsistent document.");
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": "inconsistent document", "problems": problems })),
        )
            .into_response();
    }
    let id = doc.item_id.clone();
    let base = request_base(&headers, &shared);
    {
        let mut state = shared.lock();
        if state.docs.contains_key(&id) {
            return json_error(
                StatusCode::CONFLICT,
                format!("document {id} exists; PATCH or DELETE it"),
            );
        }
        let at = state.tick();
        state.insert(doc, at);
    }
    tracing::info!(item_id = %id, "Fixture document added over the admin API.");
    let state = shared.lock();
    match state.docs.get(&id) {
        Some(entry) => (
            StatusCode::CREATED,
            [(LOCATION, format!("/_admin/documents/{id}"))],
            Json(summary(entry, &base)),
        )
            .into_response(),
        None => json_error(StatusCode::INTERNAL_SERVER_ERROR, "the document vanished"),
    }
}

async fn patch(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let edit: DocumentPatch = match serde_json::from_slice(&body) {
        Ok(edit) => edit,
        Err(error) => {
            warn!(%error, item_id = %id, "Rejected a malformed document patch.");
            return json_error(StatusCode::BAD_REQUEST, format!("malformed patch: {error}"));
        }
    };
    if edit.is_empty() {
        return json_error(StatusCode::BAD_REQUEST, "the patch changes nothing");
    }
    let portal = super::RunningPortal {
        shared: shared.clone(),
    };
    if !portal.edit(&id, |doc| edit.apply(doc)) {
        return json_error(StatusCode::NOT_FOUND, format!("no document {id}"));
    }
    let base = request_base(&headers, &shared);
    let state = shared.lock();
    match state.docs.get(&id) {
        Some(entry) => Json(summary(entry, &base)).into_response(),
        None => json_error(StatusCode::NOT_FOUND, format!("no document {id}")),
    }
}

async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let portal = super::RunningPortal { shared };
    if portal.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        json_error(StatusCode::NOT_FOUND, format!("no document {id}"))
    }
}

async fn requests(State(shared): State<Arc<Shared>>) -> Response {
    let records: Vec<super::RequestRecord> = shared.lock_requests().iter().cloned().collect();
    Json(records).into_response()
}

async fn reset_requests(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock_requests().clear();
    StatusCode::NO_CONTENT.into_response()
}
