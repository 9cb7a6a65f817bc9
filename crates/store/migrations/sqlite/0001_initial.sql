-- govwire store, SQLite schema. The PostgreSQL schema in ../postgres holds the
-- same tables and columns; only column types differ. Instants are TEXT in
-- RFC 3339 UTC with nine fractional digits (`2026-07-07T08:00:00.000000000Z`),
-- so they sort as text; dates are TEXT `YYYY-MM-DD`; records are JSON TEXT.

-- ---------- crawler state ----------

-- Conditional-request validators of list URLs.
CREATE TABLE http_validators (
    url           TEXT PRIMARY KEY NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    updated_at    TEXT NOT NULL
);

-- Every detail page the crawler knows, and when to look at it again.
CREATE TABLE crawl_items (
    portal              TEXT NOT NULL,
    item_id             TEXT NOT NULL,
    section             TEXT NOT NULL,
    url                 TEXT NOT NULL,
    title               TEXT,
    published_on        TEXT,
    etag                TEXT,
    last_modified       TEXT,
    body_sha256         TEXT,
    first_seen_at       TEXT NOT NULL,
    last_fetched_at     TEXT,
    last_changed_at     TEXT,
    next_visit_at       TEXT,
    last_status         INTEGER,
    consecutive_missing INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_missing >= 0),
    PRIMARY KEY (portal, item_id)
);
CREATE INDEX crawl_items_due ON crawl_items (portal, next_visit_at);

-- ---------- notifier ----------

-- The current version of every reply the notifier has seen.
CREATE TABLE replies (
    id             TEXT PRIMARY KEY NOT NULL,
    portal         TEXT NOT NULL,
    doc_number     TEXT,
    title          TEXT NOT NULL,
    addressee      TEXT,
    signatory      TEXT,
    signed_on      TEXT,
    version        INTEGER NOT NULL CHECK (version >= 1),
    content_sha256 TEXT NOT NULL,
    record         TEXT NOT NULL,
    first_seen_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX replies_by_doc_number ON replies (portal, doc_number) WHERE doc_number IS NOT NULL;
CREATE INDEX replies_by_signature ON replies (portal, title, addressee, signatory, signed_on);

-- Every version a reply has had; (reply_id, version) is unique so that two
-- writers deciding the same version cannot both commit.
CREATE TABLE reply_versions (
    reply_id       TEXT NOT NULL REFERENCES replies (id),
    version        INTEGER NOT NULL CHECK (version >= 1),
    content_sha256 TEXT NOT NULL,
    record         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (reply_id, version)
);

-- Which reply a portal item (the portal's own id of a page) shows.
CREATE TABLE reply_items (
    portal    TEXT NOT NULL,
    item_id   TEXT NOT NULL,
    reply_id  TEXT NOT NULL REFERENCES replies (id),
    mapped_at TEXT NOT NULL,
    PRIMARY KEY (portal, item_id)
);
CREATE INDEX reply_items_by_reply ON reply_items (reply_id);

-- Every URL a reply has been seen at, in the order first seen.
CREATE TABLE reply_urls (
    reply_id      TEXT NOT NULL REFERENCES replies (id),
    url           TEXT NOT NULL,
    position      INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (reply_id, url)
);

-- Events decided but not yet confirmed by the broker (transactional outbox).
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    body         BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE published_at IS NULL;

-- ---------- archive ----------

-- Every event the archive accepted, so a redelivery is recognised.
CREATE TABLE archive_events (
    event_id    TEXT PRIMARY KEY NOT NULL,
    event_type  TEXT NOT NULL,
    reply_id    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    received_at TEXT NOT NULL
);

-- The newest version of every archived reply.
CREATE TABLE archive_replies (
    reply_id        TEXT PRIMARY KEY NOT NULL,
    portal          TEXT NOT NULL,
    title           TEXT NOT NULL,
    doc_number      TEXT,
    current_version INTEGER NOT NULL CHECK (current_version >= 1),
    record          TEXT NOT NULL,
    first_seen_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX archive_replies_recent ON archive_replies (updated_at, reply_id);
CREATE INDEX archive_replies_by_portal ON archive_replies (portal, updated_at, reply_id);

-- Every archived version, with the event that first delivered it.
CREATE TABLE archive_versions (
    reply_id       TEXT NOT NULL REFERENCES archive_replies (reply_id),
    version        INTEGER NOT NULL CHECK (version >= 1),
    content_sha256 TEXT NOT NULL,
    record         TEXT NOT NULL,
    event_id       TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (reply_id, version)
);
