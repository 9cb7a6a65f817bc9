//! The SQLite writer: one connection per [`crate::Store`] on which every
//! write transaction runs, statement after statement, on the calling task's
//! own thread.
//!
//! The pooled SQLite driver hands each statement to a worker thread and
//! waits for its answer: a batch of 64 replies is a few hundred such trips,
//! each two thread wake-ups. Here a transaction is one lock of the writer
//! and then plain calls into SQLite. Nothing inside a write transaction
//! waits on anything but these calls, so a transaction runs from `BEGIN` to
//! `COMMIT` without yielding; the only wait is for the file's write lock,
//! and that wait is asynchronous (`BEGIN IMMEDIATE` is retried on a timer,
//! never by sleeping in SQLite's busy handler), so no runtime thread sleeps
//! while another process writes.
//!
//! Reads outside write transactions stay on the pool, where they run in
//! parallel with each other and with the writer (WAL).
//!
//! Errors come back as the driver errors the rest of the store already
//! classifies ([`sqlx::Error::Database`] carrying SQLite's extended result
//! code), so a locked, read-only or full database reads the same whichever
//! connection met it.

use std::borrow::Cow;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::types::{FromSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};
use sqlx::error::{DatabaseError, ErrorKind};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::db::Arg;
use crate::error::StoreError;

/// Statements the writer keeps prepared: every write statement govwire has,
/// with room to spare.
const STATEMENT_CACHE: usize = 256;

/// The writer's page cache, in KiB (SQLite's negative `cache_size`). The
/// writer is the only connection that writes, so its cache stays valid
/// between transactions.
const CACHE_KIB: i64 = 4 * 1024;

/// How long the checkpointer waits after a commit before copying the log
/// back into the database, gathering the commits of that time into one
/// checkpoint.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// WAL pages after which a commit on the writer itself checkpoints: only
/// when the checkpointer has fallen far behind (readers holding old
/// snapshots for long). SQLite's default is 1,000.
const BACKSTOP_CHECKPOINT_PAGES: u32 = 10_000;

/// The first pause before `BEGIN IMMEDIATE` is tried again while another
/// connection holds the write lock; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(1);
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// The write connection of a SQLite store. Clones share it.
///
/// Commits only append to the write-ahead log; copying the log back into
/// the database (a checkpoint) is done beside the writer by a thread of the
/// store's own, woken by commits, so no commit waits for one and no runtime
/// thread does one.
#[derive(Clone)]
pub(crate) struct Writer {
    conn: Arc<Mutex<Connection>>,
    /// How long a transaction waits for the file's write lock before a
    /// (transient) "database is locked".
    busy_timeout: Duration,
    /// Wakes the checkpointer; it ends when the last writer is dropped.
    checkpoints: SyncSender<()>,
}

impl Writer {
    /// Opens the existing SQLite file at `path` for writing, with the
    /// settings the pool's connections have (foreign keys on, synchronous
    /// NORMAL; WAL is the file's own).
    pub(crate) fn open(path: &Path, busy_timeout: Duration) -> Result<Writer, sqlx::Error> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(driver_error)?;
        // Lock waits happen in `begin`, on a timer.
        conn.busy_timeout(Duration::ZERO).map_err(driver_error)?;
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{CACHE_KIB}; PRAGMA wal_autocheckpoint = {BACKSTOP_CHECKPOINT_PAGES};"
        ))
        .map_err(driver_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let checkpointer = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(driver_error)?;
        // A checkpoint that meets a busy lock gives up at once; the next
        // commit wakes the checkpointer again.
        checkpointer
            .busy_timeout(Duration::ZERO)
            .map_err(driver_error)?;
        let (checkpoints, wake) = sync_channel(1);
        std::thread::Builder::new()
            .name("govwire-checkpoint".into())
            .spawn(move || checkpoint_on_commits(&checkpointer, &wake))
            .map_err(sqlx::Error::Io)?;
        Ok(Writer {
            conn: Arc::new(Mutex::new(conn)),
            busy_timeout,
            checkpoints,
        })
    }

    /// Takes the writer and begins an immediate transaction on it, waiting
    /// (asynchronously) up to the busy timeout while another connection
    /// holds the file's write lock.
    pub(crate) async fn begin(&self) -> Result<DirectTx, StoreError> {
        let conn = self.conn.clone().lock_owned().await;
        let deadline = Instant::now() + self.busy_timeout;
        let mut pause = FIRST_PAUSE;
        loop {
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => {
                    return Ok(DirectTx {
                        conn,
                        open: true,
                        checkpoints: self.checkpoints.clone(),
                    })
                }
                Err(e) if is_busy(&e) && Instant::now() + pause < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(e) => return Err(driver_error(e).into()),
            }
        }
    }
}

/// The checkpointer's loop: after each wake-up (a commit), waits
/// [`CHECKPOINT_EVERY`] for more commits, then copies what the log holds
/// into the database with a passive checkpoint, which never waits for
/// readers or the writer. Ends when every writer is gone.
fn checkpoint_on_commits(conn: &Connection, wake: &Receiver<()>) {
    while wake.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        while wake.try_recv().is_ok() {}
        if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            if !is_busy(&error) {
                tracing::debug!(%error, "A checkpoint of the SQLite log failed; the next commit tries again.");
            }
        }
    }
}

/// Whether SQLite said another connection holds the lock.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A write transaction on the writer. Dropping it without
/// [`DirectTx::commit`] rolls it back.
pub(crate) struct DirectTx {
    conn: OwnedMutexGuard<Connection>,
    open: bool,
    /// Woken after the commit.
    checkpoints: SyncSender<()>,
}

impl DirectTx {
    /// The connection, for the transaction's statements. (`&mut` so that a
    /// future holding it stays `Send`: a connection is not `Sync`.)
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub(crate) fn commit(mut self) -> Result<(), StoreError> {
        self.open = false;
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            // A failed COMMIT may leave the transaction open (SQLITE_BUSY);
            // it must not stay open on the shared connection.
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            return Err(driver_error(e).into());
        }
        // Full means a wake-up is already pending; disconnected cannot
        // happen while a writer lives.
        let _ = self.checkpoints.try_send(());
        Ok(())
    }
}

impl Drop for DirectTx {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            if let Err(error) = self.conn.execute_batch("ROLLBACK") {
                tracing::warn!(%error, "Rolling back a SQLite write transaction failed.");
            }
        }
    }
}

// ---------- statements ----------

/// Runs a statement to its end; returns the number of rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
    for_each_row(conn, sql, args, |_| Ok(()))?;
    Ok(conn.changes())
}

/// Runs a query and reads every row into `T`.
pub(crate) fn fetch_all<T: FromDirect>(
    conn: &Connection,
    sql: &str,
    args: &[Arg],
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for_each_row(conn, sql, args, |row| {
        out.push(T::from_direct(row)?);
        Ok(())
    })?;
    Ok(out)
}

/// Runs a query and reads its first row, if any, into `T`; the statement
/// still runs to its end.
pub(crate) fn fetch_optional<T: FromDirect>(
    conn: &Connection,
    sql: &str,
    args: &[Arg],
) -> Result<Option<T>, StoreError> {
    let mut first = None;
    for_each_row(conn, sql, args, |row| {
        if first.is_none() {
            first = Some(T::from_direct(row)?);
        }
        Ok(())
    })?;
    Ok(first)
}

/// Runs a statement to its end, handing each row it returns to `each`.
fn for_each_row(
    conn: &Connection,
    sql: &str,
    args: &[Arg],
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    let mut stmt = prepare(conn, sql, args)?;
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(driver_error)? {
        each(row).map_err(driver_error)?;
    }
    Ok(())
}

/// The cached statement for `sql` with `args` bound. Placeholders are
/// `$N` (or `?N`), each bound to the N-th argument wherever it appears, as
/// the pool's driver binds them; a bare `?` takes the argument of its
/// position.
fn prepare<'c>(
    conn: &'c Connection,
    sql: &str,
    args: &[Arg],
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(driver_error)?;
    for index in 1..=stmt.parameter_count() {
        let wanted = stmt
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$').or_else(|| name.strip_prefix('?')))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(index);
        let arg = wanted
            .checked_sub(1)
            .and_then(|i| args.get(i))
            .ok_or_else(|| {
                StoreError::Query(sqlx::Error::InvalidArgument(format!(
                    "statement wants argument {wanted} of {}: {sql}",
                    args.len()
                )))
            })?;
        stmt.raw_bind_parameter(index, arg).map_err(driver_error)?;
    }
    Ok(stmt)
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Text(Some(s)) => ValueRef::Text(s.as_bytes()),
            Arg::Int(Some(n)) => ValueRef::Integer(*n),
            Arg::Bytes(b) => ValueRef::Blob(b),
            Arg::Text(None) | Arg::Int(None) => ValueRef::Null,
        }))
    }
}

// ---------- rows ----------

/// A row type read from the writer's rows, beside its `sqlx::FromRow` for
/// the pools': columns by name, as `FromRow` reads them.
pub(crate) trait FromDirect: Sized {
    fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

macro_rules! tuple_from_direct {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> FromDirect for ($($t,)+) {
            fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}
tuple_from_direct!(A 0);
tuple_from_direct!(A 0, B 1);
tuple_from_direct!(A 0, B 1, C 2);
tuple_from_direct!(A 0, B 1, C 2, D 3);

/// Defines a row struct that reads from either backend: it derives
/// `sqlx::FromRow` for the pools' rows and implements [`FromDirect`] for the
/// writer's, each field from the column of its name.
macro_rules! row_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(sqlx::FromRow)]
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty),*
        }

        impl $crate::direct::FromDirect for $name {
            fn from_direct(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                Ok($name {
                    $($field: row.get(stringify!($field))?),*
                })
            }
        }
    };
}
pub(crate) use row_struct;

// ---------- errors ----------

/// A SQLite error from the writer as the driver error the pool's
/// connections would have raised: a database error with SQLite's extended
/// result code, or a decoding error.
pub(crate) fn driver_error(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(e, message) => {
            sqlx::Error::Database(Box::new(DirectDbError {
                code: e.extended_code,
                message: message.unwrap_or_else(|| e.to_string()),
            }))
        }
        other => sqlx::Error::Decode(Box::new(other)),
    }
}

/// SQLite's error as the writer met it.
#[derive(Debug)]
pub(crate) struct DirectDbError {
    /// The extended result code.
    code: i32,
    message: String,
}

impl std::fmt::Display for DirectDbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for DirectDbError {}

impl DatabaseError for DirectDbError {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        // SQLite's extended constraint codes.
        match self.code {
            2067 | 1555 => ErrorKind::UniqueViolation,
            787 => ErrorKind::ForeignKeyViolation,
            1299 => ErrorKind::NotNullViolation,
            275 => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c BLOB)")
            .unwrap();
        (dir, conn)
    }

    #[test]
    fn numbered_placeholders_take_their_own_argument_wherever_they_stand() {
        let (_dir, conn) = scratch();
        let args = crate::db::args!["two", 1_i64, vec![3u8]];
        assert_eq!(
            execute(&conn, "INSERT INTO t (c, b, a) VALUES ($3, $1, $2)", &args).unwrap(),
            1
        );
        let wanted = crate::db::args!["two", 1_i64];
        let row: Option<(i64, String, Vec<u8>)> = fetch_optional(
            &conn,
            "SELECT a, b, c FROM t WHERE b = $1 AND a = $2 AND $2 = 1",
            &wanted,
        )
        .unwrap();
        assert_eq!(row, Some((1, "two".to_string(), vec![3])));
        let one = crate::db::args![1_i64];
        let missing = execute(&conn, "DELETE FROM t WHERE a = $2", &one);
        assert!(missing
            .unwrap_err()
            .to_string()
            .contains("database query failed"));
    }

    #[test]
    fn sqlite_errors_keep_their_extended_codes_and_kinds() {
        let (_dir, conn) = scratch();
        conn.execute_batch("CREATE UNIQUE INDEX t_a ON t (a)")
            .unwrap();
        execute(&conn, "INSERT INTO t (a) VALUES (1)", &[]).unwrap();
        let error = execute(&conn, "INSERT INTO t (a) VALUES (1)", &[]).unwrap_err();
        assert!(
            matches!(error, StoreError::Conflict { .. }),
            "a unique violation is a conflict: {error:?}"
        );
        let StoreError::Query(sqlx::Error::Database(db)) =
            execute(&conn, "INSERT INTO nowhere VALUES (1)", &[]).unwrap_err()
        else {
            panic!("not a database error");
        };
        assert_eq!(db.code().as_deref(), Some("1"));
        assert!(db.message().contains("no such table"), "{}", db.message());
    }
}
