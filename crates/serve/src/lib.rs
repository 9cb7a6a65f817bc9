//! How a govwire daemon serves HTTP (the archive's read API, the analytics
//! report): [`Api::start`] binds the address, logs it and reports the bound
//! address (tests bind port 0), then serves until the daemon's cancellation
//! token fires; [`Api::finish`] waits for the requests in flight.

#![warn(missing_docs)]

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn, Instrument};

/// A running HTTP server.
pub struct Api {
    what: &'static str,
    local: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Api {
    /// Binds `addr` and serves `router` until `cancel`. `what` names the
    /// server in logs and errors (`archive API`); `bound`, if given,
    /// receives the bound address.
    pub async fn start(
        what: &'static str,
        addr: SocketAddr,
        router: axum::Router,
        cancel: CancellationToken,
        bound: Option<oneshot::Sender<SocketAddr>>,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for the {what}: {e}"))?;
        let local = listener.local_addr()?;
        info!(address = %local, "{what} listening.");
        if let Some(tx) = bound {
            let _ = tx.send(local);
        }
        let task = tokio::spawn(
            async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move { cancel.cancelled().await })
                    .await
            }
            .in_current_span(),
        );
        Ok(Self { what, local, task })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Waits until the server has stopped (its token fired) and the
    /// requests in flight are answered; a failure is logged.
    pub async fn finish(self) {
        let what = self.what;
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!(error = %e, "{what} stopped with an error."),
            Err(e) => warn!(error = %e, "{what} task failed."),
        }
    }
}
