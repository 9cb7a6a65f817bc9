//! How the connection finds and keeps its broker: the addresses (one, or
//! one per node of a cluster) every socket is opened through, the TCP probe
//! that tells an unreachable broker at once, the reconnection backoff, and
//! the watcher that logs an outage and gives up on a recovery that stalls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing::{error, info, warn};

use crate::connection::BusInner;

/// How long the first TCP connection to the broker may take.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// One of the broker's addresses, as the connection opens it.
pub(crate) struct Address {
    /// The URL, parsed, with the frame size govwire asks for.
    pub(crate) uri: lapin::uri::AMQPUri,
    /// The URL with its password replaced by `***`, for logs.
    pub(crate) redacted: String,
}

/// The broker's addresses (one, or one per node of a cluster), shared by
/// the connection, which opens every socket through them, and its watcher.
pub(crate) struct Addresses {
    /// In the configured order.
    pub(crate) list: Vec<Address>,
    /// Where the next attempt to open a socket starts: the address after
    /// the one reached last, so a connection that lost its node tries the
    /// others first.
    pub(crate) next: AtomicUsize,
    /// The address the connection reached last.
    pub(crate) current: AtomicUsize,
}

impl Addresses {
    /// The redacted URL of the address the connection reached last.
    pub(crate) fn current(&self) -> String {
        let i = self.current.load(Ordering::Acquire);
        self.list
            .get(i)
            .map(|address| address.redacted.clone())
            .unwrap_or_default()
    }

    /// Whether any address accepts a TCP connection.
    pub(crate) async fn any_reachable(&self) -> bool {
        for address in &self.list {
            if probe(&address.uri.authority.host, address.uri.authority.port)
                .await
                .is_ok()
            {
                return true;
            }
        }
        false
    }
}

/// Opens (and drops) a TCP connection to the broker, so that an unreachable
/// broker is reported at once instead of after lapin's reconnect backoff.
pub(crate) async fn probe(host: &str, port: u16) -> Result<(), String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(PROBE_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(error)) => Err(format!(
            "cannot open a TCP connection to {host}:{port}: {error}"
        )),
        Err(_) => Err(format!(
            "no TCP connection to {host}:{port} within {PROBE_TIMEOUT:?}"
        )),
    }
}

/// How often the connection watcher looks at the connection's state: often
/// enough that a lost connection is reported within a fraction of a second.
const WATCH_INTERVAL: Duration = Duration::from_millis(200);
/// How often a connection that is still down is reported again, so that a
/// long outage shows in the log without flooding it: the period every
/// persistent failure in govwire is reported at.
const STILL_DOWN_REPORT_EVERY: Duration = govwire_retry::LOG_EVERY;
/// The first wait before reconnecting (unless the cap is shorter).
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(250);

/// The shortest and longest base waits of the reconnection backoff for a
/// cap on the waits: lapin adds a random part of up to the base wait again,
/// so the base waits stop at half the cap.
pub(crate) fn reconnect_delays(cap: Duration) -> (Duration, Duration) {
    let half = (cap / 2).max(Duration::from_millis(1));
    (RECONNECT_MIN_DELAY.min(half), half)
}

/// How long the broker may be reachable again (by TCP) while the
/// connection still has not recovered before the bus gives up on it (at
/// least; twelve reconnection caps if that is longer). A recovery that
/// stalls must end the service, for a supervisor to restart it, rather than
/// leave it alive and idle.
pub(crate) const STUCK_AFTER: Duration = Duration::from_secs(60);

/// What the connection watcher looks at.
pub(crate) struct Watched {
    /// The bus, to notice it was dropped and to mark it abandoned.
    pub(crate) bus: std::sync::Weak<BusInner>,
    /// The connection's state, shared with lapin.
    pub(crate) status: lapin::ConnectionStatus,
    /// The service, for logs.
    pub(crate) service: String,
    /// The broker's addresses: which one the connection reached, for logs,
    /// and where to check that the broker is reachable during an outage.
    pub(crate) addresses: Arc<Addresses>,
    /// How long the broker may be reachable while the connection is still
    /// down before the bus gives up.
    pub(crate) stuck_after: Duration,
}

/// A connection outage as the watcher saw it.
struct Outage {
    /// When the watcher first saw the connection down.
    since: tokio::time::Instant,
    /// When to say again that it is still down.
    next_report: tokio::time::Instant,
    /// When to check again whether the broker is reachable.
    next_probe: tokio::time::Instant,
    /// Since when the broker has been found reachable, if it is.
    reachable_since: Option<tokio::time::Instant>,
}

/// Logs what happens to the connection: once when it is lost, once a minute
/// while it stays down, and once when it is back, with how long it was
/// down. If the broker has been reachable for a long while and the
/// connection still has not come back, the recovery has stalled: the bus is
/// marked abandoned (consumers then fail) and that is logged as an error.
/// Ends when the bus is dropped or closed, or the connection is gone for
/// good.
pub(crate) async fn watch_connection(watched: Watched) {
    let Watched {
        bus,
        status,
        service,
        addresses,
        stuck_after,
    } = watched;
    // The node the connection was on when it was lost.
    let mut url = addresses.current();
    let mut ticks = tokio::time::interval(WATCH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut outage: Option<Outage> = None;
    let mut outages = 0u64;
    loop {
        ticks.tick().await;
        if bus.strong_count() == 0 || status.closed() {
            return;
        }
        let now = tokio::time::Instant::now();
        if status.connected() {
            url = addresses.current();
            if let Some(ended) = outage.take() {
                let down_for = now.duration_since(ended.since);
                info!(
                    service = %service,
                    url = %url,
                    down_for_secs = down_for.as_secs_f64(),
                    outages,
                    "Reconnected to RabbitMQ."
                );
            }
        } else if status.errored() {
            error!(
                service = %service,
                url = %url,
                "The connection to RabbitMQ failed and cannot be recovered; consumers stop."
            );
            return;
        } else if status.reconnecting() || status.connecting() {
            let Some(current) = &mut outage else {
                outages += 1;
                warn!(service = %service, url = %url, "Lost the connection to RabbitMQ; reconnecting.");
                outage = Some(Outage {
                    since: now,
                    next_report: now + STILL_DOWN_REPORT_EVERY,
                    next_probe: now + STILL_DOWN_REPORT_EVERY.min(stuck_after),
                    reachable_since: None,
                });
                continue;
            };
            if now >= current.next_report {
                current.next_report = now + STILL_DOWN_REPORT_EVERY;
                warn!(
                    service = %service,
                    url = %url,
                    down_for_secs = now.duration_since(current.since).as_secs(),
                    "Still reconnecting to RabbitMQ."
                );
            }
            if now >= current.next_probe {
                current.next_probe = now + stuck_after / 6;
                if !addresses.any_reachable().await {
                    current.reachable_since = None;
                } else if let Some(since) = current.reachable_since {
                    if now.duration_since(since) >= stuck_after && status.reconnecting() {
                        error!(
                            service = %service,
                            url = %url,
                            down_for_secs = now.duration_since(current.since).as_secs(),
                            "RabbitMQ is reachable again but the connection has not recovered; giving up on it so the service stops and can be restarted."
                        );
                        if let Some(bus) = bus.upgrade() {
                            bus.abandoned.store(true, Ordering::Release);
                        }
                        return;
                    }
                } else {
                    current.reachable_since = Some(now);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_reconnection_wait_exceeds_the_cap() {
        // lapin waits a base delay plus a random part of up to the same again.
        let (min, max) = reconnect_delays(Duration::from_secs(5));
        assert_eq!(min, Duration::from_millis(250));
        assert_eq!(max * 2, Duration::from_secs(5));
        let (min, max) = reconnect_delays(Duration::from_millis(200));
        assert!(min <= max && max * 2 <= Duration::from_millis(200));
        let (min, max) = reconnect_delays(Duration::ZERO);
        assert!(!min.is_zero() && min <= max);
    }
}
