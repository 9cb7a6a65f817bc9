//! Section leases: several crawler instances on one database share a
//! portal's sections, each section polled by one instance at a time and once
//! per interval whichever instance polls it.
//!
//! A lease row per (portal, section) holds the current holder, when its
//! hold expires, and when the section is next due. Taking a lease is one
//! conditional upsert (due, and free or expired or already ours), so two
//! instances can never both hold it; renewing and releasing only touch a
//! row the caller still holds. An instance that dies stops renewing, and its
//! lease is free again once it expires.

use chrono::{DateTime, Utc};

use crate::db::{args, parse_ts_opt, ts, ts_opt};
use crate::{Store, StoreError};

/// The lease name of a portal's revisit rounds, beside its sections: one
/// instance at a time revisits a portal's known items. The `@` keeps it
/// apart from section ids, which name list sources.
pub const REVISITS_LEASE: &str = "@revisits";

/// A section's lease and schedule, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionLease {
    /// Portal short id.
    pub portal: String,
    /// Section id (or [`REVISITS_LEASE`]).
    pub section: String,
    /// The instance holding the lease; `None` once released.
    pub holder: Option<String>,
    /// When the hold ends unless renewed; the lease is free from then on.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the section is next due for a poll; `None` means now.
    pub next_poll_at: Option<DateTime<Utc>>,
}

crate::direct::row_struct! {
    /// A row of `crawl_leases`, as stored.
    struct LeaseRow {
        portal: String,
        section: String,
        holder: Option<String>,
        expires_at: Option<String>,
        next_poll_at: Option<String>,
    }
}

impl LeaseRow {
    fn into_lease(self) -> Result<SectionLease, StoreError> {
        let what = format!("lease {}/{}", self.portal, self.section);
        Ok(SectionLease {
            expires_at: parse_ts_opt(self.expires_at.as_deref(), &what)?,
            next_poll_at: parse_ts_opt(self.next_poll_at.as_deref(), &what)?,
            portal: self.portal,
            section: self.section,
            holder: self.holder,
        })
    }
}

/// The condition under which a lease is free for `$3` at `$5`: never held,
/// released, expired, or already `$3`'s.
macro_rules! lease_free {
    () => {
        "crawl_leases.holder IS NULL OR crawl_leases.expires_at IS NULL \
         OR crawl_leases.expires_at <= $5 OR crawl_leases.holder = $3"
    };
}

/// The statement taking a section's lease (`$1` portal, `$2` section, `$3`
/// holder, `$4` until, `$5` now) when the existing row meets `$condition`.
macro_rules! take_lease_sql {
    ($condition:expr) => {
        concat!(
            "INSERT INTO crawl_leases \
             (portal, section, holder, expires_at, next_poll_at, updated_at) \
             VALUES ($1, $2, $3, $4, NULL, $5) \
             ON CONFLICT (portal, section) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at, updated_at = excluded.updated_at \
             WHERE ",
            $condition
        )
    };
}

impl Store {
    /// Takes the lease of `section` for `holder` until `until`, if the
    /// section is due at `now` (never scheduled, or its next poll is not
    /// after `now`) and the lease is free (never held, released, expired, or
    /// already `holder`'s). Returns whether `holder` now holds it. Atomic:
    /// of several instances claiming at once, at most one gets `true`.
    pub async fn claim_section(
        &self,
        portal: &str,
        section: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = take_lease_sql!(concat!(
            "(crawl_leases.next_poll_at IS NULL OR crawl_leases.next_poll_at <= $5) AND (",
            lease_free!(),
            ")"
        ));
        self.take_lease(sql, portal, section, holder, now, until)
            .await
    }

    /// Takes the lease of `section` for `holder` until `until` whether or
    /// not the section is due, if the lease is free (never held, released,
    /// expired, or already `holder`'s); the schedule is left as it is.
    /// For work that must not run beside a poll of the section but is not
    /// part of its schedule (a backfill). Returns whether `holder` now holds
    /// it; atomic like [`Store::claim_section`].
    pub async fn hold_section(
        &self,
        portal: &str,
        section: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let sql = take_lease_sql!(lease_free!());
        self.take_lease(sql, portal, section, holder, now, until)
            .await
    }

    /// Runs one of the lease-taking statements ([`take_lease_sql!`]) with
    /// its arguments; whether the row was written, i.e. `holder` holds it.
    async fn take_lease(
        &self,
        sql: &'static str,
        portal: &str,
        section: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(sql, args![portal, section, holder, ts(until), ts(now)])
            .await?;
        Ok(changed == 1)
    }

    /// Gives back a lease `holder` holds without touching the section's
    /// schedule (the counterpart of [`Store::hold_section`]). Returns
    /// `false` when `holder` no longer held it.
    pub async fn unhold_section(
        &self,
        portal: &str,
        section: &str,
        holder: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(
                "UPDATE crawl_leases SET holder = NULL, expires_at = NULL, updated_at = $4 \
                 WHERE portal = $1 AND section = $2 AND holder = $3",
                args![portal, section, holder, ts(now)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Extends the hold of a lease `holder` still holds until `until`.
    /// Returns `false` when another instance has taken it meanwhile (the
    /// caller must stop working on the section).
    pub async fn renew_section_lease(
        &self,
        portal: &str,
        section: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(
                "UPDATE crawl_leases SET expires_at = $4, updated_at = $5 \
                 WHERE portal = $1 AND section = $2 AND holder = $3",
                args![portal, section, holder, ts(until), ts(now)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Gives back a lease `holder` holds and schedules the section's next
    /// poll (`None`: due at once). Returns `false` when `holder` no longer
    /// held it (nothing is changed then).
    pub async fn release_section(
        &self,
        portal: &str,
        section: &str,
        holder: &str,
        next_poll_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let changed = conn
            .exec()
            .execute(
                "UPDATE crawl_leases SET holder = NULL, expires_at = NULL, \
                 next_poll_at = $4, updated_at = $5 \
                 WHERE portal = $1 AND section = $2 AND holder = $3",
                args![portal, section, holder, ts_opt(next_poll_at), ts(now)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// The lease and schedule of one section, if it was ever claimed.
    pub async fn section_lease(
        &self,
        portal: &str,
        section: &str,
    ) -> Result<Option<SectionLease>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<LeaseRow> = conn
            .exec()
            .fetch_optional(
                "SELECT portal, section, holder, expires_at, next_poll_at FROM crawl_leases \
                 WHERE portal = $1 AND section = $2",
                args![portal, section],
            )
            .await?;
        row.map(LeaseRow::into_lease).transpose()
    }

    /// Every lease of a portal, by section id.
    pub async fn section_leases(&self, portal: &str) -> Result<Vec<SectionLease>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<LeaseRow> = conn
            .exec()
            .fetch_all(
                "SELECT portal, section, holder, expires_at, next_poll_at FROM crawl_leases \
                 WHERE portal = $1 ORDER BY section",
                args![portal],
            )
            .await?;
        rows.into_iter().map(LeaseRow::into_lease).collect()
    }
}
