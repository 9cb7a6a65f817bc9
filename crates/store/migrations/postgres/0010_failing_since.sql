-- govwire store: since when a section's polls have been failing.
--
-- `failing_since` is the time of the first failed poll of the current run
-- of failed polls (NULL while polls succeed), written by the crawler
-- (record_section_poll). The notifier declares a section degraded when its
-- polls have failed for long enough, as well as after enough failed polls,
-- so a portal polled rarely is not reported hours after it went away.
ALTER TABLE section_health ADD COLUMN failing_since TEXT;
