-- Crawler coordination: section leases shared by crawler instances, and the
-- cursors that let a backfill resume after an interruption. Instants are
-- TEXT in RFC 3339 UTC with nine fractional digits, as in 0001; dates are
-- TEXT `YYYY-MM-DD`.

-- One row per (portal, section), and one per portal for its revisit rounds
-- (section `@revisits`). An instance polls a section only while it holds
-- the lease: `holder` set and `expires_at` in the future. A lease is
-- taken or renewed by one conditional upsert, so two instances cannot both
-- hold it; a dead holder's lease simply expires. `next_poll_at` is the
-- section's schedule, shared by every instance, so a section is polled once
-- per interval whichever instance polls it.
CREATE TABLE crawl_leases (
    portal       TEXT NOT NULL,
    section      TEXT NOT NULL,
    holder       TEXT,
    expires_at   TEXT,
    next_poll_at TEXT,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (portal, section)
);

-- Where a backfill of one section over one date range has got to. The
-- range bounds are '' when open. `next_page` is the first list page not
-- yet completely handled; `completed_at` is set once the list has ended.
CREATE TABLE backfill_cursors (
    portal       TEXT NOT NULL,
    section      TEXT NOT NULL,
    since_date   TEXT NOT NULL,
    until_date   TEXT NOT NULL,
    next_page    INTEGER NOT NULL CHECK (next_page >= 1),
    items_seen   INTEGER NOT NULL DEFAULT 0 CHECK (items_seen >= 0),
    new_items    INTEGER NOT NULL DEFAULT 0 CHECK (new_items >= 0),
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (portal, section, since_date, until_date)
);
