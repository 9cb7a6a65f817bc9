//! Serves the embedded corpus on a port until Ctrl-C, for poking at the
//! fixture portal by hand:
//!
//! ```text
//! cargo run -p govwire-fixture-portal --example serve -- 8080
//! ```
//!
//! `govwire fixture-portal --port N` is the supported way to run it; this
//! example exists for working on the fixture itself.

use std::net::SocketAddr;

use govwire_fixture_portal::{corpus, FixturePortal};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("port `{arg}`: {error}"),
            )
        })?,
        None => 8080,
    };
    let shutdown = CancellationToken::new();
    let portal = FixturePortal::start(
        SocketAddr::from(([127, 0, 0, 1], port)),
        corpus(),
        shutdown.clone(),
    )
    .await?;
    println!("Serving the fixture portal at {}", portal.base_url());
    tokio::signal::ctrl_c().await?;
    shutdown.cancel();
    portal.stopped().await;
    Ok(())
}
