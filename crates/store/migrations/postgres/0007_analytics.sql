-- govwire store (postgres): the analytics subscriber's projection of reply events.

-- Every event analytics applied, so a redelivery is recognised and changes
-- nothing. `month` is the event time's month (YYYY-MM) in China Standard
-- Time, what the updates and withdrawals per month are counted by.
CREATE TABLE analytics_events (
    event_id    TEXT PRIMARY KEY NOT NULL,
    reply_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    month       TEXT NOT NULL,
    event_time  TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX analytics_events_by_month ON analytics_events (month, event_type);

-- The current state of every reply analytics heard of: the fields the
-- aggregates count by, from the newest record (highest version, then the
-- latest event time), and the status the newest withdrawn or restored event
-- set. `delay_days` is published_on minus signed_on, when both are known.
CREATE TABLE analytics_replies (
    reply_id          TEXT PRIMARY KEY NOT NULL,
    portal            TEXT NOT NULL,
    version           BIGINT NOT NULL CHECK (version >= 1),
    title             TEXT NOT NULL,
    published_on      TEXT,
    signed_on         TEXT,
    delay_days        BIGINT,
    result_category   TEXT,
    reply_kind        TEXT,
    proposal_kind     TEXT,
    proposal_level    TEXT,
    meeting           TEXT,
    issuer            TEXT,
    status            TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    status_changed_at TEXT,
    last_event_time   TEXT NOT NULL
);

-- The words of each reply's current title (stop words left out), with how
-- often each occurs in it; replaced whenever the reply's record is.
CREATE TABLE analytics_words (
    reply_id TEXT NOT NULL REFERENCES analytics_replies (reply_id),
    word     TEXT NOT NULL,
    count    BIGINT NOT NULL CHECK (count >= 1),
    PRIMARY KEY (reply_id, word)
);
