//! A broker that refuses or stops answering: errors, never hangs.

use std::net::SocketAddr;
use std::time::Duration;

use govwire_bus::{BusConfig, BusError, PublishError};
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{amqp_url, connect, spawn_bus, WAIT};

/// A TCP proxy to the broker whose broker-to-client direction can be
/// frozen: the broker still receives everything, but its answers are held
/// back, as with a broker that hangs or a network that drops one way.
struct FreezableProxy {
    /// The port the proxy listens on (127.0.0.1).
    port: u16,
    /// `true` while answers are held back.
    frozen: watch::Sender<bool>,
    /// The accept loop, stopped when the proxy is dropped.
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FreezableProxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy on loopback");
        let port = listener.local_addr().expect("proxy address").port();
        let (frozen, gate) = watch::channel(false);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut gate = gate.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = tokio::io::copy(&mut client_read, &mut server_write);
                    let down = async {
                        let mut buffer = vec![0_u8; 16 * 1024];
                        loop {
                            let read = match server_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => break,
                                Ok(read) => read,
                            };
                            // Hold what the broker said until thawed.
                            if gate.wait_for(|frozen| !*frozen).await.is_err() {
                                break;
                            }
                            if client_write.write_all(&buffer[..read]).await.is_err() {
                                break;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        () = down => {}
                    }
                });
            }
        });
        Self { port, frozen, task }
    }

    fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// The test broker's URL with the proxy as host.
    fn url(&self) -> String {
        let mut url = url::Url::parse(&amqp_url()).expect("test AMQP URL");
        url.set_host(Some("127.0.0.1")).expect("set host");
        url.set_port(Some(self.port)).expect("set port");
        url.to_string()
    }
}

/// The broker's socket address, from the test URL.
fn broker_addr() -> SocketAddr {
    let url = url::Url::parse(&amqp_url()).expect("test AMQP URL");
    let host = url.host_str().expect("broker host").to_owned();
    let port = url.port().unwrap_or(5672);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .expect("resolve the broker")
        .next()
        .expect("the broker has an address")
}

#[tokio::test]
async fn a_publish_without_a_confirm_in_time_is_a_timeout_error_not_a_hang() {
    let t = spawn_bus("confirm-timeout", 5).await;
    t.work_queue("parser", "page").await;
    let proxy = FreezableProxy::start(broker_addr()).await;
    let stalled_config = BusConfig {
        url: SecretString::from(proxy.url()).into(),
        confirm_timeout: Duration::from_secs(1),
        ..t.config.clone()
    };
    let stalled = connect(&stalled_config, "stalled").await;
    let publisher = stalled.publisher().await.expect("publisher");

    proxy.freeze();
    let result = tokio::time::timeout(WAIT, publisher.publish(&t.message("page", "m-1", "{}")))
        .await
        .expect("a publish gives up after its confirm timeout");
    match result {
        Err(BusError::Publish(PublishError::Timeout {
            exchange,
            routing_key,
            timeout,
        })) => {
            assert_eq!(exchange, t.config.pipeline_exchange);
            assert_eq!(routing_key, "page");
            assert_eq!(timeout, Duration::from_secs(1));
        }
        other => panic!("expected a confirm timeout, got {other:?}"),
    }
    // Other requests give up too.
    let declare = tokio::time::timeout(
        WAIT,
        stalled.declare_work_queue("other", &t.config.pipeline_exchange, &["other"]),
    )
    .await
    .expect("a declare gives up after the timeout");
    assert!(
        matches!(declare, Err(BusError::Timeout { .. })),
        "{declare:?}"
    );

    // Once the broker answers again, the same publisher works.
    proxy.thaw();
    publisher
        .publish(&t.message("page", "m-2", "{}"))
        .await
        .expect("publishing works once the broker answers");
    stalled.close().await;
    t.cleanup().await;
}

#[tokio::test]
async fn a_message_the_broker_refuses_is_a_nacked_error() {
    let t = spawn_bus("nack", 5).await;
    // A queue that takes nothing and refuses what it cannot take.
    let queue = format!("{}.full", t.config.queue_prefix);
    let connection = lapin::Connection::connect(
        crate::helpers::first_url(&t.config),
        lapin::ConnectionProperties::default(),
    )
    .await
    .expect("raw connection");
    let channel = connection.create_channel().await.expect("channel");
    let mut args = FieldTable::default();
    args.insert("x-max-length".into(), AMQPValue::LongLongInt(0));
    args.insert(
        "x-overflow".into(),
        AMQPValue::LongString("reject-publish".into()),
    );
    args.insert("x-expires".into(), AMQPValue::LongLongInt(120_000));
    channel
        .queue_declare(queue.as_str().into(), QueueDeclareOptions::default(), args)
        .await
        .expect("declare the full queue");
    channel
        .queue_bind(
            queue.as_str().into(),
            t.config.pipeline_exchange.as_str().into(),
            "full".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind the full queue");
    let _ = channel.close(200, "done".into()).await;
    let _ = connection.close(200, "done".into()).await;
    let publisher = t.bus.publisher().await.expect("publisher");

    let result = publisher.publish(&t.message("full", "m-1", "{}")).await;

    match result {
        Err(BusError::Publish(PublishError::Nacked {
            exchange,
            routing_key,
        })) => {
            assert_eq!(exchange, t.config.pipeline_exchange);
            assert_eq!(routing_key, "full");
        }
        other => panic!("expected a nack, got {other:?}"),
    }
    t.cleanup().await;
}
