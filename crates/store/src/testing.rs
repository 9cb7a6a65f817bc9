//! Fresh databases for tests, of this crate and of the crates that use the
//! store. Each test gets its own database, so tests run in parallel and
//! leave nothing behind.
//!
//! PostgreSQL tests use the server named by `GOVWIRE_TEST_POSTGRES_URL`
//! (default [`DEFAULT_POSTGRES_ADMIN_URL`]); when it cannot be reached they
//! fail, never skip.

use std::str::FromStr;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use crate::db::args;
use crate::{redact_url, RedactedCause, Store};

mod immutable;
mod outage;
pub use immutable::Immutable;
pub use outage::{fresh_postgres_with_own_role, TestRole};

/// The admin URL used when `GOVWIRE_TEST_POSTGRES_URL` is unset: the local
/// server with trust authentication.
pub const DEFAULT_POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The environment variable naming the PostgreSQL server tests use.
pub const POSTGRES_URL_ENV: &str = "GOVWIRE_TEST_POSTGRES_URL";

/// Runs each named `async fn(&TestDb)` on a fresh SQLite database and on a
/// fresh PostgreSQL database, as the tests `<name>::on_sqlite` and
/// `<name>::on_postgres`, each database cleaned up after. The calling test
/// crate needs `tokio` (with its test macro).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_sqlite() {
                    let db = $crate::testing::fresh_sqlite().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn on_postgres() {
                    let db = $crate::testing::fresh_postgres().await;
                    super::$name(&db).await;
                    db.cleanup().await;
                }
            }
        )*
    };
}

/// Every table of the schema, for [`TestDb::count_rows`].
pub const TABLES: &[&str] = &[
    "http_validators",
    "crawl_items",
    "replies",
    "reply_versions",
    "reply_items",
    "reply_urls",
    "outbox",
    "archive_events",
    "archive_event_log",
    "raw_pages",
    "archive_replies",
    "archive_versions",
    "alert_deliveries",
    "analytics_events",
    "analytics_replies",
    "analytics_words",
    "write_checks",
];

/// A test's own database, created as `govwire init` creates one, and a
/// store open on it.
pub struct TestDb {
    /// The store, migrated.
    pub store: Store,
    /// The database's URL, to open a second store on the same database.
    pub url: SecretString,
    /// What to remove when the test is done.
    place: Place,
}

/// Where a test database lives, so it can be removed afterwards.
enum Place {
    /// An SQLite file in a temporary directory.
    Sqlite {
        /// The directory; deleted (with the file) when dropped.
        _dir: tempfile::TempDir,
    },
    /// A PostgreSQL database, dropped through the admin URL.
    Postgres {
        /// Where to connect to drop it.
        admin_url: SecretString,
        /// Its name (`govwire_test_<random>`).
        name: String,
        /// Whether cleanup() already dropped it, so Drop need not.
        dropped: bool,
    },
}

/// A fresh SQLite database in a temp dir (dir deleted on drop).
pub async fn fresh_sqlite() -> TestDb {
    let dir = tempfile::Builder::new()
        .prefix("govwire-store-test-")
        .tempdir()
        .unwrap_or_else(|e| panic!("cannot create a temporary directory for a test database: {e}"));
    let path = dir.path().join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));
    Store::init(&url).await.unwrap_or_else(|e| {
        panic!(
            "cannot create the test SQLite database {}: {e:?}",
            path.display()
        )
    });
    let store = Store::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "cannot open the test SQLite database {}: {e:?}",
            path.display()
        )
    });
    TestDb {
        store,
        url,
        place: Place::Sqlite { _dir: dir },
    }
}

/// A fresh PostgreSQL database `govwire_test_<random>` created through the
/// admin URL from env GOVWIRE_TEST_POSTGRES_URL (default
/// postgres://postgres@127.0.0.1:5432/postgres); PANICS with a clear message
/// naming the URL (redacted) and "is PostgreSQL running?" when unreachable.
/// Dropped (DROP DATABASE … WITH (FORCE)) on TestDb::cleanup().await; best
/// effort on Drop.
pub async fn fresh_postgres() -> TestDb {
    let admin_url = SecretString::from(
        std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_ADMIN_URL.to_string()),
    );
    let name = format!("govwire_test_{:016x}", rand::rng().random::<u64>());
    let mut admin = admin_connection(&admin_url).await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot create test database {name} on {}: {e}",
                redact_url(admin_url.expose_secret())
            )
        });
    let _ = admin.close().await;

    let mut url = url::Url::parse(admin_url.expose_secret()).unwrap_or_else(|e| {
        panic!(
            "{POSTGRES_URL_ENV} is not a URL ({}): {e}",
            redact_url(admin_url.expose_secret())
        )
    });
    url.set_path(&format!("/{name}"));
    let url = SecretString::from(url.to_string());
    Store::init(&url).await.unwrap_or_else(|e| {
        panic!(
            "cannot migrate test database {}: {e:?}",
            redact_url(url.expose_secret())
        )
    });
    let store = Store::connect(&url).await.unwrap_or_else(|e| {
        panic!(
            "cannot open test database {}: {e:?}",
            redact_url(url.expose_secret())
        )
    });
    TestDb {
        store,
        url,
        place: Place::Postgres {
            admin_url,
            name,
            dropped: false,
        },
    }
}

async fn admin_connection(admin_url: &SecretString) -> PgConnection {
    let redacted = redact_url(admin_url.expose_secret());
    let options = PgConnectOptions::from_str(admin_url.expose_secret())
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} ({redacted}) is not a PostgreSQL URL: {e}"));
    match tokio::time::timeout(std::time::Duration::from_secs(10), options.connect()).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "cannot connect to PostgreSQL at {redacted} ({}); is PostgreSQL running? \
             Set {POSTGRES_URL_ENV} to point tests elsewhere.",
            RedactedCause::new(&e, admin_url.expose_secret())
        ),
        Err(_) => panic!(
            "connecting to PostgreSQL at {redacted} timed out; is PostgreSQL running? \
             Set {POSTGRES_URL_ENV} to point tests elsewhere."
        ),
    }
}

async fn drop_database(admin_url: &SecretString, name: &str) -> Result<(), String> {
    let options =
        PgConnectOptions::from_str(admin_url.expose_secret()).map_err(|e| e.to_string())?;
    let mut admin = options.connect().await.map_err(|e| e.to_string())?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .map_err(|e| e.to_string())?;
    let _ = admin.close().await;
    Ok(())
}

impl TestDb {
    /// Closes the store and removes the database (the SQLite directory, or
    /// the PostgreSQL database).
    pub async fn cleanup(mut self) {
        self.store.close().await;
        if let Place::Postgres {
            admin_url,
            name,
            dropped,
        } = &mut self.place
        {
            if let Err(e) = drop_database(admin_url, name).await {
                panic!("cannot drop test database {name}: {e}");
            }
            *dropped = true;
        }
    }

    /// How many rows `table` holds (one of [`TABLES`]), to check what an
    /// operation wrote.
    pub async fn count_rows(&self, table: &str) -> u64 {
        assert!(TABLES.contains(&table), "unknown table {table}");
        let mut conn = self
            .store
            .pool
            .acquire()
            .await
            .unwrap_or_else(|e| panic!("cannot count rows of {table}: {e:?}"));
        let (n,): (i64,) = conn
            .exec()
            .fetch_one(&format!("SELECT COUNT(*) FROM {table}"), args![])
            .await
            .unwrap_or_else(|e| panic!("cannot count rows of {table}: {e:?}"));
        u64::try_from(n).unwrap_or_default()
    }

    /// Forgets the archive's search index, as a store archived before the
    /// search existed holds none: every reply unindexed, the index empty.
    pub async fn unindex_archive_search(&self) {
        let mut conn = self
            .store
            .pool
            .acquire()
            .await
            .unwrap_or_else(|e| panic!("cannot unindex the archive: {e:?}"));
        let statements: &[&str] = match self.store.backend() {
            crate::Backend::Sqlite => &[
                "DELETE FROM archive_search",
                "UPDATE archive_replies SET search_indexed = NULL, search_rowid = NULL",
            ],
            crate::Backend::Postgres => {
                &["UPDATE archive_replies SET search_indexed = NULL, search = NULL"]
            }
        };
        for statement in statements {
            conn.exec()
                .execute(statement, args![])
                .await
                .unwrap_or_else(|e| panic!("cannot unindex the archive: {e:?}"));
        }
    }

    /// The row counts of every table, in [`TABLES`] order: equal before and
    /// after an operation means it wrote nothing.
    pub async fn all_counts(&self) -> Vec<(&'static str, u64)> {
        let mut out = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            out.push((*table, self.count_rows(table).await));
        }
        out
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Place::Postgres {
            admin_url,
            name,
            dropped: false,
        } = &self.place
        {
            // Best effort: a test that panicked before cleanup() still
            // removes its database. A runtime of its own, on a thread of its
            // own, because Drop cannot await.
            let admin_url = admin_url.clone();
            let name = name.clone();
            let handle = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(drop_database(&admin_url, &name)).err()
            });
            if let Ok(Some(e)) = handle.join() {
                eprintln!("warning: could not drop a test database: {e}");
            }
        }
    }
}
