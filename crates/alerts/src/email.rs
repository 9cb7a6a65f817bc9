//! The email sink: one message over SMTP per delivery, with a plain-text and
//! an HTML part. Every string that came from a portal is escaped in the HTML
//! part; the subject names the rule and the reply. The connection is
//! STARTTLS (the default, port 587), TLS from the first byte (port 465) or
//! plain (a local relay, port 25); the password is never logged.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::webhook::Outcome;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same host or network (port 25).
    Plain,
}

impl Security {
    /// The port a server of this kind listens on by convention.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }
    }
}

/// Where and how one email sink delivers.
#[derive(Clone)]
pub struct Email {
    /// The SMTP server's host name.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: Security,
    /// Login, if the server asks for one.
    pub username: Option<String>,
    /// Password for `username`; never logged.
    pub password: Option<SecretString>,
    /// The sender.
    pub from: Mailbox,
    /// The recipients.
    pub to: Vec<Mailbox>,
    /// Longest time one attempt may take.
    pub timeout: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first wait between attempts; it doubles each time, with jitter.
    pub base_delay: Duration,
    /// The longest wait between attempts.
    pub max_delay: Duration,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .field("from", &self.from.email.to_string())
            .field("to", &self.to.len())
            .finish()
    }
}

/// One message: its subject and its two bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part; every portal string in it escaped.
    pub html: String,
}

impl Email {
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = match self.security {
            Security::Plain => Tls::None,
            Security::Starttls | Security::Tls => {
                let parameters = TlsParameters::new(self.host.clone())
                    .map_err(|e| format!("TLS for {}: {e}", self.host))?;
                if self.security == Security::Tls {
                    Tls::Wrapper(parameters)
                } else {
                    Tls::Required(parameters)
                }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(self.timeout));
        if let (Some(user), Some(password)) = (&self.username, &self.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        Ok(builder.build())
    }

    fn message(&self, letter: &Letter) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(letter.subject.clone());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .header(ContentTransferEncoding::Base64)
                            .body(letter.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .header(ContentTransferEncoding::Base64)
                            .body(letter.html.clone()),
                    ),
            )
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Sends `letter`, retrying a connection failure or a transient answer
    /// (4xx) with exponential backoff and full jitter; a permanent answer
    /// (5xx) is not retried.
    pub async fn deliver(&self, letter: &Letter) -> Outcome {
        let message = match self.message(letter) {
            Ok(m) => m,
            Err(error) => return Outcome::Failed { attempts: 1, error },
        };
        let transport = match self.transport() {
            Ok(t) => t,
            Err(error) => return Outcome::Failed { attempts: 1, error },
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match transport.send(message.clone()).await {
                Ok(_) => return Outcome::Sent { attempts: attempt },
                Err(e) => {
                    let error = format!("SMTP {}:{}: {}", self.host, self.port, describe(&e));
                    if e.is_permanent() || attempt >= self.max_attempts {
                        return Outcome::Failed {
                            attempts: attempt,
                            error,
                        };
                    }
                    tracing::warn!(attempt, %error, "Email delivery failed; retrying.");
                    tokio::time::sleep(self.backoff(attempt)).await;
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=millis))
    }
}

/// The error and its causes on one line. lettre's errors do not carry the
/// credentials, only the server's answer.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

pub use govwire_model::html::escape as escape_html;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_the_password_stays_out_of_debug() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & '"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;"
        );
        let email = Email {
            host: "smtp.example.org".into(),
            port: 587,
            security: Security::Starttls,
            username: Some("govwire".into()),
            password: Some(SecretString::from("hunter2".to_string())),
            from: "govwire <govwire@example.org>".parse().unwrap(),
            to: vec!["desk@example.org".parse().unwrap()],
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        };
        let shown = format!("{email:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
