-- The job lifecycle a hospital can trust (issue 14):
-- - every claim of a job or of a lane head draws a fresh lease token; the
--   worker's later writes name it, so a worker that lost its lease (expired,
--   taken over) has its writes refused;
-- - a job may wait for its study to settle ('waiting_for_study': the last
--   readiness probe is kept: which series, how many instances, since when),
--   and an order cancel ends it ('cancelled');
-- - a failed job says why in one word (`failure`: patient_mismatch,
--   attempts_exhausted, study_not_ready, ...), the detail stays in `error`;
-- - the audit keeps how many instances each inference read;
-- - the inbound status 'routing' was never used: gone.
CREATE SEQUENCE lease_tokens;

ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'waiting_for_study', 'running', 'done', 'failed', 'cancelled'));
ALTER TABLE jobs
    ADD COLUMN lease           bigint,
    ADD COLUMN failure         text,
    ADD COLUMN probe_series    text,
    ADD COLUMN probe_instances integer,
    ADD COLUMN probe_since     timestamptz;
DROP INDEX jobs_queued;
CREATE INDEX jobs_due ON jobs (next_attempt_at, id) WHERE status IN ('queued', 'waiting_for_study');

ALTER TABLE outbound_messages ADD COLUMN lease bigint;

ALTER TABLE inference_audit ADD COLUMN instances integer;

ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_status_check;
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_status_check
    CHECK (status IN ('received', 'routed', 'filtered', 'failed'));
