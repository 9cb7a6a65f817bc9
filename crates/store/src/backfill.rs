//! Backfill cursors: how far a walk of a section's whole history has got,
//! so an interrupted backfill resumes where it stopped instead of starting
//! over (and pressing the portal again for pages already handled).

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{args, date_opt, narrow, parse_date_opt, parse_ts, parse_ts_opt, ts, ts_opt};
use crate::{Store, StoreError};

/// Where one backfill (a section over a date range) has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackfillCursor {
    /// Portal short id.
    pub portal: String,
    /// Section id.
    pub section: String,
    /// Earliest publication date wanted; `None` for no lower bound. Part of
    /// the cursor's key: another range is another backfill.
    pub since: Option<NaiveDate>,
    /// Latest publication date wanted; `None` for no upper bound. Part of
    /// the key.
    pub until: Option<NaiveDate>,
    /// The first list page not yet completely handled; a resumed backfill
    /// starts here (or one page earlier, to cover items that moved).
    pub next_page: u32,
    /// List entries in the range seen so far.
    pub items_seen: u64,
    /// Entries not known before, fetched so far.
    pub new_items: u64,
    /// When this backfill first started.
    pub started_at: DateTime<Utc>,
    /// When the cursor last moved.
    pub updated_at: DateTime<Utc>,
    /// When the list ended; a completed backfill does nothing when run
    /// again with the same range.
    pub completed_at: Option<DateTime<Utc>>,
}

crate::direct::row_struct! {
    /// A row of `backfill_cursors`, as stored.
    struct CursorRow {
        portal: String,
        section: String,
        since_date: String,
        until_date: String,
        next_page: i64,
        items_seen: i64,
        new_items: i64,
        started_at: String,
        updated_at: String,
        completed_at: Option<String>,
    }
}

/// An open range bound as stored: `''`, so it can be part of the key.
fn bound(date: Option<NaiveDate>) -> String {
    date_opt(date).unwrap_or_default()
}

impl CursorRow {
    fn into_cursor(self) -> Result<BackfillCursor, StoreError> {
        let what = format!("backfill cursor {}/{}", self.portal, self.section);
        let read_bound = |text: &str| parse_date_opt(Some(text).filter(|t| !t.is_empty()), &what);
        Ok(BackfillCursor {
            since: read_bound(&self.since_date)?,
            until: read_bound(&self.until_date)?,
            next_page: narrow(self.next_page, &what)?,
            items_seen: narrow(self.items_seen, &what)?,
            new_items: narrow(self.new_items, &what)?,
            started_at: parse_ts(&self.started_at, &what)?,
            updated_at: parse_ts(&self.updated_at, &what)?,
            completed_at: parse_ts_opt(self.completed_at.as_deref(), &what)?,
            portal: self.portal,
            section: self.section,
        })
    }
}

impl Store {
    /// The cursor of the backfill of `section` over `since..=until`, if one
    /// was started.
    pub async fn backfill_cursor(
        &self,
        portal: &str,
        section: &str,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
    ) -> Result<Option<BackfillCursor>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<CursorRow> = conn
            .exec()
            .fetch_optional(
                "SELECT portal, section, since_date, until_date, next_page, items_seen, \
                 new_items, started_at, updated_at, completed_at FROM backfill_cursors \
                 WHERE portal = $1 AND section = $2 AND since_date = $3 AND until_date = $4",
                args![portal, section, bound(since), bound(until)],
            )
            .await?;
        row.map(CursorRow::into_cursor).transpose()
    }

    /// Stores a backfill cursor, replacing the one with the same key
    /// (`started_at` of a stored cursor is kept).
    pub async fn save_backfill_cursor(&self, cursor: &BackfillCursor) -> Result<(), StoreError> {
        if cursor.next_page == 0 {
            return Err(crate::db::invalid(format!(
                "backfill cursor {}/{}: pages count from 1",
                cursor.portal, cursor.section
            )));
        }
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.pool
            .execute_one(
                "INSERT INTO backfill_cursors (portal, section, since_date, until_date, \
                 next_page, items_seen, new_items, started_at, updated_at, completed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 ON CONFLICT (portal, section, since_date, until_date) DO UPDATE SET \
                 next_page = excluded.next_page, items_seen = excluded.items_seen, \
                 new_items = excluded.new_items, updated_at = excluded.updated_at, \
                 completed_at = excluded.completed_at",
                args![
                    &cursor.portal,
                    &cursor.section,
                    bound(cursor.since),
                    bound(cursor.until),
                    i64::from(cursor.next_page),
                    to_i64(cursor.items_seen),
                    to_i64(cursor.new_items),
                    ts(cursor.started_at),
                    ts(cursor.updated_at),
                    ts_opt(cursor.completed_at),
                ],
            )
            .await?;
        Ok(())
    }
}
