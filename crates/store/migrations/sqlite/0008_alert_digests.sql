-- govwire store (sqlite): alerts held for a rule's digest.

-- A rule past its rate limit holds its matches ('held', with the one-line
-- summary and the event itself) until the hour is over; then they go out as
-- one digest and become 'digested'. 'sent', 'held' and 'digested' are final
-- for a redelivered event; only a 'failed' row is written again.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE alert_deliveries_v2 (
    rule         TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    sink         TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'held', 'digested')),
    attempts     INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 0),
    last_error   TEXT,
    decided_at   TEXT NOT NULL,
    summary      TEXT,
    event        TEXT,
    PRIMARY KEY (rule, event_id, sink)
);

INSERT INTO alert_deliveries_v2
    (rule, event_id, sink, event_type, subject, status, attempts, last_error, decided_at)
SELECT rule, event_id, sink, event_type, subject, status, attempts, last_error, decided_at
FROM alert_deliveries;

DROP TABLE alert_deliveries;
ALTER TABLE alert_deliveries_v2 RENAME TO alert_deliveries;

CREATE INDEX alert_deliveries_by_rule ON alert_deliveries (rule, decided_at);
CREATE INDEX alert_deliveries_held ON alert_deliveries (status, rule, sink, decided_at);
