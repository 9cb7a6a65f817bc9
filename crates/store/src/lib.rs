//! govwire's persistence, and the only crate that speaks SQL.
//!
//! One [`Store`] interface over two backends: an SQLite file (the embedded
//! default: `sqlite:///var/lib/govwire/govwire.db` or
//! `sqlite://relative.db`) and PostgreSQL (`postgres://…`), chosen by the
//! URL's scheme. Each backend has its own embedded migrations
//! (`migrations/sqlite/`, `migrations/postgres/`); the tables and the SQL
//! statements are the same on both. [`Store::init`] creates a store and
//! migrates it; [`Store::connect`] opens an existing one (applying pending
//! migrations) and refuses a missing one, so a lost store is never silently
//! replaced by an empty one.
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
//!   subscriber received, idempotent on the event id; and the archive as a
//!   person reads it (`archive_query`: [`Store::query_replies`], a filtered,
//!   searchable list in keyset pages; [`Store::archive_versions`],
//!   [`Store::archive_feed`], [`Store::archive_export`]);
//! - analytics ([`Store::apply_analytics_event`], [`Store::analytics`]): the
//!   analytics subscriber's projection of reply events (the current state
//!   of each reply, its title words, the ledger of applied events) and the
//!   aggregates read from it, idempotent on the event id.
//!
//! Internally `db` lets one body of SQL run on either backend; `error`
//! holds [`StoreError`] and [`redact_url`]; `guard` holds the start-up
//! write check ([`Store::check_writable`]) and [`FileWatch`]; `testing`
//! (feature `testing`) gives tests fresh databases.

mod alerts;
mod analytics;
mod archive;
mod archive_query;
mod archive_search;
mod backfill;
mod crawl;
mod db;
mod direct;
mod error;
mod guard;
mod health;
mod kept;
mod leases;
mod replies;
#[cfg(feature = "testing")]
pub mod testing;
mod types;
mod walks;
mod withdrawals;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use tracing::{debug, info, warn};

pub use alerts::{AlertDelivery, DeliveryStatus};
pub use analytics::{
    Analytics, AnalyticsEvent, AnalyticsTotals, Count, DelayBucket, DelayDistribution,
    MonthActivity, MonthCount, WordCount,
};
pub use archive::ArchiveInput;
pub use archive_query::{
    BadCursor, Cursor, FeedEntry, ReplyFilter, ReplyPage, ReplyRow, ResultFilter, Snippet,
    VersionEntry,
};
pub use backfill::BackfillCursor;
pub use error::{redact_url, serialize_redacted_url, RedactedCause, StoreError};
pub use guard::FileWatch;
pub use health::{HealthChange, SectionHealth, SectionPollRecord};
pub use kept::{EventLogFilter, EventLogPosition, LoggedEvent};
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
/// migrating one file at once (two `init`s, or daemons of a newer govwire
/// starting together) race, and the loser succeeds on its second attempt,
/// finding the migrations applied.
const SQLITE_MIGRATE_ATTEMPTS: u32 = 3;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A handle on govwire's database. Cheap to clone: clones share one pool, so
/// the services of `govwire all` share one SQLite file through one `Store`.
#[derive(Clone)]
pub struct Store {
    /// The connection pool of the chosen backend.
    pool: Pool,
    /// Where the store is, for errors that must name it, and the SQLite
    /// file's identity for [`Store::file_watch`].
    place: Arc<Place>,
}

/// Where a [`Store`] is.
#[derive(Debug)]
struct Place {
    /// The URL with any password replaced by `***`.
    redacted_url: String,
    /// The SQLite file as it was when the store opened it; `None` on
    /// PostgreSQL.
    file: Option<FileWatch>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.place.redacted_url)
            .finish_non_exhaustive()
    }
}

/// What [`Store::init`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The store's URL with any password replaced by `***`.
    pub redacted_url: String,
    /// Whether the SQLite file or the PostgreSQL database was created now
    /// (`false`: it existed already).
    pub created: bool,
    /// How many migrations were applied now (0: the schema was up to date).
    pub migrations_applied: usize,
}

/// Whether opening may create the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// [`Store::init`]: create the file or database, then migrate.
    Create,
    /// [`Store::connect`]: the store must exist and hold govwire's schema.
    Existing,
}

impl Store {
    /// Opens the existing store at `url`, applying migrations it has not
    /// had yet. Never creates one: a missing SQLite file, a missing
    /// PostgreSQL database or a database without govwire's schema is
    /// [`StoreError::Missing`] (create it with [`Store::init`]), so a lost
    /// store is never silently replaced by an empty one. The URL may contain
    /// a password: errors and logs must not.
    pub async fn connect(url: &SecretString) -> Result<Store, StoreError> {
        open(url, Mode::Existing).await.map(|(store, _)| store)
    }

    /// Creates the store at `url` if it does not exist (SQLite: the file and
    /// its directory; PostgreSQL: the database, when the server lets this
    /// role create it) and applies every migration. Idempotent: on an
    /// existing, migrated store it changes nothing and says so in the
    /// report.
    pub async fn init(url: &SecretString) -> Result<InitReport, StoreError> {
        let (store, report) = open(url, Mode::Create).await?;
        store.close().await;
        Ok(report)
    }

    /// Which backend this store talks to.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// The store's URL with any password replaced by `***`.
    pub fn redacted_url(&self) -> &str {
        &self.place.redacted_url
    }

    /// Whether the database answers a query now (a readiness check): a
    /// connection taken from the pool and `SELECT 1` on it.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (one,): (i64,) = conn
            .exec()
            .fetch_one("SELECT CAST(1 AS BIGINT)", db::args![])
            .await?;
        if one == 1 {
            Ok(())
        } else {
            Err(db::corrupt(format!("SELECT 1 answered {one}")))
        }
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn open(url: &SecretString, mode: Mode) -> Result<(Store, InitReport), StoreError> {
    let raw = url.expose_secret();
    let redacted = redact_url(raw);
    if raw.starts_with("sqlite:") {
        open_sqlite(raw, &redacted, mode).await
    } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        open_postgres(raw, &redacted, mode).await
    } else {
        let error = StoreError::InvalidUrl {
            redacted_url: redacted,
            reason: "the scheme must be sqlite: or postgres://".into(),
        };
        debug!(%error, "Refused a database URL.");
        Err(error)
    }
}

/// A [`StoreError::Missing`], logged at DEBUG.
fn missing(redacted: &str, reason: String) -> StoreError {
    let error = StoreError::Missing {
        redacted_url: redacted.to_string(),
        reason,
    };
    // The caller reports the error; a line here would say it twice.
    debug!(%error, "Refused to open a store that does not exist.");
    error
}

async fn open_sqlite(
    raw: &str,
    redacted: &str,
    mode: Mode,
) -> Result<(Store, InitReport), StoreError> {
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
        debug!(%error, "Refused a database URL.");
        return Err(error);
    }
    let existed = filename.exists();
    let options = options
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .foreign_keys(true);
    let options = match mode {
        Mode::Create => {
            create_parent_dir(&filename, redacted)?;
            // WAL is a property of the file, kept once set: only `init`
            // sets it. Switching a file into WAL takes an exclusive lock
            // that the busy timeout cannot wait for, which made two daemons
            // starting on one new file fail with "database is locked".
            options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
        }
        Mode::Existing if !existed => {
            return Err(missing(
                redacted,
                format!("there is no SQLite file at {}", filename.display()),
            ));
        }
        Mode::Existing => options.create_if_missing(false),
    };

    let mut attempt = 1;
    let applied = loop {
        let result = migrate_sqlite(&options, mode, existed, raw, redacted).await;
        match result {
            Ok(applied) => break applied,
            Err(error @ StoreError::Migrate { .. }) if attempt < SQLITE_MIGRATE_ATTEMPTS => {
                warn!(%error, url = %redacted, attempt, "Migration failed; another process may be creating the schema. Retrying.");
                attempt += 1;
            }
            Err(error) => {
                warn!(%error, url = %redacted, "Failed to open the SQLite database.");
                return Err(error);
            }
        }
    };

    let pool = SqlitePoolOptions::new()
        .max_connections(SQLITE_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| connect_error(&e, raw, redacted))?;
    let writer = direct::Writer::open(&filename, SQLITE_BUSY_TIMEOUT)
        .map_err(|e| connect_error(&e, raw, redacted))?;
    let file = FileWatch::of(&filename).map_err(|e| {
        let error = StoreError::FileLost {
            path: filename.clone(),
            what: format!("cannot be looked at ({e})"),
        };
        warn!(%error, "Failed to open the SQLite database.");
        error
    })?;
    info!(url = %redacted, "Opened the SQLite database.");
    Ok((
        Store {
            pool: Pool::Sqlite { pool, writer },
            place: Arc::new(Place {
                redacted_url: redacted.to_string(),
                file: Some(file),
            }),
        },
        InitReport {
            redacted_url: redacted.to_string(),
            created: !existed,
            migrations_applied: applied,
        },
    ))
}

/// One connection to the SQLite file that applies the pending migrations;
/// returns how many it applied. In [`Mode::Existing`], a file without
/// govwire's schema is [`StoreError::Missing`].
async fn migrate_sqlite(
    options: &SqliteConnectOptions,
    mode: Mode,
    existed: bool,
    raw: &str,
    redacted: &str,
) -> Result<usize, StoreError> {
    let filename = options.get_filename();
    let mut conn = match options.connect().await {
        Ok(conn) => conn,
        Err(e) => {
            return Err(match guard::why_sqlx_cannot_write(&e).filter(|_| existed) {
                // The file is there but cannot be opened for writing.
                Some(reason) => {
                    let error = StoreError::NotWritable {
                        location: filename.display().to_string(),
                        reason: reason.to_string(),
                        source: RedactedCause::new(&e, raw),
                    };
                    warn!(%error, "The store cannot be written.");
                    error
                }
                None => connect_error(&e, raw, redacted),
            });
        }
    };
    let migrated = run_sqlite_migrations(&mut conn, mode, redacted, filename).await;
    // The connection is done with either way; a failure to close it cleanly
    // changes nothing on disk.
    let _ = conn.close().await;
    migrated
}

async fn run_sqlite_migrations(
    conn: &mut sqlx::SqliteConnection,
    mode: Mode,
    redacted: &str,
    filename: &Path,
) -> Result<usize, StoreError> {
    let before = sqlite_applied_migrations(conn).await?;
    if mode == Mode::Existing && before.is_none() {
        return Err(missing(
            redacted,
            format!(
                "the SQLite file {} holds no govwire schema",
                filename.display()
            ),
        ));
    }
    if let Err(source) = SQLITE_MIGRATOR.run_direct(conn).await {
        return Err(migrate_error(
            source,
            &filename.display().to_string(),
            redacted,
        ));
    }
    let after = sqlite_applied_migrations(conn).await?.unwrap_or(0);
    Ok(after.saturating_sub(before.unwrap_or(0)))
}

/// A failed migration run as a [`StoreError`]: [`StoreError::NotWritable`]
/// (naming `location`, the file or the redacted URL) when the store refused
/// the write itself (read-only, full disk; even a run with nothing to apply
/// writes, as it makes sure its table exists), else
/// [`StoreError::Migrate`]. A lock or a serialization failure stays
/// `Migrate`: it is a race with another process, retried.
fn migrate_error(
    source: sqlx::migrate::MigrateError,
    location: &str,
    redacted: &str,
) -> StoreError {
    let cause = match &source {
        sqlx::migrate::MigrateError::Execute(e)
        | sqlx::migrate::MigrateError::ExecuteMigration(e, _) => Some(e),
        _ => None,
    };
    match cause
        .filter(|e| !sqlx_is_transient(e))
        .and_then(guard::why_sqlx_cannot_write)
    {
        Some(reason) => StoreError::NotWritable {
            location: location.to_string(),
            reason: reason.to_string(),
            source: RedactedCause::new(&source, ""),
        },
        None => StoreError::Migrate {
            redacted_url: redacted.to_string(),
            source,
        },
    }
}

/// How many migrations the SQLite database has had; `None` when it has no
/// migrations table (no govwire schema).
async fn sqlite_applied_migrations(
    conn: &mut sqlx::SqliteConnection,
) -> Result<Option<usize>, StoreError> {
    let (tables,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if tables == 0 {
        return Ok(None);
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(usize::try_from(n).unwrap_or_default()))
}

/// How many migrations the PostgreSQL database has had; `None` when it has
/// no migrations table (no govwire schema).
async fn pg_applied_migrations(conn: &mut sqlx::PgConnection) -> Result<Option<usize>, StoreError> {
    let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(None);
    }
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut *conn)
        .await?;
    Ok(Some(usize::try_from(n).unwrap_or_default()))
}

fn create_parent_dir(filename: &Path, redacted: &str) -> Result<(), StoreError> {
    let Some(parent) = filename.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(parent).map_err(|e| {
        let error = StoreError::Create {
            redacted_url: redacted.to_string(),
            reason: format!("cannot create the directory {}: {e}", parent.display()),
        };
        warn!(%error, "Failed to create the database directory.");
        error
    })?;
    info!(dir = %parent.display(), "Created the database directory.");
    Ok(())
}

async fn open_postgres(
    raw: &str,
    redacted: &str,
    mode: Mode,
) -> Result<(Store, InitReport), StoreError> {
    let options = PgConnectOptions::from_str(raw)
        .map_err(|e| {
            let error = StoreError::InvalidUrl {
                redacted_url: redacted.to_string(),
                reason: RedactedCause::new(&e, raw).to_string(),
            };
            debug!(%error, "Refused a database URL.");
            error
        })?
        .application_name("govwire");

    // One direct connection first: it fails fast (a pool would retry until
    // its acquire timeout) and runs the migrations, which take an advisory
    // lock so that concurrent starts apply them once.
    let mut created = false;
    let mut conn = match connect_pg_once(&options).await {
        Ok(conn) => conn,
        Err(e) if is_unknown_database(&e) => match mode {
            Mode::Existing => {
                return Err(missing(
                    redacted,
                    format!(
                        "the PostgreSQL database `{}` does not exist",
                        database_name(&options)
                    ),
                ))
            }
            Mode::Create => {
                create_pg_database(&options, raw, redacted).await?;
                created = true;
                connect_pg_once(&options)
                    .await
                    .map_err(|e| connect_error(&e, raw, redacted))?
            }
        },
        Err(e) => return Err(connect_error(&e, raw, redacted)),
    };
    let migrated = run_pg_migrations(&mut conn, mode, redacted, &database_name(&options)).await;
    let _ = conn.close().await;
    let applied = migrated?;

    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|e| connect_error(&e, raw, redacted))?;
    info!(url = %redacted, "Opened the PostgreSQL database.");
    Ok((
        Store {
            pool: Pool::Postgres(pool),
            place: Arc::new(Place {
                redacted_url: redacted.to_string(),
                file: None,
            }),
        },
        InitReport {
            redacted_url: redacted.to_string(),
            created,
            migrations_applied: applied,
        },
    ))
}

/// Applies the pending migrations on `conn`; returns how many it applied.
/// In [`Mode::Existing`], a database without govwire's schema is
/// [`StoreError::Missing`].
async fn run_pg_migrations(
    conn: &mut sqlx::PgConnection,
    mode: Mode,
    redacted: &str,
    database: &str,
) -> Result<usize, StoreError> {
    let before = pg_applied_migrations(conn).await?;
    if mode == Mode::Existing && before.is_none() {
        return Err(missing(
            redacted,
            format!("the PostgreSQL database `{database}` holds no govwire schema"),
        ));
    }
    if let Err(source) = POSTGRES_MIGRATOR.run_direct(conn).await {
        let error = migrate_error(source, redacted, redacted);
        warn!(%error, "Failed to migrate the PostgreSQL database.");
        return Err(error);
    }
    let after = pg_applied_migrations(conn).await?.unwrap_or(0);
    Ok(after.saturating_sub(before.unwrap_or(0)))
}

/// One connection within [`CONNECT_TIMEOUT`].
async fn connect_pg_once(options: &PgConnectOptions) -> Result<sqlx::PgConnection, sqlx::Error> {
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(result) => result,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        ))),
    }
}

/// Whether PostgreSQL refused a connection because the database does not
/// exist (SQLSTATE 3D000).
fn is_unknown_database(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000"))
}

/// The database `options` name: the one in the URL, else the user's name
/// (PostgreSQL's default).
fn database_name(options: &PgConnectOptions) -> String {
    options
        .get_database()
        .unwrap_or_else(|| options.get_username())
        .to_string()
}

/// Creates the database `options` name, through the server's `postgres`
/// maintenance database with the same credentials.
async fn create_pg_database(
    options: &PgConnectOptions,
    raw: &str,
    redacted: &str,
) -> Result<(), StoreError> {
    let name = database_name(options);
    let refuse = |reason: String| {
        let error = StoreError::Create {
            redacted_url: redacted.to_string(),
            reason,
        };
        warn!(%error, "Failed to create the PostgreSQL database.");
        error
    };
    let admin = options.clone().database("postgres");
    let mut conn = connect_pg_once(&admin).await.map_err(|e| {
        refuse(format!(
            "the database `{name}` does not exist and the server's `postgres` database, \
             through which it would be created, cannot be reached ({}); create it \
             yourself (CREATE DATABASE) and run init again",
            RedactedCause::new(&e, raw)
        ))
    })?;
    let statement = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    let created = sqlx::query(&statement).execute(&mut conn).await;
    let _ = conn.close().await;
    match created {
        Ok(_) => {
            info!(url = %redacted, "Created the PostgreSQL database.");
            Ok(())
        }
        // Another init created it in between.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(()),
        Err(e) => Err(refuse(format!(
            "the database `{name}` does not exist and the server refused to create it ({}); \
             create it yourself (CREATE DATABASE) or grant CREATEDB, and run init again",
            RedactedCause::new(&e, raw)
        ))),
    }
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
