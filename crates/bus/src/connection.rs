//! The connection to RabbitMQ: connecting to the broker's addresses, the
//! connection's generations (a stalled one is replaced), channels,
//! publishers and consumers on it, and closing it. The topology declared on
//! it is in `topology`.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use lapin::options::{BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection};
use secrecy::ExposeSecret;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::config::{scrub, BusConfig};
use crate::consumer::{Consumer, Recipe, Started};
use crate::error::{short, AmqpError, BusError};
use crate::publisher::Publisher;
use crate::recovery::{
    probe, retire, stuck_after, watch_connection, Address, Addresses, Connector, Opened, Watched,
};
use crate::topology::bind_queue;

/// How long closing a channel or the connection may wait for the broker;
/// closing is best effort (the broker cleans up after a dropped socket).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest AMQP frame govwire asks for, unless the URL names one
/// (`?frame_max=`). The client keeps a receive and a send buffer of 32
/// frames per connection, zeroed up front: at the broker's default 128 KiB
/// that is 8 MiB a connection whatever the traffic, at 16 KiB 1 MiB. A
/// larger message is split into more body frames, 8 bytes of framing each.
pub const DEFAULT_FRAME_MAX: u32 = 16 * 1024;

/// A connection to RabbitMQ for one govwire service. Cheap to clone: clones
/// share the connection. Each [`Publisher`] and [`Consumer`] gets its own
/// channel on it, so a failure in one does not close the others.
#[derive(Clone)]
pub struct Bus {
    /// Shared by every clone, publisher and consumer of this bus.
    pub(crate) inner: Arc<BusInner>,
}

/// What clones of a [`Bus`] share.
pub(crate) struct BusInner {
    /// The AMQP connection, replaced by a new one when its own recovery
    /// stalls ([`BusInner::renew`]).
    link: RwLock<Link>,
    /// The generation of the connection, sent each time it is replaced, so
    /// consumers and publishers on the old one move to the new one.
    renewed: watch::Sender<u64>,
    /// Opens connections to the broker's addresses.
    pub(crate) connector: Connector,
    /// The configuration the bus was connected with.
    pub(crate) config: BusConfig,
    /// The service name, for logs and the broker's connection list.
    pub(crate) service: String,
    /// Set when the connection watcher finds the broker reachable again but
    /// the connection not recovering: the bus then counts as gone for good,
    /// so consumers stop and the service ends instead of idling.
    pub(crate) abandoned: AtomicBool,
    /// Handles that will each call [`Bus::close`]: the connection closes
    /// when the last of them does ([`Bus::share`]).
    pub(crate) handles: AtomicUsize,
}

/// The connection a bus uses now, and how many times it was replaced.
struct Link {
    /// The connection.
    opened: Opened,
    /// 0 for the first connection, one more for each replacement.
    generation: u64,
}

impl BusInner {
    /// The connection in use now.
    pub(crate) fn connection(&self) -> Arc<Connection> {
        Arc::clone(&self.read_link().opened.connection)
    }

    /// The connection in use now and its generation.
    fn current(&self) -> (Arc<Connection>, u64) {
        let link = self.read_link();
        (Arc::clone(&link.opened.connection), link.generation)
    }

    fn read_link(&self) -> std::sync::RwLockReadGuard<'_, Link> {
        self.link.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces a connection whose recovery has stalled with a new one,
    /// opened from the address after the one it was on. Consumers and
    /// publishers on the old connection move to the new one
    /// ([`Bus::renewed`]). The old connection is retired: it can open no
    /// further socket, and it is closed should its own recovery ever
    /// complete, so nothing it held comes back to life beside the new one.
    pub(crate) async fn renew(&self) -> Result<(), String> {
        let fresh = self.connector.open_next().await?;
        let (old, generation) = {
            let mut link = self.link.write().unwrap_or_else(PoisonError::into_inner);
            let old = std::mem::replace(&mut link.opened, fresh);
            link.generation += 1;
            (old, link.generation)
        };
        self.renewed.send_replace(generation);
        tokio::spawn(retire(old, self.service.clone()));
        Ok(())
    }
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bus")
            .field("url", &self.inner.config.redacted_url())
            .field("service", &self.inner.service)
            .finish()
    }
}

impl Bus {
    /// Connects to the broker as `service` (shown by the broker as
    /// `govwire:<service>` in its connection list).
    ///
    /// The connection recovers by itself after a network failure or a broker
    /// restart: reconnection is retried forever, waiting at most
    /// [`BusConfig::reconnect_max_delay`] (with a random part) between two
    /// attempts; channels, consumers, QoS and confirm mode are restored, and
    /// [`Consumer::next`] waits for the recovery instead of failing. Losing
    /// the connection is logged once (then once a minute while it lasts),
    /// getting it back with how long it was down.
    pub async fn connect(config: &BusConfig, service: &str) -> Result<Bus, BusError> {
        let url = config.redacted_url();
        let passwords = config.passwords();
        config.url.check().map_err(|reason| BusError::InvalidUrl {
            url: url.clone(),
            reason,
        })?;
        let mut list = Vec::with_capacity(config.url.len());
        for (secret, redacted) in config.url.iter().zip(config.url.redacted()) {
            let mut uri: lapin::uri::AMQPUri =
                secret
                    .expose_secret()
                    .parse()
                    .map_err(|reason: String| BusError::InvalidUrl {
                        url: redacted.clone(),
                        // The parser echoes the whole URL in some messages.
                        reason: scrub(&reason, &passwords),
                    })?;
            if uri.query.frame_max.is_none() {
                uri.query.frame_max = Some(DEFAULT_FRAME_MAX);
            }
            list.push(Address { uri, redacted });
        }
        let addresses = Arc::new(Addresses {
            list,
            next: AtomicUsize::new(0),
            current: AtomicUsize::new(0),
        });
        let connector = Connector::new(addresses, service, config.reconnect_max_delay);
        // The addresses in order: the first that accepts a connection and
        // the login is the one. lapin retries the first TCP connection with
        // the recovery backoff (forever); a quick probe makes an unreachable
        // address fail at once.
        let mut failures: Vec<(String, String)> = Vec::new();
        let mut connected = None;
        for (i, address) in connector.addresses.list.iter().enumerate() {
            let (host, port) = (&address.uri.authority.host, address.uri.authority.port);
            if let Err(reason) = probe(host, port).await {
                failures.push((address.redacted.clone(), scrub(&reason, &passwords)));
                continue;
            }
            match connector.open_from(i).await {
                Ok(connection) => {
                    connected = Some(connection);
                    break;
                }
                Err(reason) => {
                    failures.push((address.redacted.clone(), scrub(&reason, &passwords)));
                }
            }
        }
        let Some(connection) = connected else {
            let error = match <[_; 1]>::try_from(failures) {
                Ok([(url, reason)]) => BusError::Connect {
                    url,
                    service: service.to_owned(),
                    reason,
                },
                Err(failures) => BusError::ConnectAny {
                    service: service.to_owned(),
                    failures: failures
                        .into_iter()
                        .map(|(url, reason)| format!("{url}: {reason}"))
                        .collect(),
                },
            };
            warn!(%error, "Failed to connect to RabbitMQ.");
            return Err(error);
        };
        for (url, reason) in &failures {
            warn!(url = %url, service, reason = %reason, "A RabbitMQ node did not accept the connection; connected to another.");
        }
        info!(url = %connector.addresses.current(), service, "Connected to RabbitMQ.");
        let inner = Arc::new(BusInner {
            link: RwLock::new(Link {
                opened: connection,
                generation: 0,
            }),
            renewed: watch::Sender::new(0),
            connector,
            config: config.clone(),
            service: service.to_owned(),
            abandoned: AtomicBool::new(false),
            handles: AtomicUsize::new(1),
        });
        tokio::spawn(watch_connection(Watched {
            bus: Arc::downgrade(&inner),
            service: service.to_owned(),
            stuck_after: stuck_after(config.reconnect_max_delay),
        }));
        Ok(Bus { inner })
    }

    /// The configuration this bus was connected with.
    pub fn config(&self) -> &BusConfig {
        &self.inner.config
    }

    /// The address (redacted) of the node the connection reached last: of
    /// a cluster's addresses, the one it is on (or, while it reconnects,
    /// was on).
    pub fn node_url(&self) -> String {
        self.inner.connector.addresses.current()
    }

    /// Another handle on this connection, for a part of the process that
    /// closes its bus when it stops (the stages of `govwire all` share one
    /// connection): [`Bus::close`] on a handle closes the connection only
    /// when every handle has been closed. A plain clone is the same handle.
    pub fn share(&self) -> Bus {
        self.inner.handles.fetch_add(1, Ordering::AcqRel);
        self.clone()
    }

    /// The largest AMQP frame agreed with the broker, in bytes: the smaller
    /// of [`DEFAULT_FRAME_MAX`] (or the URL's `frame_max`) and the broker's.
    pub fn frame_max(&self) -> u32 {
        self.inner.connection().configuration().frame_max()
    }

    /// Opens a publisher: its own channel in confirm mode.
    pub async fn publisher(&self) -> Result<Publisher, BusError> {
        Publisher::open(self.clone()).await
    }

    /// Starts consuming `queue` (a full name, as returned by
    /// [`Bus::declare_work_queue`]) on its own channel, with the configured
    /// prefetch and manual acknowledgement. `tag` names the consumer in the
    /// broker's consumer list.
    pub async fn consumer(&self, queue: &str, tag: &str) -> Result<Consumer, BusError> {
        self.within("starting a consumer", async {
            short("queue name", queue)?;
            short("consumer tag", tag)?;
            let recipe = Recipe::Queue {
                tag: tag.to_owned(),
            };
            let started = self.start_consuming(queue, &recipe).await?;
            info!(
                queue,
                tag,
                prefetch = self.inner.config.prefetch,
                "Started consuming."
            );
            Ok(Consumer::new(
                self.clone(),
                started,
                queue.to_owned(),
                recipe,
            ))
        })
        .await
    }

    /// For `govwire tail`: an exclusive, auto-delete (classic) queue
    /// `<prefix>.tail.<host>.<pid>.<random>` bound to the events exchange
    /// with `binding` (`#` for everything, `shpt.reply.*` for one portal's
    /// replies), and a consumer on it. The queue disappears with the
    /// consumer. Its name is chosen here, not by the broker, so that after a
    /// broker restart the recovered connection declares it again under the
    /// same name (the broker refuses a client declaring an `amq.*` name) and
    /// the tail follows the events again by itself; what was published while
    /// the broker was away is not seen.
    pub async fn tail(&self, binding: &str) -> Result<Consumer, BusError> {
        self.within("starting a tail consumer", async {
            let config = &self.inner.config;
            short("binding key", binding)?;
            let queue = tail_queue_name(&config.queue_prefix);
            short("queue name", &queue)?;
            let recipe = Recipe::Tail {
                binding: binding.to_owned(),
                tag: format!("govwire-tail:{}", self.inner.service),
            };
            let started = self.start_consuming(&queue, &recipe).await?;
            info!(queue = %queue, exchange = %config.events_exchange, binding, "Tailing events.");
            Ok(Consumer::new(self.clone(), started, queue, recipe))
        })
        .await
    }

    /// Opens a channel and starts consuming `queue` on it as `recipe` says:
    /// for a tail, its queue is declared and bound first. The channel is
    /// closed again if that fails.
    pub(crate) async fn start_consuming(
        &self,
        queue: &str,
        recipe: &Recipe,
    ) -> Result<Started, BusError> {
        let config = &self.inner.config;
        let queue_name = short("queue name", queue)?;
        let (channel, generation) = self.open_linked_channel().await?;
        let started = async {
            if let Recipe::Tail { binding, .. } = recipe {
                channel
                    .queue_declare(
                        queue_name.clone(),
                        QueueDeclareOptions::exclusive().auto_delete(),
                        FieldTable::default(),
                    )
                    .await
                    .map_err(|source| BusError::Declare {
                        what: "queue",
                        name: queue.to_owned(),
                        source: AmqpError::from(source),
                    })?;
                bind_queue(&channel, queue, &config.events_exchange, binding).await?;
            }
            let consume_error = |source: lapin::Error| BusError::Consume {
                queue: queue.to_owned(),
                source: AmqpError::from(source),
            };
            channel
                .basic_qos(config.prefetch, BasicQosOptions::default())
                .await
                .map_err(consume_error)?;
            channel
                .basic_consume(
                    queue_name,
                    short("consumer tag", recipe.tag())?,
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(consume_error)
        }
        .await;
        match started {
            Ok(deliveries) => Ok(Started {
                deliveries,
                channel,
                generation,
            }),
            Err(error) => {
                close_channel(&channel).await;
                Err(error)
            }
        }
    }

    /// Whether the connection is currently up (false while it recovers and
    /// after [`Bus::close`]).
    pub fn is_connected(&self) -> bool {
        self.inner.connection().status().connected()
    }

    /// Closes the connection gracefully (code 200), which closes every
    /// channel: unacknowledged deliveries go back to their queues. Safe to
    /// call more than once.
    pub async fn close(&self) {
        // A handle given out by `share` closes only itself while others
        // still use the connection.
        let before = self
            .inner
            .handles
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .unwrap_or(0);
        if before > 1 {
            debug!(service = %self.inner.service, handles = before - 1, "RabbitMQ connection still in use; left open.");
            return;
        }
        let connection = self.inner.connection();
        if !connection.status().connected() {
            debug!(service = %self.inner.service, "RabbitMQ connection already closed.");
            return;
        }
        let closing = connection.close(200, "govwire shutdown".into());
        match tokio::time::timeout(CLOSE_TIMEOUT, closing).await {
            Ok(Ok(())) => info!(service = %self.inner.service, "Closed the RabbitMQ connection."),
            Ok(Err(error)) => {
                warn!(%error, service = %self.inner.service, "Failed to close the RabbitMQ connection cleanly.")
            }
            Err(_) => warn!(
                service = %self.inner.service,
                "The broker did not confirm closing the connection in time."
            ),
        }
    }

    /// Runs a request to the broker, giving up after the configured
    /// timeout (a channel left behind is closed in the background).
    pub(crate) async fn within<T>(
        &self,
        operation: &'static str,
        request: impl std::future::Future<Output = Result<T, BusError>>,
    ) -> Result<T, BusError> {
        let timeout = self.inner.config.confirm_timeout;
        match tokio::time::timeout(timeout, request).await {
            Ok(result) => result,
            Err(_) => {
                let error = BusError::Timeout { operation, timeout };
                warn!(%error, "RabbitMQ request timed out.");
                Err(error)
            }
        }
    }

    /// Whether the connection is gone for good: closed by [`Bus::close`],
    /// failed in a way the client does not recover from, or still not
    /// recovered long after the broker became reachable again. A consumer
    /// waiting for a recovery that will never come stops waiting on this.
    pub(crate) fn is_dead(&self) -> bool {
        let connection = self.inner.connection();
        let status = connection.status();
        status.closed() || status.errored() || self.inner.abandoned.load(Ordering::Acquire)
    }

    /// Opens a fresh channel on the connection.
    pub(crate) async fn open_channel(&self) -> Result<Channel, BusError> {
        self.open_linked_channel().await.map(|(channel, _)| channel)
    }

    /// Opens a fresh channel on the connection, with the connection's
    /// generation: a channel of an older generation than
    /// [`Bus::generation`] belongs to a connection that was replaced.
    pub(crate) async fn open_linked_channel(&self) -> Result<(Channel, u64), BusError> {
        let (connection, generation) = self.inner.current();
        let channel = connection
            .create_channel()
            .await
            .map_err(|source| BusError::Channel {
                operation: "channel.open",
                source: AmqpError::from(source),
            })?;
        Ok((channel, generation))
    }

    /// The generation of the connection in use: 0 for the first, one more
    /// for each connection that replaced one whose recovery stalled.
    pub(crate) fn generation(&self) -> u64 {
        self.inner.current().1
    }

    /// How many times the bus has replaced its connection with a new one
    /// because the connection's own recovery stalled.
    pub fn replaced_connections(&self) -> u64 {
        self.generation()
    }

    /// Makes the connection's own recovery unable to open a socket, as a
    /// recovery that stalls does: for tests of what the bus does then. The
    /// connection itself is not touched until it is lost.
    #[cfg(feature = "testing")]
    pub fn stall_recovery(&self) {
        self.inner
            .read_link()
            .opened
            .retired
            .store(true, Ordering::Release);
    }

    /// Resolves once the connection of generation `since` has been
    /// replaced by a new one.
    pub(crate) async fn renewed(&self, since: u64) {
        let mut generations = self.inner.renewed.subscribe();
        // The sender lives as long as the bus, which `self` holds.
        let _ = generations.wait_for(|generation| *generation > since).await;
    }
}

/// Closes a short-lived channel; a channel the broker already closed (after
/// an error) needs nothing more.
pub(crate) async fn close_channel(channel: &Channel) {
    if !channel.status().connected() {
        return;
    }
    match tokio::time::timeout(CLOSE_TIMEOUT, channel.close(200, "done".into())).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => debug!(%error, channel = channel.id(), "Failed to close AMQP channel."),
        Err(_) => debug!(
            channel = channel.id(),
            "The broker did not confirm closing an AMQP channel."
        ),
    }
}

/// The name of a `govwire tail` queue: `<prefix>.tail.<host>.<pid>.<random>`,
/// so an operator can tell whose it is in the broker's queue list and two
/// tails never share one.
fn tail_queue_name(prefix: &str) -> String {
    let host: String = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_' || *c == '.')
        .take(64)
        .collect();
    let host = if host.is_empty() {
        "host".to_owned()
    } else {
        host
    };
    format!(
        "{prefix}.tail.{host}.{}.{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_queue_is_named_by_govwire_under_the_prefix_and_never_twice() {
        let first = tail_queue_name("govwire");
        let second = tail_queue_name("govwire");
        assert!(first.starts_with("govwire.tail."), "{first}");
        assert!(!first.starts_with("amq."), "{first}");
        assert!(
            first.contains(&format!(".{}.", std::process::id())),
            "{first}"
        );
        assert_ne!(first, second);
        assert!(short("queue name", &first).is_ok());
    }
}
