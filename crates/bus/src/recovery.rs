//! How the connection finds and keeps its broker: the addresses (one, or
//! one per node of a cluster) every socket is opened through, the TCP probe
//! that tells an unreachable broker at once, the reconnection backoff, and
//! the watcher that logs an outage and gives up on a recovery that stalls.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lapin::types::LongString;
use lapin::{Connection, ConnectionProperties};
use tracing::{debug, error, info, warn};

use crate::connection::BusInner;

/// How long the first TCP connection to the broker may take.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the AMQP handshake (login included) may take before opening a
/// connection gives up rather than hang a starting service.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Opens connections to the broker for one bus: the first one, and a new
/// one whenever a connection's own recovery stalls.
pub(crate) struct Connector {
    /// The broker's addresses and which of them a connection reached.
    pub(crate) addresses: Arc<Addresses>,
    /// The service, shown by the broker as `govwire:<service>`.
    service: String,
    /// The shortest and longest base waits between reconnection attempts.
    delays: (Duration, Duration),
}

impl Connector {
    /// A connector for `addresses`, whose connections wait at most
    /// `reconnect_cap` between two reconnection attempts.
    pub(crate) fn new(addresses: Arc<Addresses>, service: &str, reconnect_cap: Duration) -> Self {
        Self {
            addresses,
            service: service.to_owned(),
            delays: reconnect_delays(reconnect_cap),
        }
    }

    /// The properties of every connection: its name, and recovery that
    /// never gives up. Each wait is drawn from `[d, 2d)` where `d` doubles
    /// from the shortest base wait up to the longest (half the cap), so no
    /// wait exceeds the cap and services that lost the same broker do not
    /// retry in step.
    fn properties(&self) -> ConnectionProperties {
        let (min_delay, max_delay) = self.delays;
        ConnectionProperties::default()
            .with_connection_name(LongString::from(format!("govwire:{}", self.service)))
            .with_client_property("product".into(), LongString::from("govwire"))
            .enable_auto_recover()
            .configure_backoff(move |backoff| {
                backoff
                    .with_min_delay(min_delay)
                    .with_max_delay(max_delay)
                    .with_jitter()
                    .without_max_times()
            })
    }

    /// Opens a connection, trying address `first` and then the others.
    pub(crate) async fn open_from(&self, first: usize) -> Result<Opened, String> {
        // lapin's runtime on the current tokio runtime.
        let runtime = lapin::runtime::default_runtime().map_err(|error| error.to_string())?;
        let count = self.addresses.list.len();
        let first = first % count;
        self.addresses.next.store(first, Ordering::Release);
        let retired = Arc::new(AtomicBool::new(false));
        let sockets = Arc::clone(&self.addresses);
        let stop = Arc::clone(&retired);
        let tls = lapin::tcp::OwnedTLSConfig::default();
        // Every (re)connection opens its socket here: the addresses in turn
        // from the one after the node last reached, so a connection that
        // lost its node moves to a remaining one. A retired connection
        // opens none.
        let open_socket = async move |_uri, runtime| {
            if stop.load(Ordering::Acquire) {
                return Err(lapin::Error::from(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "this connection was replaced by a new one",
                )));
            }
            let sockets = &sockets;
            let count = sockets.list.len();
            let first = sockets.next.load(Ordering::Acquire) % count;
            let mut last_error = None;
            for i in (0..count).map(|k| (first + k) % count) {
                let address = &sockets.list[i];
                let opening = lapin::tcp::AMQPUriTcpExt::connect_with_config_async(
                    &address.uri,
                    tls.as_ref(),
                    &runtime,
                );
                let error = match tokio::time::timeout(PROBE_TIMEOUT, opening).await {
                    Ok(Ok(stream)) => {
                        sockets.current.store(i, Ordering::Release);
                        sockets.next.store((i + 1) % count, Ordering::Release);
                        return Ok(stream);
                    }
                    Ok(Err(error)) => error,
                    Err(_) => std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no TCP connection within {PROBE_TIMEOUT:?}"),
                    ),
                };
                debug!(url = %address.redacted, %error, "Cannot open a connection to a RabbitMQ node.");
                last_error = Some(error);
            }
            Err(lapin::Error::from(last_error.unwrap_or_else(|| {
                std::io::Error::from(std::io::ErrorKind::NotConnected)
            })))
        };
        let attempt = Connection::connector(
            self.addresses.list[first].uri.clone(),
            runtime,
            open_socket,
            self.properties(),
        );
        match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(connection)) => Ok(Opened {
                connection: Arc::new(connection),
                retired,
            }),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no AMQP handshake within {CONNECT_TIMEOUT:?}")),
        }
    }

    /// Opens a new connection from the address after the one reached last.
    pub(crate) async fn open_next(&self) -> Result<Opened, String> {
        self.open_from(self.addresses.next.load(Ordering::Acquire))
            .await
    }
}

/// A connection opened by a [`Connector`].
pub(crate) struct Opened {
    /// The connection.
    pub(crate) connection: Arc<Connection>,
    /// Set when the connection is replaced: it opens no socket after that.
    pub(crate) retired: Arc<AtomicBool>,
}

/// How often a retired connection is looked at, to close it should its
/// own recovery complete after all.
const RETIRED_CHECK_EVERY: Duration = Duration::from_millis(200);

/// Retires `old`, a connection replaced because its recovery stalled: it
/// may open no further socket, and if the recovery it was in completes
/// after all, it is closed at once, so no channel or consumer of it lives
/// on beside the new connection (the broker then returns whatever it had
/// sent on it to the queues). Ends when the connection is closed or failed.
pub(crate) async fn retire(old: Opened, service: String) {
    old.retired.store(true, Ordering::Release);
    let mut ticks = tokio::time::interval(RETIRED_CHECK_EVERY);
    loop {
        ticks.tick().await;
        let status = old.connection.status();
        if status.closed() || status.errored() {
            return;
        }
        if status.connected() {
            let closing = old
                .connection
                .close(320, "replaced by a new connection".into());
            match tokio::time::timeout(PROBE_TIMEOUT, closing).await {
                Ok(Ok(())) => {
                    info!(service = %service, "Closed a replaced RabbitMQ connection whose recovery completed late.");
                    return;
                }
                Ok(Err(error)) => {
                    debug!(service = %service, %error, "Cannot close a replaced RabbitMQ connection yet.")
                }
                Err(_) => {
                    debug!(service = %service, "Closing a replaced RabbitMQ connection timed out.")
                }
            }
        }
    }
}

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
/// connection still has not recovered before the bus replaces it with a
/// new connection: a recovery that finds the broker reachable needs one
/// reconnection wait (at most the cap) and a handshake, so three caps, and
/// never less than [`STUCK_AFTER_MIN`], are plenty.
pub(crate) fn stuck_after(reconnect_cap: Duration) -> Duration {
    STUCK_AFTER_MIN.max(reconnect_cap * 3)
}

/// The least time a connection may take to recover with the broker
/// reachable before it is replaced.
const STUCK_AFTER_MIN: Duration = Duration::from_secs(15);

/// How many new connections in a row may fail to open, with the broker
/// reachable, before the bus gives up: the service then ends, for its
/// supervisor to restart it, rather than stay alive and idle.
const RENEWALS_BEFORE_GIVING_UP: u32 = 4;

/// What the connection watcher looks at.
pub(crate) struct Watched {
    /// The bus, to notice it was dropped, to replace its connection and to
    /// mark it abandoned.
    pub(crate) bus: std::sync::Weak<BusInner>,
    /// The service, for logs.
    pub(crate) service: String,
    /// How long the broker may be reachable while the connection is still
    /// down before the connection is replaced.
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
    /// New connections that failed to open during this outage.
    failed_renewals: u32,
}

/// Logs what happens to the connection: once when it is lost, once a minute
/// while it stays down, and once when it is back, with how long it was
/// down. If the broker has been reachable for a while and the connection
/// still has not come back, its recovery has stalled: the bus replaces it
/// with a new connection, to which consumers and publishers move. If new
/// connections cannot be opened either, the bus is marked abandoned
/// (consumers then fail) and that is logged as an error. Ends when the bus
/// is dropped or closed, or the connection is gone for good.
pub(crate) async fn watch_connection(watched: Watched) {
    let Watched {
        bus,
        service,
        stuck_after,
    } = watched;
    let Some(addresses) = bus
        .upgrade()
        .map(|bus| Arc::clone(&bus.connector.addresses))
    else {
        return;
    };
    // The node the connection was on when it was lost.
    let mut url = addresses.current();
    let mut ticks = tokio::time::interval(WATCH_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut outage: Option<Outage> = None;
    let mut outages = 0u64;
    loop {
        ticks.tick().await;
        let Some(status) = bus.upgrade().map(|bus| bus.connection().status().clone()) else {
            return;
        };
        if status.closed() {
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
                    next_probe: now + stuck_after / 6,
                    reachable_since: None,
                    failed_renewals: 0,
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
            if now < current.next_probe {
                continue;
            }
            current.next_probe = now + stuck_after / 6;
            if !addresses.any_reachable().await {
                current.reachable_since = None;
                continue;
            }
            let Some(since) = current.reachable_since else {
                current.reachable_since = Some(now);
                continue;
            };
            if now.duration_since(since) < stuck_after {
                continue;
            }
            let Some(inner) = bus.upgrade() else {
                return;
            };
            warn!(
                service = %service,
                url = %url,
                down_for_secs = now.duration_since(current.since).as_secs(),
                "RabbitMQ is reachable again but the connection has not recovered; opening a new one."
            );
            match inner.renew().await {
                Ok(()) => {
                    let down_for = tokio::time::Instant::now().duration_since(current.since);
                    url = addresses.current();
                    info!(
                        service = %service,
                        url = %url,
                        down_for_secs = down_for.as_secs_f64(),
                        outages,
                        "Opened a new connection to RabbitMQ; consumers and publishers move to it."
                    );
                    outage = None;
                }
                Err(reason) => {
                    current.failed_renewals += 1;
                    warn!(service = %service, reason = %reason, failed = current.failed_renewals, "Cannot open a new connection to RabbitMQ.");
                    if current.failed_renewals >= RENEWALS_BEFORE_GIVING_UP {
                        error!(
                            service = %service,
                            url = %url,
                            down_for_secs = now.duration_since(current.since).as_secs(),
                            "RabbitMQ is reachable but no connection to it recovers or opens; giving up so the service stops and can be restarted."
                        );
                        inner.abandoned.store(true, Ordering::Release);
                        return;
                    }
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
