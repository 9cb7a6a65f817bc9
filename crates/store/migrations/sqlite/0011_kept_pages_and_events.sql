-- govwire store: the pages govwire read and the events the archive received,
-- kept so that they can be read again.
--
-- `raw_pages` holds every detail page the parser stage read, addressed by the
-- SHA-256 of its bytes (what a record's `page_sha256` names): the page as the
-- crawler handed it on (its bytes, the list's title and date, its linked files
-- with their extracted text), as gzip-compressed JSON. `govwire reparse` runs
-- today's parser over them.
CREATE TABLE raw_pages (
    sha256      TEXT PRIMARY KEY NOT NULL,
    portal      TEXT NOT NULL,
    url         TEXT NOT NULL,
    fetched_at  TEXT NOT NULL,
    page        BLOB NOT NULL,
    stored_at   TEXT NOT NULL
);

-- `archive_event_log` holds every event the archive took, as it was
-- published (gzip-compressed CloudEvent JSON), in the order it was received
-- (`seq`); `govwire replay` publishes them again by their own time, then
-- that order.
CREATE TABLE archive_event_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    portal       TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    event_time   TEXT NOT NULL,
    body         BLOB NOT NULL
);
CREATE INDEX archive_event_log_by_time ON archive_event_log (event_time, seq);
