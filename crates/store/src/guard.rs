//! The guards a daemon keeps around its store: it can be written (checked
//! once at start-up, by a real write), and, on SQLite, it is still the file
//! that was opened (looked at every few seconds by the caller, through a
//! [`FileWatch`]). A store that fails either is refused with an error that
//! names it and says why, instead of being used until every write fails or,
//! worse, until a restart creates an empty one in its place.

use std::path::{Path, PathBuf};

use chrono::Utc;
use tracing::warn;

use crate::db::{args, ts};
use crate::error::{is_postgres, RedactedCause, StoreError};
use crate::Store;

impl Store {
    /// Writes this daemon's row of `write_checks` (`holder` is its name) in
    /// one transaction and commits it: the write a daemon makes before it
    /// takes any work. A failure is [`StoreError::NotWritable`], naming the
    /// SQLite file (or the redacted PostgreSQL URL) and the reason in words:
    /// a read-only file or directory, a full disk, a lock held elsewhere, a
    /// server that accepts only reads.
    pub async fn check_writable(&self, holder: &str) -> Result<(), StoreError> {
        self.write_check_row(holder.to_string())
            .await
            .map_err(|error| {
                let location = match &self.place.file {
                    Some(file) => file.path().display().to_string(),
                    None => self.place.redacted_url.clone(),
                };
                let error = StoreError::NotWritable {
                    location,
                    reason: why_not_writable(&error).to_string(),
                    source: RedactedCause::new(&error, ""),
                };
                warn!(%error, holder, "The store cannot be written.");
                error
            })
    }

    /// Writes `holder`'s row of `write_checks` and commits.
    async fn write_check_row(&self, holder: String) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_write().await?;
        tx.exec()
            .execute(
                "INSERT INTO write_checks (holder, checked_at) VALUES ($1, $2) \
                 ON CONFLICT (holder) DO UPDATE SET checked_at = excluded.checked_at",
                args![holder, ts(Utc::now())],
            )
            .await?;
        tx.commit().await
    }

    /// The SQLite file this store opened, with its identity at the time, to
    /// check later that it is still there ([`FileWatch::check`]); `None` on
    /// PostgreSQL.
    pub fn file_watch(&self) -> Option<FileWatch> {
        self.place.file.clone()
    }
}

/// The reason a write failed, in an operator's words, from the driver's
/// error code.
fn why_not_writable(error: &StoreError) -> &'static str {
    match error {
        StoreError::Query(e) => why_sqlx_cannot_write(e).unwrap_or("the write failed"),
        _ => "the write failed",
    }
}

/// Why a driver error means the store cannot be written, when it does.
pub(crate) fn why_sqlx_cannot_write(error: &sqlx::Error) -> Option<&'static str> {
    let (code, postgres) = match error {
        sqlx::Error::Database(db) => (db.code()?.into_owned(), is_postgres(db.as_ref())),
        sqlx::Error::PoolTimedOut => {
            return Some(
                "the store did not hand out a connection in time (held by another process?)",
            )
        }
        sqlx::Error::Io(_) => return Some("an I/O error"),
        _ => return None,
    };
    // SQLite: extended result codes; the primary code is the low byte.
    // (PostgreSQL's SQLSTATEs are often all digits too: ask the driver.)
    if let Some(n) = code.parse::<i64>().ok().filter(|_| !postgres) {
        return match (n & 0xff, n >> 8) {
            (8, 3) => Some("the file was moved or deleted"),
            (8, 6) => Some("its directory is read-only"),
            (8, _) => Some("the file (or its directory) is read-only"),
            (13, _) => Some("the disk is full"),
            (5 | 6, _) => Some("the database is locked by another process"),
            (14, _) => Some(
                "the file, or its write-ahead log beside it, cannot be opened for writing; \
                 is the directory writable?",
            ),
            (10, _) => Some("an I/O error (a full, read-only or failing file system?)"),
            (23, _) => Some("the write was not authorised"),
            _ => None,
        };
    }
    match code.as_str() {
        "25006" => {
            Some("the server accepts only reads (a standby, or default_transaction_read_only)")
        }
        "42501" => Some("this role may not write to it"),
        "53100" => Some("the server's disk is full"),
        "55P03" | "40P01" => Some("a lock is held elsewhere"),
        _ => None,
    }
}

/// A SQLite file as it was when the store opened it: its path, device and
/// inode. A store that keeps writing to a file that was deleted (or renamed
/// away and replaced) writes into nothing anyone will read again; this is
/// how a daemon notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWatch {
    /// The file's path as the URL named it.
    path: PathBuf,
    /// Device and inode when opened (0, 0 where the platform has none).
    identity: (u64, u64),
}

impl FileWatch {
    /// The identity of the file at `path` now.
    pub(crate) fn of(path: &Path) -> std::io::Result<FileWatch> {
        Ok(FileWatch {
            path: path.to_path_buf(),
            identity: identity(&std::fs::metadata(path)?),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Looks at the path again: `Ok` while it is the same file;
    /// [`StoreError::FileLost`] when it is gone (the file or its directory
    /// deleted), replaced by another file, or cannot be looked at.
    pub fn check(&self) -> Result<(), StoreError> {
        let lost = |what: String| StoreError::FileLost {
            path: self.path.clone(),
            what,
        };
        match std::fs::metadata(&self.path) {
            Ok(meta) if identity(&meta) == self.identity => Ok(()),
            Ok(_) => Err(lost("was replaced by another file".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(lost("was deleted (or its directory was)".into()))
            }
            Err(e) => Err(lost(format!("can no longer be looked at ({e})"))),
        }
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt as _;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_watch_tells_a_deleted_or_replaced_file_from_the_same_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("govwire.db");
        std::fs::write(&path, b"one").unwrap();
        let watch = FileWatch::of(&path).unwrap();
        std::fs::write(&path, b"written in place").unwrap();
        watch.check().unwrap();

        let moved = dir.path().join("old.db");
        std::fs::rename(&path, &moved).unwrap();
        let error = watch.check().unwrap_err();
        assert!(error.to_string().contains("was deleted"), "{error}");

        std::fs::write(&path, b"another").unwrap();
        let error = watch.check().unwrap_err();
        assert!(error.to_string().contains("replaced"), "{error}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
