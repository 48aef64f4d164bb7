-- Wake-ups: work announces itself in the transaction that creates it, so an
-- idle router, job worker or delivery lane starts within milliseconds
-- instead of at its next poll (polling stays as a slow fallback).
--   radbridge_inbound   a group of messages was stored
--   radbridge_jobs      a job is queued or waits for its study again
--   radbridge_outbound  a lane has a pending row (payload: the destination)
-- NOTIFY folds repeats within a transaction, so a group commit or a job
-- with several outputs sends one notification per channel and payload.
CREATE FUNCTION radbridge_notify_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('radbridge_inbound', '');
    RETURN NULL;
END $$;
CREATE TRIGGER inbound_messages_notify AFTER INSERT ON inbound_messages
    FOR EACH STATEMENT EXECUTE FUNCTION radbridge_notify_inbound();

CREATE FUNCTION radbridge_notify_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('radbridge_jobs', '');
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs
    FOR EACH ROW WHEN (NEW.status IN ('queued', 'waiting_for_study')) EXECUTE FUNCTION radbridge_notify_jobs();

CREATE FUNCTION radbridge_notify_outbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('radbridge_outbound', NEW.destination);
    RETURN NULL;
END $$;
CREATE TRIGGER outbound_messages_notify AFTER INSERT OR UPDATE ON outbound_messages
    FOR EACH ROW WHEN (NEW.status = 'pending' AND NEW.lease IS NULL) EXECUTE FUNCTION radbridge_notify_outbound();

-- When a job was first claimed: with inbound_messages.received_at, the time
-- from an order's ACK to a worker taking its job.
ALTER TABLE jobs ADD COLUMN first_claimed_at timestamptz;
