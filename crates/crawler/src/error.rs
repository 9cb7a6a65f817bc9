//! The crawler's errors: [`CrawlError`] for callers of the crawler,
//! [`FetchError`] for one HTTP exchange, [`SinkError`] for a page sink that
//! could not hand a page on.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use govwire_store::StoreError;

/// What can go wrong in a crawler operation. The variants are what a caller
/// decides on: a broken configuration stops the service, everything else is
/// logged and tried again at the next poll.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrawlError {
    /// The portal profile cannot be used (an invalid selector, URL or
    /// `allow_private` entry). Fix the profile; retrying will not help.
    #[error("portal profile `{portal}` cannot be used: {message}")]
    Profile {
        /// The profile's id.
        portal: String,
        /// What is wrong.
        message: String,
    },
    /// The crawler options cannot be used (an empty or invalid user agent, an
    /// unusable base URL override). Fix the configuration.
    #[error("crawler options cannot be used: {0}")]
    Options(String),
    /// The HTTP client could not be built (TLS backend unavailable).
    #[error("the HTTP client could not be built")]
    Client(#[source] reqwest::Error),
    /// The caller named a section the profile does not have.
    #[error("portal `{portal}` has no section `{section}`")]
    UnknownSection {
        /// The profile's id.
        portal: String,
        /// The section asked for.
        section: String,
    },
    /// A list page could not be fetched; the poll stopped there. Items handled
    /// before it are recorded, so the next poll loses nothing.
    #[error("list page of section `{section}` could not be fetched")]
    ListFetch {
        /// The section being polled.
        section: String,
        /// Why the fetch failed.
        #[source]
        source: FetchError,
    },
    /// The portal's robots.txt could not be read (the portal is unreachable,
    /// or robots.txt answered 5xx or 429). Until it can be, nothing is
    /// fetched from the portal (RFC 9309); it is tried again ten minutes on.
    #[error("robots.txt of {origin} could not be read, so nothing is fetched from the portal until it can be: {reason}")]
    RobotsUnreadable {
        /// The portal's origin (`https://www.shpt.gov.cn`).
        origin: String,
        /// Why, in words (`https://…/robots.txt is unreachable: the
        /// connection was refused`).
        reason: String,
    },
    /// A list page arrived but is not what the profile describes (not JSON,
    /// no list at the configured path, an unexpected status).
    #[error("list page {url} of section `{section}` is unusable: {message}")]
    ListFormat {
        /// The section being polled.
        section: String,
        /// The list page's URL.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// Another crawler instance holds the section's lease (it is polling or
    /// backfilling it) and did not give it back within the wait allowed, so
    /// this operation did not start; run it again later.
    #[error("section `{section}` of portal `{portal}` is held by crawler instance `{holder}` (until {until}); try again later")]
    SectionLeased {
        /// The portal's id.
        portal: String,
        /// The section.
        section: String,
        /// The instance holding the lease.
        holder: String,
        /// When its hold ends unless renewed (RFC 3339).
        until: String,
    },
    /// Another instance took the section's lease while this operation ran
    /// (after a stall longer than the lease time); the work stopped at its
    /// next checkpoint and can be run again.
    #[error("the lease of section `{section}` of portal `{portal}` was lost to another instance")]
    LeaseLost {
        /// The portal's id.
        portal: String,
        /// The section.
        section: String,
    },
    /// The crawl state could not be read or written.
    #[error("the crawl state store failed")]
    Store(#[from] StoreError),
    /// A fetched page could not be handed on; it is recorded as due, so it is
    /// fetched and delivered again later.
    #[error("a fetched page could not be handed on")]
    Sink(#[from] SinkError),
}

/// Why one HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL may not be fetched: not http/https, or its host resolves to a
    /// loopback, private or otherwise non-public address that the profile does
    /// not allow.
    #[error("refused to fetch {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The request failed on the wire: the portal is unreachable (its name
    /// does not resolve, the connection is refused or reset, TLS fails, or
    /// it does not answer in time).
    #[error("{url} is unreachable: {failure}")]
    Transport {
        /// The URL.
        url: String,
        /// What failed, in words an operator acts on.
        failure: TransportFailure,
        /// The client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The body, after decompression, is larger than the profile's
    /// `politeness.max_body_bytes`.
    #[error("body of {url} exceeds {limit} bytes")]
    BodyTooLarge {
        /// The URL.
        url: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// More redirects than the crawler follows.
    #[error("too many redirects from {url}")]
    TooManyRedirects {
        /// The URL first asked for.
        url: String,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect from {url} has no usable Location header")]
    BadRedirect {
        /// The URL that answered with the redirect.
        url: String,
    },
    /// The server answered with a status the caller cannot use.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The host asked us to wait (Retry-After) or is in back-off after
    /// errors, for longer than the crawler waits inline.
    #[error("host {host} is backing off for another {}s", .remaining.as_secs())]
    BackingOff {
        /// `host:port` of the portal.
        host: String,
        /// How long until requests may resume.
        remaining: Duration,
    },
    /// The portal served a WAF or captcha page (one of the profile's
    /// `politeness.block_markers`), or a storm of 403s: it is blocking us.
    /// The whole host is left alone for the crawler's block back-off.
    #[error("{url} looks blocked ({reason}); backing the host off")]
    Blocked {
        /// The URL that answered.
        url: String,
        /// What gave the block away.
        reason: String,
    },
    /// The response is not of a type the crawler hands on (a detail page
    /// that is not HTML, an attachment that is not a document); refused
    /// before its body was read.
    #[error("{url} is {content_type}, which is not {expected}")]
    UnexpectedContentType {
        /// The URL that answered.
        url: String,
        /// The `Content-Type` it sent.
        content_type: String,
        /// What was expected instead.
        expected: &'static str,
    },
    /// The page is HTML built as no page is (elements nested thousands of
    /// levels deep): building its tree would take time growing with the
    /// square of its depth, so it is refused before anything parses it.
    #[error("{url} cannot be read: {reason}")]
    Unreadable {
        /// The URL that answered.
        url: String,
        /// What is wrong with the page.
        reason: String,
    },
    /// The operation was cancelled before the request was sent.
    #[error("cancelled before the request was sent")]
    Cancelled,
}

/// Why a request failed on the wire, as an operator tells the causes apart:
/// a name that does not resolve is a DNS or configuration problem, a refused
/// connection a server that is down, a TLS failure a certificate or proxy
/// problem, a timeout a server or network too slow or gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The host name could not be resolved (DNS).
    NameNotResolved,
    /// The connection was refused (nothing listens on the port).
    Refused,
    /// The connection was reset or closed before an answer.
    Reset,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No answer within the connect or request timeout.
    TimedOut,
    /// Another failure on the wire.
    Other,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::NameNotResolved => "its host name could not be resolved (DNS)",
            TransportFailure::Refused => "the connection was refused",
            TransportFailure::Reset => "the connection was reset before an answer",
            TransportFailure::Tls => "the TLS handshake failed",
            TransportFailure::TimedOut => "it did not answer in time",
            TransportFailure::Other => "the request failed on the wire",
        })
    }
}

impl TransportFailure {
    /// The failure behind `error`, the HTTP client's error with its chain of
    /// causes; `timed_out` when the client says a timeout expired.
    pub(crate) fn of(error: &(dyn StdError + 'static), timed_out: bool) -> TransportFailure {
        if timed_out {
            return TransportFailure::TimedOut;
        }
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(failure) = Self::of_one(e) {
                return failure;
            }
            let io = e.downcast_ref::<std::io::Error>();
            if let Some(io) = io {
                use std::io::ErrorKind;
                match io.kind() {
                    ErrorKind::ConnectionRefused => return TransportFailure::Refused,
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof => return TransportFailure::Reset,
                    ErrorKind::TimedOut => return TransportFailure::TimedOut,
                    _ => {}
                }
            }
            // An I/O error's `source` skips the error it wraps (often another
            // I/O error wrapping the TLS library's), so the walk goes into it.
            current = match io.and_then(std::io::Error::get_ref) {
                Some(inner) => Some(inner as &(dyn StdError + 'static)),
                None => e.source(),
            };
        }
        TransportFailure::Other
    }

    /// What `error` itself says, without its causes.
    fn of_one(error: &(dyn StdError + 'static)) -> Option<TransportFailure> {
        if error.is::<crate::net::NameNotResolved>() {
            Some(TransportFailure::NameNotResolved)
        } else if error.is::<rustls::Error>() {
            Some(TransportFailure::Tls)
        } else {
            None
        }
    }
}

impl FetchError {
    /// The HTTP status behind the error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A page sink could not hand a page on (the broker refused or is away).
#[derive(Debug)]
pub struct SinkError {
    /// The underlying failure, kept for the cause chain.
    source: Box<dyn StdError + Send + Sync>,
}

impl SinkError {
    /// Wraps the failure of a sink.
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the page sink failed")
    }
}

impl StdError for SinkError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Displays an error with its whole cause chain (`a: b: c`), for log lines.
pub(crate) struct Chain<'a>(pub &'a (dyn StdError + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            write!(f, ": {text}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::net::NameNotResolved;

    /// An error wrapping `inner` as the HTTP client's layers do: an
    /// outer error whose `source` is an I/O error carrying `inner`.
    #[derive(Debug)]
    struct Outer(io::Error);

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("error sending request")
        }
    }

    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }

    fn failure_of(error: io::Error) -> TransportFailure {
        TransportFailure::of(&Outer(error), false)
    }

    #[test]
    fn failures_are_told_apart_by_their_causes() {
        let dns = NameNotResolved::for_test("www.shpt.gov.cn", "Name or service not known");
        assert_eq!(
            failure_of(io::Error::other(dns)),
            TransportFailure::NameNotResolved
        );
        assert_eq!(
            failure_of(io::Error::new(
                io::ErrorKind::InvalidData,
                rustls::Error::DecryptError
            )),
            TransportFailure::Tls
        );
        // The TLS library's error two I/O errors deep, as the client nests it.
        let nested = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        assert_eq!(failure_of(io::Error::other(nested)), TransportFailure::Tls);
        assert_eq!(
            failure_of(io::Error::from(io::ErrorKind::ConnectionRefused)),
            TransportFailure::Refused
        );
        assert_eq!(
            failure_of(io::Error::from(io::ErrorKind::ConnectionReset)),
            TransportFailure::Reset
        );
        assert_eq!(
            failure_of(io::Error::from(io::ErrorKind::TimedOut)),
            TransportFailure::TimedOut
        );
        assert_eq!(
            failure_of(io::Error::other("something else")),
            TransportFailure::Other
        );
        // The client's own timeout flag wins over whatever the chain says.
        assert_eq!(
            TransportFailure::of(&Outer(io::Error::other("x")), true),
            TransportFailure::TimedOut
        );
    }

    #[test]
    fn each_failure_reads_as_what_it_is() {
        let cases = [
            (TransportFailure::NameNotResolved, "DNS"),
            (TransportFailure::Refused, "refused"),
            (TransportFailure::Reset, "reset"),
            (TransportFailure::Tls, "TLS"),
            (TransportFailure::TimedOut, "in time"),
        ];
        for (failure, word) in cases {
            let text = failure.to_string();
            assert!(text.contains(word), "{text}");
            assert!(!text.contains("disallow"), "{text}");
        }
    }
}
