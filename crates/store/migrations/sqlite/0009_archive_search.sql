-- govwire store (sqlite): the archive a person reads, searches and follows.

-- The fields of the current record the archive's list filters and orders
-- by, kept beside the record as it changes (and filled here from the
-- records already archived). `sort_key` is what the list orders by, newest
-- first: the publication date, or without one the (UTC) date the archive
-- first saw the reply. `handling_result` is the result as written,
-- `result_category` its category. `search_indexed` is the version of the
-- search tokens' rules (govwire_model::text::SEARCH_TOKENS_VERSION) the
-- reply was last indexed under; NULL: not indexed yet (the archive daemon
-- indexes such replies when it starts).
ALTER TABLE archive_replies ADD COLUMN published_on TEXT;
ALTER TABLE archive_replies ADD COLUMN sort_key TEXT NOT NULL DEFAULT '';
ALTER TABLE archive_replies ADD COLUMN handling_result TEXT;
ALTER TABLE archive_replies ADD COLUMN result_category TEXT;
ALTER TABLE archive_replies ADD COLUMN reply_kind TEXT;
ALTER TABLE archive_replies ADD COLUMN proposal_kind TEXT;
ALTER TABLE archive_replies ADD COLUMN proposal_level TEXT;
ALTER TABLE archive_replies ADD COLUMN meeting TEXT;
ALTER TABLE archive_replies ADD COLUMN addressee TEXT;
ALTER TABLE archive_replies ADD COLUMN issuer TEXT;
ALTER TABLE archive_replies ADD COLUMN signatory TEXT;
ALTER TABLE archive_replies ADD COLUMN url TEXT;
ALTER TABLE archive_replies ADD COLUMN search_indexed INTEGER;
-- The rowid of the reply's row in archive_search (an FTS5 table is keyed by
-- an integer, the reply by text). PostgreSQL keeps the tokens in a column
-- of archive_replies instead.
ALTER TABLE archive_replies ADD COLUMN search_rowid INTEGER;

UPDATE archive_replies SET
    published_on = json_extract(record, '$.published_on'),
    handling_result = json_extract(record, '$.handling_result.raw'),
    result_category = json_extract(record, '$.handling_result.category'),
    reply_kind = json_extract(record, '$.reply_kind'),
    proposal_kind = json_extract(record, '$.proposal.kind'),
    proposal_level = json_extract(record, '$.proposal.level'),
    meeting = json_extract(record, '$.proposal.meeting'),
    addressee = json_extract(record, '$.addressee'),
    issuer = json_extract(record, '$.issuer'),
    signatory = json_extract(record, '$.signatory'),
    url = json_extract(record, '$.url');
UPDATE archive_replies SET sort_key = COALESCE(published_on, substr(first_seen_at, 1, 10));

-- The list's order, carrying every column the list filters by with
-- equality or a substring: a filtered list and its count read this index
-- alone, never the rows with their large records.
CREATE INDEX archive_replies_list ON archive_replies (
    sort_key DESC, reply_id DESC, portal, status, result_category, reply_kind,
    proposal_kind, proposal_level, published_on, meeting, addressee, issuer, signatory
);
-- A result category's replies in the list's order: a count of them reads
-- this index alone. (The portal needs none: with few portals the list's
-- index serves it better.)
CREATE INDEX archive_replies_by_result_sorted ON archive_replies (result_category, sort_key DESC, reply_id DESC);
-- The replies to index (again) after a change of the search rules.
CREATE INDEX archive_replies_search_pending ON archive_replies (search_indexed, reply_id);
CREATE UNIQUE INDEX archive_replies_search_rowid ON archive_replies (search_rowid);

-- What changed in each version, as the `reply.updated` event that
-- delivered it said (JSON array of {field, before, after}); NULL for a first
-- version and for versions archived before this column existed.
ALTER TABLE archive_versions ADD COLUMN changes TEXT;
-- The feed: the newest versions first.
CREATE INDEX archive_versions_recent ON archive_versions (received_at, reply_id, version);

-- The search index: the search tokens (govwire_model::text::search_tokens)
-- of each reply's current title and body, computed in Rust and joined by
-- spaces. The `ascii` tokenizer splits that text exactly at the spaces (a
-- token holds only letters and digits, and every non-ASCII character is a
-- token character to it) and folds no case beyond ASCII, so the index holds
-- exactly the tokens govwire computed, as PostgreSQL's does.
CREATE VIRTUAL TABLE archive_search USING fts5(
    reply_id UNINDEXED,
    tokens,
    tokenize = 'ascii'
);
