//! Progress that must survive a stop: how far the regular walk of a
//! section's list pages has got, and which handed-on pages still await the
//! notifier's decision.
//!
//! Both exist so that no reply is lost to an interruption. A walk that was
//! stopped half-way (SIGTERM, a crash, a lost lease, a failed list page)
//! leaves its row incomplete, and the next poll walks past the pages of
//! known items at the top of the list until it is beyond where the stopped
//! walk had got. A page handed to the pipeline leaves a hand-over row until
//! the notifier has decided it, in the same transaction as the decision; a
//! revisit of an item whose hand-over is still open fetches the page
//! unconditionally and hands it on again.

use chrono::{DateTime, Utc};

use crate::db::{args, narrow, parse_ts, parse_ts_opt, ts, Exec};
use crate::{Store, StoreError};

/// The regular walk of one section, as far as it has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkProgress {
    /// Portal short id.
    pub portal: String,
    /// Section id.
    pub section: String,
    /// When the walk (or the first of the interrupted walks it continues)
    /// started.
    pub started_at: DateTime<Utc>,
    /// The furthest list page completely handled by the walk, or by the
    /// interrupted walks before it.
    pub pages_done: u32,
    /// When the walk last moved.
    pub updated_at: DateTime<Utc>,
    /// When the walk ended with the list (or with a page of known items
    /// beyond `pages_done`); `None` while it is running or after it was
    /// interrupted.
    pub completed_at: Option<DateTime<Utc>>,
}

impl WalkProgress {
    /// The list page the next walk must reach before a page of known items
    /// may end it: 0 after a completed walk (no constraint), else the first
    /// page the interrupted walk had not completely handled.
    pub fn must_reach(&self) -> u32 {
        if self.completed_at.is_some() {
            0
        } else {
            self.pages_done.saturating_add(1)
        }
    }
}

crate::direct::row_struct! {
    /// A row of `crawl_walks`, as stored.
    struct WalkRow {
        portal: String,
        section: String,
        started_at: String,
        pages_done: i64,
        updated_at: String,
        completed_at: Option<String>,
    }
}

impl WalkRow {
    fn into_progress(self) -> Result<WalkProgress, StoreError> {
        let what = format!("walk {}/{}", self.portal, self.section);
        Ok(WalkProgress {
            started_at: parse_ts(&self.started_at, &what)?,
            pages_done: narrow(self.pages_done, &what)?,
            updated_at: parse_ts(&self.updated_at, &what)?,
            completed_at: parse_ts_opt(self.completed_at.as_deref(), &what)?,
            portal: self.portal,
            section: self.section,
        })
    }
}

impl Store {
    /// How far the regular walk of `section` has got; `None` before its
    /// first walk.
    pub async fn walk_progress(
        &self,
        portal: &str,
        section: &str,
    ) -> Result<Option<WalkProgress>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<WalkRow> = conn
            .exec()
            .fetch_optional(
                "SELECT portal, section, started_at, pages_done, updated_at, completed_at \
                 FROM crawl_walks WHERE portal = $1 AND section = $2",
                args![portal, section],
            )
            .await?;
        row.map(WalkRow::into_progress).transpose()
    }

    /// Records that a walk of `section` starts at `now`. After a completed
    /// walk this begins afresh (`pages_done` 0); after an interrupted one the
    /// row is kept as it is, so the furthest page reached is not forgotten
    /// if this walk is interrupted earlier than the last.
    pub async fn start_walk(
        &self,
        portal: &str,
        section: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                "INSERT INTO crawl_walks (portal, section, started_at, pages_done, updated_at) \
                 VALUES ($1, $2, $3, 0, $3) \
                 ON CONFLICT (portal, section) DO UPDATE SET \
                 started_at = CASE WHEN crawl_walks.completed_at IS NULL \
                     THEN crawl_walks.started_at ELSE excluded.started_at END, \
                 pages_done = CASE WHEN crawl_walks.completed_at IS NULL \
                     THEN crawl_walks.pages_done ELSE 0 END, \
                 updated_at = excluded.updated_at, completed_at = NULL",
                args![portal, section, ts(now)],
            )
            .await?;
        Ok(())
    }

    /// Records that list page `page` of the running walk was completely
    /// handled (every new item on it fetched and recorded). Never moves the
    /// furthest page back.
    pub async fn walk_page_done(
        &self,
        portal: &str,
        section: &str,
        page: u32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                "UPDATE crawl_walks SET \
                 pages_done = CASE WHEN pages_done < $3 THEN $3 ELSE pages_done END, \
                 updated_at = $4 WHERE portal = $1 AND section = $2",
                args![portal, section, i64::from(page), ts(now)],
            )
            .await?;
        Ok(())
    }

    /// Records that the running walk of `section` reached the end of what
    /// it had to walk.
    pub async fn complete_walk(
        &self,
        portal: &str,
        section: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                "UPDATE crawl_walks SET completed_at = $3, updated_at = $3 \
                 WHERE portal = $1 AND section = $2",
                args![portal, section, ts(now)],
            )
            .await?;
        Ok(())
    }

    /// Records that the crawler is handing on the page of `item_id` whose
    /// bytes hash to `page_sha256`; called before the page is published, so
    /// a page the notifier decides is always one recorded here first.
    /// Replaces an earlier open hand-over of the same item.
    pub async fn record_handover(
        &self,
        portal: &str,
        item_id: &str,
        page_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                "INSERT INTO handovers (portal, item_id, page_sha256, handed_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (portal, item_id) DO UPDATE SET \
                 page_sha256 = excluded.page_sha256, handed_at = excluded.handed_at",
                args![portal, item_id, page_sha256, ts(now)],
            )
            .await?;
        Ok(())
    }

    /// The hash of the page handed on for `item_id` and not yet decided by
    /// the notifier, if any.
    pub async fn open_handover(
        &self,
        portal: &str,
        item_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String,)> = conn
            .exec()
            .fetch_optional(
                "SELECT page_sha256 FROM handovers WHERE portal = $1 AND item_id = $2",
                args![portal, item_id],
            )
            .await?;
        Ok(row.map(|(sha,)| sha))
    }

    /// Closes the hand-over of `item_id` if it is for the page whose bytes
    /// hash to `page_sha256` (a newer hand-over of the same item stays
    /// open). For pages the notifier decides without a reply decision (not a
    /// reply); [`Store::apply_reply`] closes it in its own transaction.
    pub async fn close_handover(
        &self,
        portal: &str,
        item_id: &str,
        page_sha256: &str,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        close_handover_in(&mut conn.exec(), portal, item_id, page_sha256).await
    }
}

/// Deletes the hand-over row of one page inside a caller's transaction.
pub(crate) async fn close_handover_in(
    exec: &mut Exec<'_>,
    portal: &str,
    item_id: &str,
    page_sha256: &str,
) -> Result<(), StoreError> {
    exec.execute(
        "DELETE FROM handovers WHERE portal = $1 AND item_id = $2 AND page_sha256 = $3",
        args![portal, item_id, page_sha256],
    )
    .await?;
    Ok(())
}
