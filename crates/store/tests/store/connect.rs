//! Opening databases: migrations, URL handling, secrets.

use std::io::Write;
use std::sync::{Arc, Mutex};

use govwire_store::testing::TestDb;
use govwire_store::{Backend, Store, StoreError, Validators};
use secrecy::{ExposeSecret, SecretString};

use crate::support::on_both_backends;

on_both_backends!(migrations_run_twice_harmlessly);

/// Runs one statement on the test database behind the store's back (to
/// damage a row on purpose).
pub async fn raw_execute(db: &TestDb, sql: &str) {
    let url = db.url.expose_secret();
    match db.store.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

async fn raw_count(db: &TestDb, sql: &str) -> i64 {
    let url = db.url.expose_secret();
    match db.store.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
            pool.close().await;
            n
        }
    }
}

async fn migrations_run_twice_harmlessly(db: &TestDb) {
    let v = Validators {
        etag: Some("\"1\"".into()),
        last_modified: None,
    };
    db.store
        .set_http_validators("https://x/list", &v)
        .await
        .unwrap();

    // A second and a third open of the same database find the schema in
    // place and keep the data.
    let again = Store::connect(&db.url).await.unwrap();
    let third = Store::connect(&db.url).await.unwrap();
    assert_eq!(again.backend(), db.store.backend());
    assert_eq!(
        again.http_validators("https://x/list").await.unwrap(),
        Some(v)
    );
    let applied = raw_count(db, "SELECT COUNT(*) FROM _sqlx_migrations").await;
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    assert_eq!(applied, files as i64, "each migration applied once");
    again.close().await;
    third.close().await;
}

#[tokio::test]
async fn a_connect_error_never_shows_the_password() {
    let url = SecretString::from("postgres://postgres:s3cret-pw@127.0.0.1:1/x");
    let error = Store::connect(&url).await.unwrap_err();

    let mut rendered = vec![format!("{error:?}"), format!("{error}")];
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        rendered.push(format!("{inner}"));
        rendered.push(format!("{inner:?}"));
        cause = inner.source();
    }
    for text in &rendered {
        assert!(!text.contains("s3cret-pw"), "password leaked: {text}");
    }
    assert!(
        rendered[1].contains("postgres://postgres:***@127.0.0.1:1/x"),
        "the error names the redacted URL: {}",
        rendered[1]
    );
    assert!(matches!(error, StoreError::Connect { .. }), "{error:?}");
    assert!(error.is_transient(), "a refused connection may heal");
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn connect_failures_are_logged_without_the_password() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let url = SecretString::from("postgres://postgres:s3cret-pw@127.0.0.1:1/x?password=s3cret-pw");
    let _ = Store::connect(&url).await.unwrap_err();

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("Failed to connect"),
        "the failure is logged: {log}"
    );
    assert!(
        !log.contains("s3cret-pw"),
        "password leaked into the log: {log}"
    );
}

#[tokio::test]
async fn urls_of_other_databases_and_in_memory_sqlite_are_refused() {
    for url in [
        "mysql://root:pw@localhost/x",
        "sqlite::memory:",
        "sqlite://?mode=memory",
    ] {
        let error = Store::connect(&SecretString::from(url)).await.unwrap_err();
        assert!(
            matches!(error, StoreError::InvalidUrl { .. }),
            "{url}: {error:?}"
        );
        assert!(!error.is_transient());
        assert!(!format!("{error:?}").contains(":pw@"), "{error:?}");
    }
}

#[tokio::test]
async fn init_creates_a_sqlite_file_and_its_directory_and_a_second_init_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("nested").join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));

    let first = Store::init(&url).await.unwrap();
    assert!(path.exists());
    assert!(first.created, "{first:?}");
    assert!(first.migrations_applied > 0, "{first:?}");

    let second = Store::init(&url).await.unwrap();
    assert!(!second.created, "{second:?}");
    assert_eq!(second.migrations_applied, 0, "{second:?}");

    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.close().await;
}

#[tokio::test]
async fn opening_a_missing_sqlite_file_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));

    let error = Store::connect(&url).await.unwrap_err();

    assert!(matches!(error, StoreError::Missing { .. }), "{error:?}");
    assert!(!error.is_transient());
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "the error names the file: {error}"
    );
    assert!(!path.exists(), "no file was created");
    assert!(!path.parent().unwrap().exists(), "no directory was created");
}

#[tokio::test]
async fn opening_a_sqlite_file_without_the_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("govwire.db");
    std::fs::write(&path, b"").unwrap();
    let url = SecretString::from(format!("sqlite://{}", path.display()));

    let error = Store::connect(&url).await.unwrap_err();

    assert!(matches!(error, StoreError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains("no govwire schema"), "{error}");
}

/// A database name on the test server that nothing uses yet, its URL, and
/// an admin connection to drop it afterwards.
fn unused_postgres_database() -> (String, SecretString, String) {
    let admin = std::env::var(govwire_store::testing::POSTGRES_URL_ENV)
        .unwrap_or_else(|_| govwire_store::testing::DEFAULT_POSTGRES_ADMIN_URL.to_string());
    let name = format!("govwire_test_init_{:016x}", rand::random::<u64>());
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    (name, SecretString::from(url.to_string()), admin)
}

async fn drop_postgres_database(admin: &str, name: &str) {
    let pool = sqlx::PgPool::connect(admin).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at 127.0.0.1:5432 must be reachable to clean up: {e}")
    });
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn a_missing_postgres_database_is_refused_and_init_creates_it_once() {
    let (name, url, admin) = unused_postgres_database();

    let error = Store::connect(&url).await.unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains(&name), "{error}");

    let first = Store::init(&url).await;
    let second = Store::init(&url).await;
    let opened = Store::connect(&url).await;
    if let Ok(store) = &opened {
        store.close().await;
    }
    drop_postgres_database(&admin, &name).await;

    let first = first.unwrap();
    assert!(first.created && first.migrations_applied > 0, "{first:?}");
    let second = second.unwrap();
    assert!(
        !second.created && second.migrations_applied == 0,
        "{second:?}"
    );
    assert_eq!(opened.unwrap().backend(), Backend::Postgres);
}

#[tokio::test]
async fn a_postgres_database_without_the_schema_is_refused() {
    let (name, url, admin) = unused_postgres_database();
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at 127.0.0.1:5432 must be reachable: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let result = Store::connect(&url).await;
    drop_postgres_database(&admin, &name).await;

    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains("no govwire schema"), "{error}");
}
