-- govwire store (postgres): the archive a person reads, searches and follows.

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
ALTER TABLE archive_replies ADD COLUMN search_indexed BIGINT;
-- The search index: the search tokens (govwire_model::text::search_tokens)
-- of the current title and body, computed in Rust and written as literal
-- lexemes (a `tsvector` value, never through a text-search configuration),
-- so it holds exactly the tokens govwire computed, as SQLite's does.
ALTER TABLE archive_replies ADD COLUMN search TSVECTOR;

UPDATE archive_replies AS a SET
    published_on = j.r ->> 'published_on',
    handling_result = j.r #>> '{handling_result,raw}',
    result_category = j.r #>> '{handling_result,category}',
    reply_kind = j.r ->> 'reply_kind',
    proposal_kind = j.r #>> '{proposal,kind}',
    proposal_level = j.r #>> '{proposal,level}',
    meeting = j.r #>> '{proposal,meeting}',
    addressee = j.r ->> 'addressee',
    issuer = j.r ->> 'issuer',
    signatory = j.r ->> 'signatory',
    url = j.r ->> 'url'
FROM (SELECT reply_id, record::jsonb AS r FROM archive_replies) AS j
WHERE j.reply_id = a.reply_id;
UPDATE archive_replies SET sort_key = COALESCE(published_on, substr(first_seen_at, 1, 10));

-- The list's order, carrying every column the list filters by with
-- equality or a substring: a filtered list and its count can be answered
-- from this index.
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
CREATE INDEX archive_replies_search ON archive_replies USING GIN (search);

-- What changed in each version, as the `reply.updated` event that
-- delivered it said (JSON array of {field, before, after}); NULL for a first
-- version and for versions archived before this column existed.
ALTER TABLE archive_versions ADD COLUMN changes TEXT;
-- The feed: the newest versions first.
CREATE INDEX archive_versions_recent ON archive_versions (received_at, reply_id, version);
