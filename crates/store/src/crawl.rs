//! Crawler state: HTTP validators of list URLs, and the detail pages the
//! crawler knows with their revisit schedule.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::db::{self, args, narrow, parse_date_opt, parse_ts, parse_ts_opt, ts, ts_opt};
use crate::{CrawlItem, Store, StoreError, Validators};

/// How many item ids one `IN (…)` list holds: far below SQLite's limit on
/// bound parameters, and a sane statement size for PostgreSQL.
const IN_LIST_CHUNK: usize = 500;

const CRAWL_ITEM_COLUMNS: &str = "portal, section, item_id, url, title, published_on, etag, \
     last_modified, body_sha256, first_seen_at, last_fetched_at, last_changed_at, \
     next_visit_at, last_status, consecutive_missing";

crate::direct::row_struct! {
    /// A row of `http_validators`, as stored.
    struct ValidatorsRow {
        etag: Option<String>,
        last_modified: Option<String>,
    }
}

crate::direct::row_struct! {
    /// A row of `crawl_items`, as stored (instants and dates as text).
    struct CrawlItemRow {
        portal: String,
        section: String,
        item_id: String,
        url: String,
        title: Option<String>,
        published_on: Option<String>,
        etag: Option<String>,
        last_modified: Option<String>,
        body_sha256: Option<String>,
        first_seen_at: String,
        last_fetched_at: Option<String>,
        last_changed_at: Option<String>,
        next_visit_at: Option<String>,
        last_status: Option<i64>,
        consecutive_missing: i64,
    }
}

impl CrawlItemRow {
    fn into_item(self) -> Result<CrawlItem, StoreError> {
        let what = format!("crawl item {}/{}", self.portal, self.item_id);
        Ok(CrawlItem {
            published_on: parse_date_opt(self.published_on.as_deref(), &what)?,
            first_seen_at: parse_ts(&self.first_seen_at, &what)?,
            last_fetched_at: parse_ts_opt(self.last_fetched_at.as_deref(), &what)?,
            last_changed_at: parse_ts_opt(self.last_changed_at.as_deref(), &what)?,
            next_visit_at: parse_ts_opt(self.next_visit_at.as_deref(), &what)?,
            last_status: self
                .last_status
                .map(|s| narrow::<u16>(s, &what))
                .transpose()?,
            consecutive_missing: narrow(self.consecutive_missing, &what)?,
            portal: self.portal,
            section: self.section,
            item_id: self.item_id,
            url: self.url,
            title: self.title,
            etag: self.etag,
            last_modified: self.last_modified,
            body_sha256: self.body_sha256,
        })
    }
}

impl Store {
    /// The validators last stored for `url`, if any.
    pub async fn http_validators(&self, url: &str) -> Result<Option<Validators>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<ValidatorsRow> = conn
            .exec()
            .fetch_optional(
                "SELECT etag, last_modified FROM http_validators WHERE url = $1",
                args![url],
            )
            .await?;
        Ok(row.map(|r| Validators {
            etag: r.etag,
            last_modified: r.last_modified,
        }))
    }

    /// Stores the validators of `url`, replacing earlier ones.
    pub async fn set_http_validators(&self, url: &str, v: &Validators) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                "INSERT INTO http_validators (url, etag, last_modified, updated_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, \
                 last_modified = excluded.last_modified, updated_at = excluded.updated_at",
                args![url, &v.etag, &v.last_modified, ts(Utc::now())],
            )
            .await?;
        Ok(())
    }

    /// The crawler's record of one item, if known.
    pub async fn crawl_item(
        &self,
        portal: &str,
        item_id: &str,
    ) -> Result<Option<CrawlItem>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<CrawlItemRow> = conn
            .exec()
            .fetch_optional(
                &format!(
                    "SELECT {CRAWL_ITEM_COLUMNS} FROM crawl_items \
                     WHERE portal = $1 AND item_id = $2"
                ),
                args![portal, item_id],
            )
            .await?;
        row.map(CrawlItemRow::into_item).transpose()
    }

    /// Which of `item_ids` are already known for this portal.
    pub async fn known_items(
        &self,
        portal: &str,
        item_ids: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut known = HashSet::new();
        if item_ids.is_empty() {
            return Ok(known);
        }
        let mut conn = self.pool.acquire().await?;
        for chunk in item_ids.chunks(IN_LIST_CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT item_id FROM crawl_items WHERE portal = $1 AND item_id IN ({})",
                placeholders.join(", ")
            );
            let mut bind = args![portal];
            bind.extend(chunk.iter().map(db::Arg::from));
            let rows: Vec<(String,)> = conn.exec().fetch_all(&sql, bind).await?;
            known.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(known)
    }

    /// Inserts or replaces the crawler's record of an item. `first_seen_at`
    /// of an item already stored is kept: it records the first sighting.
    pub async fn upsert_crawl_item(&self, item: &CrawlItem) -> Result<(), StoreError> {
        self.pool
            .execute_one(
                &format!(
                    "INSERT INTO crawl_items ({CRAWL_ITEM_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (portal, item_id) DO UPDATE SET \
                     section = excluded.section, url = excluded.url, title = excluded.title, \
                     published_on = excluded.published_on, etag = excluded.etag, \
                     last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256, \
                     last_fetched_at = excluded.last_fetched_at, \
                     last_changed_at = excluded.last_changed_at, \
                     next_visit_at = excluded.next_visit_at, last_status = excluded.last_status, \
                     consecutive_missing = excluded.consecutive_missing"
                ),
                args![
                    &item.portal,
                    &item.section,
                    &item.item_id,
                    &item.url,
                    &item.title,
                    db::date_opt(item.published_on),
                    &item.etag,
                    &item.last_modified,
                    &item.body_sha256,
                    ts(item.first_seen_at),
                    ts_opt(item.last_fetched_at),
                    ts_opt(item.last_changed_at),
                    ts_opt(item.next_visit_at),
                    item.last_status.map(i64::from),
                    i64::from(item.consecutive_missing),
                ],
            )
            .await?;
        Ok(())
    }

    /// Known items of a portal whose next_visit_at <= now, oldest first, at
    /// most `limit` (for revisits). Items without a `next_visit_at` are never
    /// due.
    pub async fn items_due(
        &self,
        portal: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<CrawlItem>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<CrawlItemRow> = conn
            .exec()
            .fetch_all(
                &format!(
                    "SELECT {CRAWL_ITEM_COLUMNS} FROM crawl_items \
                     WHERE portal = $1 AND next_visit_at IS NOT NULL AND next_visit_at <= $2 \
                     ORDER BY next_visit_at, item_id LIMIT $3"
                ),
                args![portal, ts(now), i64::from(limit)],
            )
            .await?;
        rows.into_iter().map(CrawlItemRow::into_item).collect()
    }
}
