//! Analytics' HTTP API: the aggregates as JSON and as an HTML report.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use govwire_store::Store;
use serde::Deserialize;
use serde_json::json;

/// Title words `GET /analytics` lists unless `?words=` says otherwise.
pub const DEFAULT_WORDS: u32 = 50;
/// Most title words `GET /analytics?words=` lists.
pub const MAX_WORDS: u32 = 1000;
/// Title words the report's table shows.
pub const REPORT_WORDS: u32 = 30;

/// The API's routes over `store`: `GET /analytics`, `GET /report`,
/// `GET /healthz`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/analytics", get(analytics))
        .route("/report", get(report))
        .with_state(store)
}

#[derive(Debug, Deserialize)]
struct AnalyticsQuery {
    /// How many title words to list (default [`DEFAULT_WORDS`], at most
    /// [`MAX_WORDS`]).
    words: Option<u32>,
}

async fn analytics(State(store): State<Store>, Query(q): Query<AnalyticsQuery>) -> Response {
    let words = q.words.unwrap_or(DEFAULT_WORDS).min(MAX_WORDS);
    match store.analytics(words).await {
        Ok(a) => Json(a).into_response(),
        Err(e) => internal(e),
    }
}

async fn report(State(store): State<Store>) -> Response {
    match store.analytics(REPORT_WORDS).await {
        Ok(a) => (
            [(header::CACHE_CONTROL, "no-store")],
            Html(crate::report::render(&a, Utc::now())),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

fn internal(e: govwire_store::StoreError) -> Response {
    tracing::warn!(error = %e, "Analytics query failed.");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "the analytics database could not answer"})),
    )
        .into_response()
}
