//! Logging, set up once for the whole process: JSON lines when stderr is not
//! a terminal (systemd, containers), readable lines when it is; `--log-format`
//! or `[log] format` override. Every service runs inside a span carrying
//! `service`, and handlers add `portal`, `reply_id`, `event_id` and `url`
//! where they know them, so each line can be traced to its origin.

use std::io::IsTerminal;

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogFormat;

/// Installs the global subscriber. `level` is a `RUST_LOG`-style filter;
/// `RUST_LOG`, when set, wins.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .with_current_span(false)
                    .with_span_list(true)
                    .flatten_event(true),
            )
            .init();
    } else {
        registry
            .with(fmt::layer().with_writer(std::io::stderr).with_target(false))
            .init();
    }
}
