//! The store's one error type, and the URL redaction that keeps database
//! passwords out of it.

use std::fmt;

/// Everything that can go wrong in the store. Callers decide on
/// [`StoreError::is_transient`]: a transient error is worth retrying (the
/// message is requeued, the poll repeated), any other is not.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL is not one the store can open (unknown scheme, not a
    /// URL, an in-memory SQLite database).
    #[error("cannot open database {redacted_url}: {reason}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        redacted_url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to database {redacted_url}")]
    Connect {
        /// The URL with any password replaced by `***`.
        redacted_url: String,
        /// Whether retrying later may succeed (server down, network error),
        /// as opposed to a refusal (bad password, unknown database).
        transient: bool,
        /// The driver's error, as text with the password scrubbed out.
        #[source]
        source: RedactedCause,
    },
    /// There is no govwire store at the URL: no SQLite file, no such
    /// PostgreSQL database, or a database without govwire's schema. A store
    /// is created only by [`crate::Store::init`], never by opening it.
    #[error("no govwire store at {redacted_url}: {reason}")]
    Missing {
        /// The URL with any password replaced by `***`.
        redacted_url: String,
        /// What is missing (the file, the database, the schema).
        reason: String,
    },
    /// [`crate::Store::init`] could not create the store (the directory, the
    /// file or the database).
    #[error("cannot create the store at {redacted_url}: {reason}")]
    Create {
        /// The URL with any password replaced by `***`.
        redacted_url: String,
        /// Why, with what to do about it.
        reason: String,
    },
    /// The store can be read but a write failed: a read-only file or
    /// directory, a full disk, a lock held elsewhere, a read-only server.
    #[error("cannot write to the store {location}: {reason}")]
    NotWritable {
        /// The SQLite file's path, or the redacted PostgreSQL URL.
        location: String,
        /// The reason in words (`the file is read-only`, `the disk is full`).
        reason: String,
        /// The driver's error, as text with the password scrubbed out.
        #[source]
        source: RedactedCause,
    },
    /// The SQLite file the store opened was deleted or replaced by another
    /// file while the store was open: what is written now would be lost.
    #[error("the SQLite file {} {what}", path.display())]
    FileLost {
        /// The file's path.
        path: std::path::PathBuf,
        /// What happened to it (`was deleted`, `was replaced by another file`).
        what: String,
    },
    /// The schema migrations could not be applied.
    #[error("cannot migrate database {redacted_url}")]
    Migrate {
        /// The URL with any password replaced by `***`.
        redacted_url: String,
        /// The migrator's error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A statement failed.
    #[error("database query failed")]
    Query(#[source] sqlx::Error),
    /// A concurrent writer recorded the same thing first (a unique constraint
    /// fired, or a row changed under the transaction). Retrying re-reads the
    /// winner's write and decides again.
    #[error("a concurrent writer got there first: {detail}")]
    Conflict {
        /// What collided.
        detail: String,
        /// The driver's error, when a constraint reported the collision.
        #[source]
        source: Option<sqlx::Error>,
    },
    /// A stored row cannot be read back (bad JSON, bad timestamp, a negative
    /// count): the database was edited by hand or by a newer govwire.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The caller asked for something the store refuses to record (a
    /// decision whose parts contradict each other, a record without a
    /// version).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// `mark_outbox_published` named an event the outbox never held.
    #[error("no outbox event with id {0}")]
    UnknownOutboxEvent(String),
}

impl StoreError {
    /// Whether retrying the operation later may succeed: pool timeout, lost
    /// connection, database locked or busy, serialization failure or
    /// deadlock, a concurrent duplicate write.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Connect { transient, .. } => *transient,
            StoreError::Migrate { source, .. } => match source {
                sqlx::migrate::MigrateError::Execute(e)
                | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => sqlx_is_transient(e),
                _ => false,
            },
            StoreError::Query(e) => sqlx_is_transient(e),
            StoreError::Conflict { .. } => true,
            StoreError::InvalidUrl { .. }
            | StoreError::Missing { .. }
            | StoreError::Create { .. }
            | StoreError::NotWritable { .. }
            | StoreError::FileLost { .. }
            | StoreError::Corrupt(_)
            | StoreError::Invalid(_)
            | StoreError::UnknownOutboxEvent(_) => false,
        }
    }
}

impl StoreError {
    /// Whether the store itself cannot be used right now, as opposed to
    /// this one operation failing: the server down or refusing logins
    /// (connection refused or lost, authentication failure, a role not
    /// permitted to log in, the database missing, too many connections), the
    /// pool out of connections, the file locked, read-only, unopenable or on
    /// a full disk. Nothing is wrong with the work being done; it succeeds
    /// once the store answers again, so a consumer holds it and waits rather
    /// than counting the failure against the message.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Migrate { source, .. } => match source {
                sqlx::migrate::MigrateError::Execute(e)
                | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => sqlx_is_unavailable(e),
                _ => false,
            },
            StoreError::Query(e) => sqlx_is_unavailable(e),
            // Raised when a store is opened or watched, not by an
            // operation: the store itself is gone or cannot be written.
            StoreError::Missing { .. }
            | StoreError::NotWritable { .. }
            | StoreError::FileLost { .. } => true,
            StoreError::InvalidUrl { .. }
            | StoreError::Create { .. }
            | StoreError::Conflict { .. }
            | StoreError::Corrupt(_)
            | StoreError::Invalid(_)
            | StoreError::UnknownOutboxEvent(_) => false,
        }
    }
}

/// Whether a driver error says the database cannot be used at all right now.
pub(crate) fn sqlx_is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            // SQLite primary result codes: 5 BUSY, 6 LOCKED, 8 READONLY,
            // 10 IOERR, 13 FULL, 14 CANTOPEN.
            if !is_postgres(db.as_ref()) {
                return code
                    .parse::<i64>()
                    .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 8 | 10 | 13 | 14));
            }
            // PostgreSQL SQLSTATE classes: 08 connection exception, 28
            // invalid authorization (a locked role, a bad password), 53
            // insufficient resources (disk full, out of memory, too many
            // connections), 57P0x shutdown or start-up, 58 system error;
            // 3D000 no such database, 25006 a read-only (standby) server.
            code.starts_with("08")
                || code.starts_with("28")
                || code.starts_with("53")
                || code.starts_with("58")
                || matches!(
                    code.as_ref(),
                    "57P01" | "57P02" | "57P03" | "3D000" | "25006"
                )
        }
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let unique = match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Some(
                db.constraint()
                    .map(|c| format!("unique constraint {c}"))
                    .unwrap_or_else(|| db.message().to_string()),
            ),
            _ => None,
        };
        match unique {
            Some(detail) => StoreError::Conflict {
                detail,
                source: Some(error),
            },
            None => StoreError::Query(error),
        }
    }
}

/// Whether a database error came from PostgreSQL (its codes are SQLSTATEs,
/// five characters that are often all digits) rather than SQLite (numeric
/// result codes).
pub(crate) fn is_postgres(error: &dyn sqlx::error::DatabaseError) -> bool {
    error
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
}

/// Whether a driver error is worth retrying.
pub(crate) fn sqlx_is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else {
                return false;
            };
            // SQLite reports (extended) numeric result codes; the primary
            // code is the low byte: 5 SQLITE_BUSY, 6 SQLITE_LOCKED. (A
            // SQLSTATE such as 40001 is numeric too: ask which driver.)
            if !is_postgres(db.as_ref()) {
                return code.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
            }
            // PostgreSQL SQLSTATE: serialization failure, deadlock, lock not
            // available, connection exceptions, server shutting down or
            // starting, too many connections.
            matches!(
                code.as_ref(),
                "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03" | "53300"
            ) || code.starts_with("08")
        }
        _ => false,
    }
}

/// A driver error reduced to text with the connection password removed, so
/// that neither `Display` nor `Debug` of a [`StoreError`] can reveal it.
#[derive(Clone)]
pub struct RedactedCause(String);

impl RedactedCause {
    /// Renders `error` (and its causes) and removes every form of the secrets
    /// found in `url`.
    pub(crate) fn new(error: &(dyn std::error::Error + 'static), url: &str) -> Self {
        let mut text = error.to_string();
        let mut cause = error.source();
        while let Some(inner) = cause {
            // Many errors already print their cause; say it once.
            let inner_text = inner.to_string();
            if !text.contains(&inner_text) {
                text.push_str(": ");
                text.push_str(&inner_text);
            }
            cause = inner.source();
        }
        for secret in secrets_in(url) {
            if !secret.is_empty() {
                text = text.replace(&secret, "***");
            }
        }
        RedactedCause(text)
    }
}

impl fmt::Display for RedactedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedactedCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for RedactedCause {}

/// The password of `url` in every form it may appear in (as written, and
/// percent-decoded), from the userinfo and from a `password=` parameter.
fn secrets_in(url: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |raw: &str| {
        if raw.is_empty() {
            return;
        }
        out.push(raw.to_string());
        if let Ok(decoded) = percent_decode(raw) {
            out.push(decoded);
        }
    };
    if let Some((_, password)) = split_userinfo(url).and_then(|u| u.split_once(':')) {
        push(password);
    }
    if let Some(query) = url.split_once('?').map(|(_, q)| q) {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                if key.eq_ignore_ascii_case("password") {
                    push(value);
                }
            }
        }
    }
    // Longest first, so that a decoded form containing a raw one is
    // replaced whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// The userinfo of `scheme://userinfo@host…`: everything between `://` and
/// the last `@` before the query. Taken textually so that a malformed URL
/// (an unescaped `@` or `/` in the password) is still redacted.
fn split_userinfo(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end_of_authority = rest.find('?').unwrap_or(rest.len());
    let at = rest[..end_of_authority].rfind('@')?;
    Some(&rest[..at])
}

fn percent_decode(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).map_err(|_| ())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// `url` with its password (in the userinfo or a `password=` parameter)
/// replaced by `***`, fit for logs and error messages.
///
/// ```
/// assert_eq!(
///     govwire_store::redact_url("postgres://govwire:hunter2@db:5432/govwire"),
///     "postgres://govwire:***@db:5432/govwire"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    if let Some(userinfo) = split_userinfo(url) {
        let start = url.find("://").map(|i| i + 3).unwrap_or(0);
        out.push_str(&url[..start]);
        match userinfo.split_once(':') {
            Some((user, _)) => {
                out.push_str(user);
                out.push_str(":***");
            }
            None => out.push_str(userinfo),
        }
        rest = &url[start + userinfo.len()..];
    }
    match rest.split_once('?') {
        Some((before, query)) => {
            out.push_str(before);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(rest),
    }
    out
}

/// Serializes a database URL with its password replaced by `***`
/// ([`redact_url`]), for `#[serde(serialize_with = ...)]` on configuration
/// keys, so a serialized configuration never holds the password.
pub fn serialize_redacted_url<S: serde::Serializer>(
    url: &secrecy::SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_url(secrecy::ExposeSecret::expose_secret(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_the_userinfo_password_and_keeps_the_rest() {
        assert_eq!(
            redact_url("postgres://postgres:s3cret@127.0.0.1:5432/govwire?sslmode=disable"),
            "postgres://postgres:***@127.0.0.1:5432/govwire?sslmode=disable"
        );
    }

    #[test]
    fn redaction_hides_a_password_query_parameter() {
        assert_eq!(
            redact_url("postgres:///govwire?user=x&password=s3cret&sslmode=require"),
            "postgres:///govwire?user=x&password=***&sslmode=require"
        );
    }

    #[test]
    fn redaction_survives_an_unescaped_at_sign_in_the_password() {
        let redacted = redact_url("postgres://u:p@ss/w@host/db");
        assert!(!redacted.contains("p@ss"), "{redacted}");
        assert_eq!(redacted, "postgres://u:***@host/db");
    }

    #[test]
    fn urls_without_secrets_are_left_alone() {
        assert_eq!(
            redact_url("sqlite:///var/lib/govwire/govwire.db"),
            "sqlite:///var/lib/govwire/govwire.db"
        );
        assert_eq!(
            redact_url("postgres://postgres@db/x"),
            "postgres://postgres@db/x"
        );
    }

    #[test]
    fn causes_lose_raw_and_percent_decoded_passwords() {
        let error = std::io::Error::other("auth failed for pa ss and pa%20ss");
        let cause = RedactedCause::new(&error, "postgres://u:pa%20ss@h/db");
        assert_eq!(cause.to_string(), "auth failed for *** and ***");
    }
}
