//! The webhook sink: an HTTP POST of a JSON body to a URL the operator set,
//! signed ([`crate::signature`]), with an idempotency key, a timeout, and
//! retries with exponential backoff and full jitter on 5xx, 429 (honouring
//! `Retry-After`) and network errors; never on another 4xx, which a retry
//! cannot mend. Webhook targets are set by the operator, so private
//! addresses are allowed; only `http` and `https` are.

use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::signature::{idempotency_key, sign, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};

/// Where and how one webhook sink delivers.
#[derive(Clone)]
pub struct Webhook {
    /// The target; `http` or `https`.
    pub url: Url,
    /// The signing secret; never logged.
    pub secret: SecretString,
    /// Longest time one attempt may take.
    pub timeout: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first wait between attempts; it doubles each time.
    pub base_delay: Duration,
    /// The longest wait between attempts (a `Retry-After` included).
    pub max_delay: Duration,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &redacted(&self.url))
            .field("secret", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Sent {
        /// Attempts made.
        attempts: u32,
    },
    /// It refused (a 4xx other than 429), or every attempt failed.
    Failed {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's failure.
        error: String,
    },
}

/// What one attempt gave.
enum Attempt {
    Done,
    Refused(String),
    Retry {
        error: String,
        after: Option<Duration>,
    },
}

impl Webhook {
    /// The target as logs and previews show it: without credentials or
    /// query, which may carry a token.
    pub fn shown_url(&self) -> String {
        redacted(&self.url)
    }

    /// Checks the target's scheme.
    pub fn check(&self) -> Result<(), String> {
        match self.url.scheme() {
            "http" | "https" => Ok(()),
            other => Err(format!(
                "a webhook URL must be http or https, not `{other}:`"
            )),
        }
    }

    /// Delivers `body` (JSON) for `rule` and `event_id`, retrying as the
    /// module says. The signature is computed afresh for each attempt; the
    /// idempotency key is the same for all of them.
    pub async fn deliver(
        &self,
        client: &reqwest::Client,
        rule: &str,
        event_id: &str,
        body: &[u8],
    ) -> Outcome {
        if let Err(error) = self.check() {
            return Outcome::Failed { attempts: 0, error };
        }
        let key = idempotency_key(rule, event_id);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let wait = match self.attempt(client, &key, body).await {
                Attempt::Done => return Outcome::Sent { attempts },
                Attempt::Refused(error) => return Outcome::Failed { attempts, error },
                Attempt::Retry { error, .. } if attempts >= self.max_attempts.max(1) => {
                    return Outcome::Failed { attempts, error };
                }
                Attempt::Retry { error, after } => {
                    tracing::debug!(%error, attempts, url = %self.url, "Webhook attempt failed; retrying.");
                    after.unwrap_or_else(|| self.backoff(attempts))
                }
            };
            tokio::time::sleep(wait.min(self.max_delay)).await;
        }
    }

    /// Full jitter over `base * 2^(attempt-1)`, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }

    async fn attempt(&self, client: &reqwest::Client, key: &str, body: &[u8]) -> Attempt {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let signature = sign(self.secret.expose_secret().as_bytes(), now, body);
        let request = client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signature)
            .header(IDEMPOTENCY_HEADER, key)
            .body(body.to_vec());
        match request.send().await {
            Err(e) => Attempt::Retry {
                error: format!("cannot reach {}: {}", redacted(&self.url), without_url(e)),
                after: None,
            },
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    Attempt::Done
                } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    let after = response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    Attempt::Retry {
                        error: format!("{} answered {status}", redacted(&self.url)),
                        after,
                    }
                } else {
                    Attempt::Refused(format!(
                        "{} answered {status}; not retried",
                        redacted(&self.url)
                    ))
                }
            }
        }
    }
}

/// The URL without credentials or query (a webhook URL may carry a token).
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

/// A reqwest error's text without the URL it embeds.
fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
