-- govwire store, SQLite: withdrawals, restorations and section health.
-- The PostgreSQL migration of the same number holds the same tables and
-- columns; only column types differ.

-- ---------- withdrawal ----------

-- Whether the portal still serves a reply: `withdrawn_at` is set while it is
-- withdrawn (NULL once restored); `withdrawals` counts every withdrawal the
-- reply has had, and goes into the ids of its withdrawn/restored events.
ALTER TABLE replies ADD COLUMN withdrawn_at TEXT;
ALTER TABLE replies ADD COLUMN withdrawn_reason TEXT;
ALTER TABLE replies ADD COLUMN withdrawals INTEGER NOT NULL DEFAULT 0 CHECK (withdrawals >= 0);
CREATE INDEX replies_withdrawn ON replies (withdrawn_at) WHERE withdrawn_at IS NOT NULL;

-- When the notifier's sweep first saw the current run of misses (404/410) of
-- a portal item that shows a reply: the start of its grace period. `misses`
-- is crawl_items.consecutive_missing as last seen, so a run that ended and
-- started again between two sweeps is recognised as a new run.
CREATE TABLE missing_streaks (
    portal  TEXT NOT NULL,
    item_id TEXT NOT NULL,
    since   TEXT NOT NULL,
    misses  INTEGER NOT NULL CHECK (misses >= 1),
    PRIMARY KEY (portal, item_id)
);

-- ---------- section health ----------

-- One row per portal section: what its recent polls and parses looked like
-- (written by the crawler and the parser stage) and whether the notifier
-- declared it degraded. Each writer owns its columns, so concurrent writers
-- never overwrite each other's counts.
CREATE TABLE section_health (
    portal          TEXT NOT NULL,
    section         TEXT NOT NULL,
    -- crawler (record_section_poll)
    last_poll_at    TEXT,
    polls           INTEGER NOT NULL DEFAULT 0 CHECK (polls >= 0),
    last_listed     INTEGER CHECK (last_listed >= 0),
    last_nonempty_at TEXT,
    empty_polls     INTEGER NOT NULL DEFAULT 0 CHECK (empty_polls >= 0),
    failed_polls    INTEGER NOT NULL DEFAULT 0 CHECK (failed_polls >= 0),
    last_error      TEXT,
    -- parser stage (record_parse_outcome)
    last_parse_at   TEXT,
    parse_failures  INTEGER NOT NULL DEFAULT 0 CHECK (parse_failures >= 0),
    -- notifier sweep (apply_section_health)
    degraded_at     TEXT,
    degraded_reason TEXT,
    degradations    INTEGER NOT NULL DEFAULT 0 CHECK (degradations >= 0),
    PRIMARY KEY (portal, section)
);

-- ---------- archive ----------

-- Whether an archived reply is still served by its portal, as the
-- withdrawn/restored events said; `status_changed_at` is the time of the
-- event that set it, so a late event cannot undo a newer one.
ALTER TABLE archive_replies ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'withdrawn'));
ALTER TABLE archive_replies ADD COLUMN status_changed_at TEXT;
