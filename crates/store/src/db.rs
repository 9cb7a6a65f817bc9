//! The thin layer that lets one body of SQL serve both backends: bind
//! arguments, an executor over either connection type, transactions, and the
//! text encodings of instants and dates.
//!
//! Every statement in this crate is written once, with `$1`-style
//! placeholders (SQLite accepts them too), and runs unchanged on SQLite and
//! PostgreSQL. Rows are read into structs defined with
//! [`crate::direct::row_struct!`], which decode from either pool's rows
//! (`sqlx::FromRow`) and from the SQLite writer's ([`FromDirect`],
//! [`crate::direct`]): on SQLite, write transactions run on the store's
//! writer connection, everything else on the pool.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::direct::{DirectTx, FromDirect, Writer};
use crate::error::StoreError;
use crate::types::Backend;

/// The pool behind a [`crate::Store`].
#[derive(Clone)]
pub(crate) enum Pool {
    /// An SQLite file: the pool for reads and single statements, the writer
    /// for write transactions.
    Sqlite {
        /// Reads, in parallel under WAL.
        pool: SqlitePool,
        /// Write transactions, one at a time.
        writer: Writer,
    },
    /// A PostgreSQL database.
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite { .. } => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// A pooled connection for statements outside a transaction.
    pub(crate) async fn acquire(&self) -> Result<Conn, StoreError> {
        Ok(match self {
            Pool::Sqlite { pool, .. } => Conn::Sqlite(pool.acquire().await?),
            Pool::Postgres(p) => Conn::Postgres(p.acquire().await?),
        })
    }

    /// A transaction that will write after reading. On SQLite it runs on
    /// the writer and starts with `BEGIN IMMEDIATE`, taking the write lock
    /// up front: a deferred transaction that reads and then writes can fail
    /// with `SQLITE_BUSY` when another connection wrote in between, and no
    /// wait can help it. On PostgreSQL a plain `BEGIN` (READ COMMITTED);
    /// callers lock what they need.
    ///
    /// On SQLite nothing but the transaction's own statements may be awaited
    /// between this and the commit: the writer is held meanwhile.
    pub(crate) async fn begin_write(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite { writer, .. } => Tx::Direct(writer.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Runs one writing statement in a transaction of its own (on SQLite, on
    /// the writer, as every write); returns the number of rows it changed.
    pub(crate) async fn execute_one(&self, sql: &str, args: Vec<Arg>) -> Result<u64, StoreError> {
        match self {
            Pool::Sqlite { writer, .. } => {
                let mut tx = writer.begin().await?;
                let changed = crate::direct::execute(tx.conn_mut(), sql, &args)?;
                tx.commit()?;
                Ok(changed)
            }
            Pool::Postgres(_) => self.acquire().await?.exec().execute(sql, args).await,
        }
    }

    /// A transaction that only reads: one snapshot for several queries
    /// (a deferred `BEGIN` on SQLite, which takes no write lock; `BEGIN` on
    /// PostgreSQL, where `SET LOCAL` settings end with it).
    pub(crate) async fn begin_read(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Pool::Sqlite { pool, .. } => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite { pool, .. } => pool.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A pooled connection of either backend.
pub(crate) enum Conn {
    /// From the SQLite pool.
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    /// From the PostgreSQL pool.
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl Conn {
    pub(crate) fn exec(&mut self) -> Exec<'_> {
        match self {
            Conn::Sqlite(c) => Exec::Sqlite(c),
            Conn::Postgres(c) => Exec::Postgres(c),
        }
    }
}

/// An open transaction of either backend. Dropping it without
/// [`Tx::commit`] rolls it back.
pub(crate) enum Tx {
    /// A pooled SQLite connection's, begun with `BEGIN` (reads).
    Sqlite(Transaction<'static, Sqlite>),
    /// The SQLite writer's, begun with `BEGIN IMMEDIATE`.
    Direct(DirectTx),
    /// Begun with `BEGIN` (READ COMMITTED).
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(t) => Exec::Sqlite(t),
            Tx::Direct(t) => Exec::Direct(t.conn_mut()),
            Tx::Postgres(t) => Exec::Postgres(t),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Direct(t) => t.commit()?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A borrowed connection of either backend, on which statements run.
pub(crate) enum Exec<'a> {
    /// A pooled or transaction's SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// The SQLite writer, inside its transaction.
    Direct(&'a mut rusqlite::Connection),
    /// A pooled or transaction's PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

/// A bind argument. Only the three shapes the schema uses: text (also
/// instants, dates and JSON), 64-bit integers, and bytes.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// TEXT, or NULL.
    Text(Option<String>),
    /// INTEGER / BIGINT, or NULL.
    Int(Option<i64>),
    /// BLOB / BYTEA.
    Bytes(Vec<u8>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

/// Builds a `Vec<Arg>` from values convertible into [`Arg`].
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        vec![$($crate::db::Arg::from($value)),*]
    };
}
pub(crate) use args;

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg {
                Arg::Text(v) => q.bind(v),
                Arg::Int(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Exec<'_> {
    /// Runs a statement; returns the number of rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, StoreError> {
        Ok(match self {
            Exec::Sqlite(c) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **c)
                .await?
                .rows_affected(),
            Exec::Direct(c) => crate::direct::execute(c, sql, &args)?,
            Exec::Postgres(c) => bind_all!(sqlx::query(sql), args)
                .execute(&mut **c)
                .await?
                .rows_affected(),
        })
    }

    /// Runs a query and reads every row into `T`.
    pub(crate) async fn fetch_all<T>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + FromDirect + Send + Unpin,
    {
        Ok(match self {
            Exec::Sqlite(c) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(&mut **c)
                    .await?
            }
            Exec::Direct(c) => crate::direct::fetch_all(c, sql, &args)?,
            Exec::Postgres(c) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_all(&mut **c)
                    .await?
            }
        })
    }

    /// Runs a query and reads its first row, if any, into `T`.
    pub(crate) async fn fetch_optional<T>(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<T>, StoreError>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + FromDirect + Send + Unpin,
    {
        Ok(match self {
            Exec::Sqlite(c) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_optional(&mut **c)
                    .await?
            }
            Exec::Direct(c) => crate::direct::fetch_optional(c, sql, &args)?,
            Exec::Postgres(c) => {
                bind_all!(sqlx::query_as::<_, T>(sql), args)
                    .fetch_optional(&mut **c)
                    .await?
            }
        })
    }

    /// Runs a query that returns exactly one row.
    pub(crate) async fn fetch_one<T>(&mut self, sql: &str, args: Vec<Arg>) -> Result<T, StoreError>
    where
        T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + FromDirect + Send + Unpin,
    {
        self.fetch_optional(sql, args)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("query returned no row: {sql}")))
    }
}

// ---------- encodings ----------

/// An instant as stored: RFC 3339, UTC, nine fractional digits, `Z`. Fixed
/// width, so text order is time order on both backends.
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// An optional instant as stored.
pub(crate) fn ts_opt(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(ts)
}

/// Reads back an instant written by [`ts`].
pub(crate) fn parse_ts(text: &str, what: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("{what}: bad instant {text:?}: {e}")))
}

/// Reads back an optional instant.
pub(crate) fn parse_ts_opt(
    text: Option<&str>,
    what: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| parse_ts(t, what)).transpose()
}

/// A date as stored: `YYYY-MM-DD`.
pub(crate) fn date_opt(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Reads back a date written by [`date_opt`].
pub(crate) fn parse_date_opt(
    text: Option<&str>,
    what: &str,
) -> Result<Option<NaiveDate>, StoreError> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|e| corrupt(format!("{what}: bad date {t:?}: {e}")))
    })
    .transpose()
}

/// A stored integer that must fit a narrower unsigned type.
pub(crate) fn narrow<T: TryFrom<i64>>(value: i64, what: &str) -> Result<T, StoreError> {
    T::try_from(value).map_err(|_| corrupt(format!("{what}: {value} is out of range")))
}

/// A [`StoreError::Corrupt`], logged where it is raised.
pub(crate) fn corrupt(message: String) -> StoreError {
    tracing::warn!(%message, "Stored row cannot be read back.");
    StoreError::Corrupt(message)
}

/// A [`StoreError::Invalid`], logged where it is raised.
pub(crate) fn invalid(message: String) -> StoreError {
    tracing::warn!(%message, "Refused a request the store cannot record.");
    StoreError::Invalid(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_instants_are_fixed_width_and_sort_as_time() {
        let a = Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap();
        let b = a + chrono::Duration::nanoseconds(1_500);
        let c = a + chrono::Duration::milliseconds(500);
        let (ta, tb, tc) = (ts(a), ts(b), ts(c));
        assert_eq!(ta, "2026-07-07T08:00:00.000000000Z");
        assert_eq!(ta.len(), tb.len());
        assert!(ta < tb && tb < tc);
        assert_eq!(parse_ts(&tb, "t").unwrap(), b);
    }
}
