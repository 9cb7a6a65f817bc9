-- govwire store (postgres): alerts held for a rule's digest.

-- A rule past its rate limit holds its matches ('held', with the one-line
-- summary and the event itself) until the hour is over; then they go out as
-- one digest and become 'digested'. 'sent', 'held' and 'digested' are final
-- for a redelivered event; only a 'failed' row is written again.
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_status_check;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_status_check
    CHECK (status IN ('sent', 'failed', 'held', 'digested'));
ALTER TABLE alert_deliveries DROP CONSTRAINT alert_deliveries_attempts_check;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_attempts_check
    CHECK (attempts >= 0);
ALTER TABLE alert_deliveries ADD COLUMN summary TEXT;
ALTER TABLE alert_deliveries ADD COLUMN event TEXT;

CREATE INDEX alert_deliveries_held ON alert_deliveries (status, rule, sink, decided_at);
