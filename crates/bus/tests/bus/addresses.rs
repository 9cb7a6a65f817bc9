//! A broker of several addresses (a cluster's nodes): the bus tries them in
//! order and connects to the first that accepts; when none does, the error
//! names each address, redacted, with why it failed.

use std::time::Duration;

use govwire_bus::{BrokerUrls, Bus, BusConfig, BusError};
use secrecy::SecretString;

use crate::helpers::{amqp_url, init_logs, test_config, unique, WAIT};

const PASSWORD: &str = "s3cret-pw";

/// A loopback port nothing listens on right now.
fn closed_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

#[tokio::test]
async fn the_bus_connects_to_the_first_address_that_accepts() {
    init_logs();
    let down = amqp_url().replace(":5672/", &format!(":{}/", closed_port()));
    assert_ne!(down, amqp_url(), "the test broker's URL names port 5672");
    let config = BusConfig {
        url: BrokerUrls::new([SecretString::from(down), SecretString::from(amqp_url())]),
        ..test_config("addresses", 5)
    };

    let bus = tokio::time::timeout(WAIT, Bus::connect(&config, "addresses-test"))
        .await
        .expect("a down first address is passed over promptly")
        .unwrap_or_else(|error| panic!("the second address is the test broker: {error}"));

    assert!(bus.is_connected());
    bus.declare_exchanges()
        .await
        .expect("the connection reached a broker");
    bus.delete_exchanges().await.expect("cleanup");
    bus.close().await;
}

#[tokio::test]
async fn when_no_address_accepts_the_error_names_each_redacted_with_why() {
    let ports = [closed_port(), closed_port()];
    let config = BusConfig {
        url: BrokerUrls::new(ports.map(|port| {
            SecretString::from(format!("amqp://guest:{PASSWORD}@127.0.0.1:{port}/%2f"))
        })),
        confirm_timeout: Duration::from_secs(5),
        queue_prefix: unique("addresses"),
        ..BusConfig::default()
    };

    let error = tokio::time::timeout(WAIT, Bus::connect(&config, "addresses-test"))
        .await
        .expect("unreachable addresses fail promptly")
        .expect_err("nothing listens on either port");

    assert!(matches!(error, BusError::ConnectAny { .. }), "{error:?}");
    let display = error.to_string();
    for port in ports {
        assert!(
            display.contains(&format!(
                "amqp://guest:***@127.0.0.1:{port}/%2f: cannot open a TCP connection"
            )),
            "{display}"
        );
    }
    assert!(display.contains("any of its 2 addresses"), "{display}");
    for text in [display, format!("{error:?}"), format!("{config:?}")] {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
    }
}
