//! The health and metrics listener every govwire process runs
//! (`[telemetry] listen`): `GET /livez` (the process runs), `GET /readyz`
//! (it can do its work: RabbitMQ connected, every store answering, every
//! consumer loop running; `503` with the reasons otherwise) and
//! `GET /metrics` (every metric the process's crates count, in the
//! Prometheus text format).
//!
//! The crates count through the `metrics` facade; this module installs the
//! one Prometheus recorder of the process, which renders them.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use govwire_bus::Bus;
use govwire_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The longest a store may take to answer the readiness check.
const STORE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Buckets of the duration histograms (seconds): a millisecond to a minute.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0,
];

/// The process's Prometheus recorder, installed on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&DURATION_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            warn!("Another metrics recorder is installed; /metrics shows nothing.");
        }
        handle
    })
}

/// What `/readyz` looks at.
#[derive(Clone)]
pub struct Readiness {
    /// The process's RabbitMQ connection (a plain clone: it does not keep
    /// the connection open by itself).
    pub bus: Bus,
    /// Every store the process's stages use, with its redacted URL.
    pub stores: Vec<(String, Store)>,
    /// The queues the process's stages consume (full names).
    pub queues: Vec<String>,
}

impl Readiness {
    /// Why the process cannot do its work now; empty when it can.
    pub async fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !self.bus.is_connected() {
            problems.push(format!(
                "not connected to RabbitMQ at {}",
                self.bus.config().redacted_url()
            ));
        }
        for (url, store) in &self.stores {
            match tokio::time::timeout(STORE_CHECK_TIMEOUT, store.ping()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => problems.push(format!("the store at {url} does not answer: {e}")),
                Err(_) => problems.push(format!(
                    "the store at {url} did not answer within {} s",
                    STORE_CHECK_TIMEOUT.as_secs()
                )),
            }
        }
        let loops: std::collections::BTreeMap<String, bool> =
            govwire_bus::consumer_loops().into_iter().collect();
        for queue in &self.queues {
            match loops.get(queue) {
                Some(true) => {}
                Some(false) => problems.push(format!("the consumer of {queue} has stopped")),
                None => problems.push(format!("the consumer of {queue} has not started yet")),
            }
        }
        problems
    }
}

/// Serves `/livez`, `/readyz` and `/metrics` on `listen` until `cancel`
/// fires; sends the bound address to `bound` once listening.
pub async fn serve(
    listen: SocketAddr,
    readiness: Readiness,
    cancel: CancellationToken,
    bound: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> Result<()> {
    let metrics = metrics().clone();
    let app = Router::new()
        .route("/livez", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(move || {
                let metrics = metrics.clone();
                async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        metrics.render(),
                    )
                }
            }),
        )
        .with_state(readiness);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| {
            format!("cannot listen for health and metrics on {listen} (telemetry.listen)")
        })?;
    let local = listener.local_addr()?;
    info!(listen = %local, "Serving /livez, /readyz and /metrics.");
    if let Some(bound) = bound {
        let _ = bound.send(local);
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
        .context("the health and metrics listener failed")
}

async fn readyz(State(readiness): State<Readiness>) -> impl IntoResponse {
    let problems = readiness.problems().await;
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", problems.join("; ")),
        )
    }
}
