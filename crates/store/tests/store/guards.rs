//! The guards a daemon keeps around its store: a real write at start-up,
//! and the SQLite file watched for deletion or replacement.

use std::path::{Path, PathBuf};

use govwire_store::testing::{Immutable, TestDb};
use govwire_store::{Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

use crate::support::on_both_backends;

on_both_backends!(a_writable_store_passes_the_write_check_and_keeps_one_row_per_daemon);

async fn a_writable_store_passes_the_write_check_and_keeps_one_row_per_daemon(db: &TestDb) {
    db.store.check_writable("crawler").await.unwrap();
    db.store.check_writable("crawler").await.unwrap();
    db.store.check_writable("notifier").await.unwrap();
    assert_eq!(db.count_rows("write_checks").await, 2);
}

/// The database file and its write-ahead log. (Not its shared-memory file:
/// SQLite maps it, and a mapped file turned immutable kills the process
/// with SIGBUS instead of failing a write.)
fn sqlite_files(db: &Path) -> Vec<PathBuf> {
    ["", "-wal"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", db.display())))
        .collect()
}

#[tokio::test]
async fn the_write_check_of_an_unwritable_sqlite_file_names_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));
    Store::init(&url).await.unwrap();
    let store = Store::connect(&url).await.unwrap();
    store.check_writable("crawler").await.unwrap();

    let guard = Immutable::set(&sqlite_files(&path));
    let result = store.check_writable("crawler").await;
    drop(guard);
    store.close().await;

    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::NotWritable { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("read-only"), "{text}");
}

#[tokio::test]
async fn opening_an_unwritable_sqlite_file_then_checking_it_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));
    Store::init(&url).await.unwrap();

    let guard = Immutable::set(&sqlite_files(&path));
    let result = match Store::connect(&url).await {
        Ok(store) => {
            let checked = store.check_writable("crawler").await;
            store.close().await;
            checked
        }
        Err(e) => Err(e),
    };
    drop(guard);

    let error = result.unwrap_err();
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("read-only"), "{text}");
}

#[tokio::test]
async fn a_sqlite_file_in_an_unwritable_directory_fails_opening_or_the_write_check_naming_the_file()
{
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let path = state.join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));
    Store::init(&url).await.unwrap();

    let guard = Immutable::set(&[state]);
    let result = match Store::connect(&url).await {
        Ok(store) => {
            let checked = store.check_writable("crawler").await;
            store.close().await;
            checked
        }
        Err(e) => Err(e),
    };
    drop(guard);

    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::NotWritable { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("directory"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemons_starting_together_on_one_sqlite_file_all_open_it_and_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("govwire.db");
    let url = SecretString::from(format!("sqlite://{}", path.display()));
    Store::init(&url).await.unwrap();

    let starts = (0..8).map(|i| {
        let url = url.clone();
        tokio::spawn(async move {
            let store = Store::connect(&url).await?;
            let checked = store.check_writable(&format!("daemon-{i}")).await;
            store.close().await;
            checked
        })
    });
    for (i, start) in starts.collect::<Vec<_>>().into_iter().enumerate() {
        start
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("daemon {i} failed to start: {e:?}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_read_only_postgres_database_is_refused_saying_the_server_accepts_only_reads() {
    let db = govwire_store::testing::fresh_postgres().await;
    let name = db
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    crate::connect::raw_execute(
        &db,
        &format!("ALTER DATABASE {name} SET default_transaction_read_only = on"),
    )
    .await;

    // New connections take the setting: what a daemon meets on a standby.
    // Opening already writes (the migrator makes sure of its table), so the
    // refusal comes from opening or from the check.
    let result = match Store::connect(&db.url).await {
        Ok(store) => {
            let checked = store.check_writable("notifier").await;
            store.close().await;
            checked
        }
        Err(e) => Err(e),
    };
    db.cleanup().await;

    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::NotWritable { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&name), "names the database: {text}");
    assert!(text.contains("accepts only reads"), "{text}");
}
