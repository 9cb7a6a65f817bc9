//! govwire's persistence, and the only crate that speaks SQL.
//!
//! One [`Store`] interface over two backends: an SQLite file (the embedded
//! default: `sqlite:///var/lib/govwire/govwire.db` or
//! `sqlite://relative.db`) and PostgreSQL (`postgres://…`), chosen by the
//! URL's scheme. Each backend has its own embedded migrations
//! (`migrations/sqlite/`, `migrations/postgres/`), run on connect; the
//! tables and the SQL statements are the same on both.
//!
//! Layout, by the service each part serves:
//! - crawler state ([`Store::http_validators`], [`Store::crawl_item`],
//!   [`Store::items_due`], …): which pages are known and when to revisit;
//! - notifier ([`Store::apply_reply`], [`Store::pending_outbox`], …): the
//!   replies, their versions, the URLs and portal items that show them, and
//!   the transactional outbox of events to publish;
//! - crawler coordination ([`Store::claim_section`], [`Store::backfill_cursor`],
//!   …): section leases shared by crawler instances, backfill cursors;
//! - withdrawal and section health ([`Store::withdrawal_watch`],
//!   [`Store::apply_reply_status`], [`Store::record_section_poll`],
//!   [`Store::apply_section_health`], …): the evidence the notifier's sweep
//!   weighs, and its decisions recorded with their events;
//! - archive ([`Store::archive_event`], [`Store::archive_list`], …): what a
//!   subscriber received, idempotent on the event id.
//!
//! Internally `db` lets one body of SQL run on either backend; `error`
//! holds [`StoreError`] and [`redact_url`]; `testing` (feature `testing`)
//! gives tests fresh databases.

mod archive;
mod backfill;
mod crawl;
mod db;
mod error;
mod health;
mod leases;
mod replies;
#[cfg(feature = "testing")]
pub mod testing;
mod types;
mod walks;
mod withdrawals;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tracing::{info, warn};

pub use backfill::BackfillCursor;
pub use error::{redact_url, RedactedCause, StoreError};
pub use health::{HealthChange, SectionHealth, SectionPollRecord};
pub use leases::{SectionLease, REVISITS_LEASE};
pub use types::{
    ArchiveStats, ArchiveStatus, ArchivedReply, ArchivedSummary, Backend, CrawlItem, Decision,
    KnownReply, OutboxEvent, ReplyKeys, Validators, VersionMeta,
};
pub use walks::WalkProgress;
pub use withdrawals::{ItemEvidence, ReplyStatus, ReplyStatusChange, ReplyWatch};

use db::Pool;
use error::sqlx_is_transient;

/// How long an SQLite statement waits for another writer's lock before
/// giving up with a (transient) "database is locked". Long enough to ride out
/// any single govwire transaction, short enough to surface a stuck writer.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite connections per process: readers run in parallel under WAL while
/// writers queue on the file lock, so a few are enough.
const SQLITE_MAX_CONNECTIONS: u32 = 4;

/// PostgreSQL connections per process; govwire's services issue a handful of
/// statements per page, never many at once.
const POSTGRES_MAX_CONNECTIONS: u32 = 5;

/// How long a caller waits for a pooled connection before a (transient)
/// error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take before the store gives up with a transient
/// error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times an SQLite migration run is attempted: two processes
/// starting on one new file race to create the schema, and the loser
/// succeeds on its second attempt, finding the schema in place.
const SQLITE_MIGRATE_ATTEMPTS: u32 = 3;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A handle on govwire's database. Cheap to clone: clones share one pool, so
/// the services of `govwire all` share one SQLite file through one `Store`.
#[derive(Clone)]
pub struct Store {
    /// The connection pool of the chosen backend.
    pool: Pool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating the SQLite file / running migrations) the database at
    /// `url`. The URL may contain a password: errors and logs must not.
    pub async fn connect(url: &SecretString) -> Result<Store, StoreError> {
        let raw = url.expose_secret();
        let redacted = redact_url(raw);
        if raw.starts_with("sqlite:") {
            connect_sqlite(raw, &redacted).await
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            connect_postgres(raw, &redacted).await
        } else {
            let error = StoreError::InvalidUrl {
                redacted_url: redacted,
                reason: "the scheme must be sqlite: or postgres://".into(),
            };
            warn!(%error, "Refused a database URL.");
            Err(error)
        }
    }

    /// Which backend this store talks to.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn connect_sqlite(raw: &str, redacted: &str) -> Result<Store, StoreError> {
    let options = SqliteConnectOptions::from_str(raw).map_err(|e| StoreError::InvalidUrl {
        redacted_url: redacted.to_string(),
        reason: RedactedCause::new(&e, raw).to_string(),
    })?;
    let filename = options.get_filename().to_path_buf();
    if raw.contains(":memory:") || raw.contains("mode=memory") || filename.as_os_str().is_empty() {
        let error = StoreError::InvalidUrl {
            redacted_url: redacted.to_string(),
            reason: "an in-memory database would lose govwire's state on exit; name a file".into(),
        };
        warn!(%error, "Refused a database URL.");
        return Err(error);
    }
    create_parent_dir(&filename, redacted)?;
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);

    let mut attempt = 1;
    loop {
        let result = async {
            let mut conn = options
                .connect()
                .await
                .map_err(|e| connect_error(&e, raw, redacted))?;
            let migrated = SQLITE_MIGRATOR.run(&mut conn).await;
            // The connection is done with either way; a failure to close it
            // cleanly changes nothing on disk.
            let _ = conn.close().await;
            migrated.map_err(|source| StoreError::Migrate {
                redacted_url: redacted.to_string(),
                source,
            })
        }
        .await;
        match result {
            Ok(()) => break,
            Err(error @ StoreError::Migrate { .. }) if attempt < SQLITE_MIGRATE_ATTEMPTS => {
                warn!(%error, url = %redacted, attempt, "Migration failed; another process may be creating the schema. Retrying.");
                attempt += 1;
            }
            Err(error) => {
                warn!(%error, url = %redacted, "Failed to open the SQLite database.");
                return Err(error);
            }
        }
    }

    let pool = SqlitePoolOptions::new()
        .max_connections(SQLITE_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| connect_error(&e, raw, redacted))?;
    info!(url = %redacted, "Opened the SQLite database.");
    Ok(Store {
        pool: Pool::Sqlite(pool),
    })
}

fn create_parent_dir(filename: &Path, redacted: &str) -> Result<(), StoreError> {
    let Some(parent) = filename.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(parent).map_err(|e| {
        let error = StoreError::Connect {
            redacted_url: redacted.to_string(),
            transient: false,
            source: RedactedCause::new(&e, ""),
        };
        warn!(%error, dir = %parent.display(), "Failed to create the database directory.");
        error
    })?;
    info!(dir = %parent.display(), "Created the database directory.");
    Ok(())
}

async fn connect_postgres(raw: &str, redacted: &str) -> Result<Store, StoreError> {
    let options = PgConnectOptions::from_str(raw)
        .map_err(|e| {
            let error = StoreError::InvalidUrl {
                redacted_url: redacted.to_string(),
                reason: RedactedCause::new(&e, raw).to_string(),
            };
            warn!(%error, "Refused a database URL.");
            error
        })?
        .application_name("govwire");

    // One direct connection first: it fails fast (a pool would retry until
    // its acquire timeout) and runs the migrations, which take an advisory
    // lock so that concurrent starts apply them once.
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
        .await
        .map_err(|_| {
            let error = StoreError::Connect {
                redacted_url: redacted.to_string(),
                transient: true,
                source: RedactedCause::new(
                    &std::io::Error::from(std::io::ErrorKind::TimedOut),
                    raw,
                ),
            };
            warn!(%error, "Failed to connect to PostgreSQL.");
            error
        })?
        .map_err(|e| connect_error(&e, raw, redacted))?;
    let migrated = POSTGRES_MIGRATOR.run(&mut conn).await;
    let _ = conn.close().await;
    migrated.map_err(|source| {
        let error = StoreError::Migrate {
            redacted_url: redacted.to_string(),
            source,
        };
        warn!(%error, "Failed to migrate the PostgreSQL database.");
        error
    })?;

    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| connect_error(&e, raw, redacted))?;
    info!(url = %redacted, "Opened the PostgreSQL database.");
    Ok(Store {
        pool: Pool::Postgres(pool),
    })
}

/// A [`StoreError::Connect`] with the password scrubbed, logged.
fn connect_error(error: &sqlx::Error, raw: &str, redacted: &str) -> StoreError {
    let error = StoreError::Connect {
        redacted_url: redacted.to_string(),
        transient: sqlx_is_transient(error),
        source: RedactedCause::new(error, raw),
    };
    warn!(%error, cause = %error_cause(&error), "Failed to connect to the database.");
    error
}

fn error_cause(error: &StoreError) -> String {
    std::error::Error::source(error)
        .map(|s| s.to_string())
        .unwrap_or_default()
}
