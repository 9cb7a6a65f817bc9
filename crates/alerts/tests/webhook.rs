//! The webhook sink against a real HTTP server on loopback that answers as
//! each test scripts it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use govwire_alerts::signature::{verify, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use govwire_alerts::webhook::{Outcome, Webhook};

/// A scripted answer: the status, and a `Retry-After` value.
type Answer = (u16, Option<&'static str>);

#[derive(Clone, Default)]
struct Receiver {
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<Vec<Answer>>>,
    /// What arrived: headers and body.
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    r.got.lock().unwrap().push((headers, body));
    let next = {
        let mut script = r.script.lock().unwrap();
        (!script.is_empty()).then(|| script.remove(0))
    };
    let (status, retry_after) = next.unwrap_or((200, None));
    let mut response = StatusCode::from_u16(status).unwrap().into_response();
    if let Some(after) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", after.parse().unwrap());
    }
    response
}

async fn serve(script: Vec<Answer>) -> (Webhook, Receiver) {
    let receiver = Receiver {
        script: Arc::new(Mutex::new(script)),
        ..Receiver::default()
    };
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let webhook = Webhook {
        url: format!("http://{addr}/hook").parse().unwrap(),
        secret: "s3cret".to_string().into(),
        timeout: Duration::from_secs(5),
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    };
    (webhook, receiver)
}

const BODY: &[u8] = br#"{"id":"e1","rule":"lifts"}"#;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_delivery_is_signed_and_carries_its_idempotency_key() {
    let (webhook, receiver) = serve(vec![]).await;
    let client = reqwest::Client::new();
    assert_eq!(
        webhook.deliver(&client, "lifts", "e1", BODY).await,
        Outcome::Sent { attempts: 1 }
    );
    let got = receiver.got.lock().unwrap();
    let (headers, body) = &got[0];
    assert_eq!(body.as_ref(), BODY);
    let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
    assert!(
        verify(b"s3cret", signature, body, now(), 300),
        "{signature}"
    );
    assert!(!verify(b"other", signature, body, now(), 300));
    assert_eq!(headers[IDEMPOTENCY_HEADER], "lifts:e1");
    assert_eq!(headers["content-type"], "application/json");
}

#[tokio::test]
async fn server_errors_and_429_are_retried_with_one_idempotency_key() {
    let (webhook, receiver) = serve(vec![(500, None), (429, Some("0")), (503, None)]).await;
    let outcome = webhook
        .deliver(&reqwest::Client::new(), "lifts", "e1", BODY)
        .await;
    assert_eq!(outcome, Outcome::Sent { attempts: 4 });
    let got = receiver.got.lock().unwrap();
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|(h, _)| h[IDEMPOTENCY_HEADER] == "lifts:e1"));
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let (webhook, receiver) = serve(vec![(400, None)]).await;
    let outcome = webhook
        .deliver(&reqwest::Client::new(), "lifts", "e1", BODY)
        .await;
    let Outcome::Failed { attempts, error } = outcome else {
        panic!("a 400 fails the delivery")
    };
    assert_eq!(attempts, 1);
    assert!(
        error.contains("400") && error.contains("not retried"),
        "{error}"
    );
    assert_eq!(receiver.got.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn after_the_last_attempt_the_delivery_fails_with_the_last_reason() {
    let (webhook, receiver) = serve(vec![(500, None); 10]).await;
    let outcome = webhook
        .deliver(&reqwest::Client::new(), "lifts", "e1", BODY)
        .await;
    let Outcome::Failed { attempts, error } = outcome else {
        panic!("persistent 500s fail the delivery")
    };
    assert_eq!(attempts, 4);
    assert!(error.contains("500"), "{error}");
    assert_eq!(receiver.got.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn an_unreachable_receiver_is_retried_then_fails_naming_it_without_secrets() {
    // A port nothing listens on: bind one, then close it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let webhook = Webhook {
        url: format!("http://user:pw@127.0.0.1:{port}/hook?token=t0k3n")
            .parse()
            .unwrap(),
        secret: "s3cret".to_string().into(),
        timeout: Duration::from_secs(2),
        max_attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    let Outcome::Failed { attempts, error } = webhook
        .deliver(&reqwest::Client::new(), "lifts", "e1", BODY)
        .await
    else {
        panic!("nothing listens")
    };
    assert_eq!(attempts, 2);
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    for secret in ["pw", "t0k3n", "s3cret"] {
        assert!(!error.contains(secret), "{error}");
        assert!(!format!("{webhook:?}").contains(secret), "{webhook:?}");
    }
}

#[test]
fn only_http_and_https_targets_are_accepted() {
    let webhook = Webhook {
        url: "ftp://127.0.0.1/hook".parse().unwrap(),
        secret: "s".to_string().into(),
        timeout: Duration::from_secs(1),
        max_attempts: 1,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    };
    assert!(webhook.check().unwrap_err().contains("ftp"));
}
