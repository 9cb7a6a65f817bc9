-- govwire store (sqlite): what the alerts subscriber delivered.

-- One row per (rule, event, sink): the outcome of delivering one event that
-- matched one rule to one of its sinks. A row with status 'sent' is never
-- changed again, so a redelivered event sends nothing twice; 'failed' rows
-- keep the last error and how many attempts were made.
CREATE TABLE alert_deliveries (
    rule         TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    sink         TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    last_error   TEXT,
    decided_at   TEXT NOT NULL,
    PRIMARY KEY (rule, event_id, sink)
);

CREATE INDEX alert_deliveries_by_rule ON alert_deliveries (rule, decided_at);
