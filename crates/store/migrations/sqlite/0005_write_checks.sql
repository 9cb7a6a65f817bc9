-- The write check every daemon makes when it starts: one row per daemon
-- name, rewritten on each start, so a store that cannot be written (a
-- read-only file or directory, a full disk, a read-only server) is found
-- before any work is taken instead of failing every write afterwards.
-- `checked_at` is TEXT in RFC 3339 UTC with nine fractional digits, as in
-- 0001.
CREATE TABLE write_checks (
    holder     TEXT NOT NULL PRIMARY KEY,
    checked_at TEXT NOT NULL
);
