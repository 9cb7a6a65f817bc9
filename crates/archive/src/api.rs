//! The archive's read API.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use govwire_store::Store;
use serde::Deserialize;
use serde_json::json;

/// Largest page of `GET /replies`.
const MAX_LIMIT: u32 = 500;

/// The API's routes over `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/stats", get(stats))
        .route("/replies", get(list))
        .route("/replies/{id}", get(reply))
        .route("/replies/{id}/versions/{version}", get(version))
        .with_state(store.clone())
        .merge(crate::pages::router(store))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    portal: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn list(State(store): State<Store>, Query(q): Query<ListQuery>) -> Response {
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_LIMIT);
    match store
        .archive_list(q.portal.as_deref(), limit, q.offset.unwrap_or(0))
        .await
    {
        Ok(rows) => Json(rows).into_response(),
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
