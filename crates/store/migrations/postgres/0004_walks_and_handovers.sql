-- govwire store, PostgreSQL: resumable list walks and hand-overs awaiting a decision.

-- The regular walk of a section's list pages, as far as it has got. A row
-- with `completed_at` NULL is a walk that was interrupted (a stop, a crash,
-- a lost lease, a failed list page): the next poll walks at least to
-- `pages_done + 1` before "a page of known items" may end it, so the items
-- the interrupted walk had not reached are still fetched.
CREATE TABLE crawl_walks (
    portal       TEXT NOT NULL,
    section      TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    pages_done   BIGINT NOT NULL DEFAULT 0 CHECK (pages_done >= 0),
    updated_at   TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (portal, section)
);

-- The last page content the crawler handed on for an item, until the
-- notifier has decided it (the row is deleted in the decision's
-- transaction). A revisit of an item with a row here fetches the page
-- without validators and hands it on again, so a page lost downstream
-- (dead-lettered, a queue deleted) is not lost for good.
CREATE TABLE handovers (
    portal      TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    page_sha256 TEXT NOT NULL,
    handed_at   TEXT NOT NULL,
    PRIMARY KEY (portal, item_id)
);
