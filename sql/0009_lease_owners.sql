-- Which worker process holds a job's lease ("host:pid"), so the engine that
-- started a worker can give up its leases the moment it dies (a crash in a
-- decoder or in libtorch) instead of waiting for them to run out. The next
-- claim counts the attempt as usual.
ALTER TABLE jobs ADD COLUMN lease_owner text;

-- When the job was last claimed: with first_claimed_at, how long it waited
-- for its study to settle before the attempt that ran.
ALTER TABLE jobs ADD COLUMN claimed_at timestamptz;

-- A lane's order: rows go out by `lane_position`, which is the order they
-- were queued in (jobs finishing); a requeued dead letter takes a new
-- position, at the back of its lane, instead of jumping ahead of rows
-- queued after it.
CREATE SEQUENCE outbound_lane_positions;
ALTER TABLE outbound_messages ADD COLUMN lane_position bigint;
UPDATE outbound_messages SET lane_position = id;
SELECT setval('outbound_lane_positions', coalesce((SELECT max(id) FROM outbound_messages), 0) + 1, false);
ALTER TABLE outbound_messages
    ALTER COLUMN lane_position SET DEFAULT nextval('outbound_lane_positions'),
    ALTER COLUMN lane_position SET NOT NULL;
DROP INDEX outbound_lane;
CREATE INDEX outbound_lane ON outbound_messages (destination, lane_position) WHERE status = 'pending';
