-- The admin server's /metrics counts dead letters per destination and failed
-- inbound messages on every scrape. Both are rare, so partial indexes keep
-- those counts cheap however large the tables grow (the backlog states
-- already have theirs: inbound_messages_received, jobs_due, jobs_running,
-- outbound_lane). The dead-letter listing reads them too.
CREATE INDEX outbound_dead ON outbound_messages (destination, id) WHERE status = 'dead';
CREATE INDEX inbound_messages_failed ON inbound_messages (id) WHERE status = 'failed';
