//! The broker password never shows in logs, errors or debug output.

use std::time::Duration;

use govwire_bus::{Bus, BusConfig, BusError};
use secrecy::SecretString;

use crate::helpers::WAIT;

const PASSWORD: &str = "s3cret-pw";

fn config_with(url: &str) -> BusConfig {
    BusConfig {
        url: SecretString::from(url.to_owned()).into(),
        confirm_timeout: Duration::from_secs(5),
        ..BusConfig::default()
    }
}

#[test]
fn debug_and_display_of_the_config_hide_the_password() {
    let config = config_with("amqp://guest:s3cret-pw@127.0.0.1:5672/%2f");

    let debug = format!("{config:?}");
    let display = config.to_string();

    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(!display.contains(PASSWORD), "{display}");
    assert!(
        display.contains("amqp://guest:***@127.0.0.1:5672/%2f"),
        "{display}"
    );
    assert_eq!(config.redacted_url(), "amqp://guest:***@127.0.0.1:5672/%2f");
}

#[tokio::test]
async fn a_refused_login_is_a_connect_error_without_the_password() {
    let config = config_with("amqp://guest:s3cret-pw@127.0.0.1:5672");

    let result = tokio::time::timeout(WAIT, Bus::connect(&config, "secrets-test"))
        .await
        .expect("a refused login fails promptly instead of retrying");

    let error = result.expect_err("the broker refuses a wrong password");
    assert!(matches!(error, BusError::Connect { .. }), "{error:?}");
    let display = error.to_string();
    let debug = format!("{error:?}");
    let chain = format!("{:#}", anyhow::Error::new(error));
    for text in [&display, &debug, &chain] {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
    }
    assert!(
        display.contains("amqp://guest:***@127.0.0.1:5672"),
        "{display}"
    );
    assert!(display.contains("is RabbitMQ running"), "{display}");
}

#[tokio::test]
async fn an_unreachable_broker_is_a_connect_error_naming_the_redacted_url() {
    // Port 1 on loopback: nothing listens there.
    let config = config_with("amqp://guest:s3cret-pw@127.0.0.1:1/%2f");

    let result = tokio::time::timeout(WAIT, Bus::connect(&config, "secrets-test"))
        .await
        .expect("an unreachable broker fails promptly");

    let error = result.expect_err("nothing listens on port 1");
    let display = error.to_string();
    assert!(matches!(error, BusError::Connect { .. }), "{error:?}");
    assert!(!display.contains(PASSWORD), "{display}");
    assert!(!format!("{error:?}").contains(PASSWORD));
    assert!(display.contains("127.0.0.1:1"), "{display}");
}

#[tokio::test]
async fn an_invalid_url_is_rejected_without_echoing_the_password() {
    let config = config_with("http://guest:s3cret-pw@127.0.0.1:5672/%2f");

    let error = Bus::connect(&config, "secrets-test")
        .await
        .expect_err("http is not an AMQP scheme");

    assert!(matches!(error, BusError::InvalidUrl { .. }), "{error:?}");
    assert!(!error.to_string().contains(PASSWORD), "{error}");
    assert!(!format!("{error:?}").contains(PASSWORD));
}
