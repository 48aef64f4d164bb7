-- One result per study version, corrections and withdrawals (issue 14):
-- - a job records the version of the study it read (`study_version`: a hash
--   of the chosen series' SOP Instance UIDs); a trigger that finds the
--   version an earlier job of the same route already did ends as
--   'duplicate' without running anything;
-- - an order cancel marks the route's open jobs for the study 'cancelled',
--   and a done job's results are withdrawn (`cancelled_by`: the message);
-- - outbound rows say whether they are the original result, a correction
--   or a withdrawal: a correction reuses the FHIR identifier of what it
--   corrects, so a row is unique per job and revision, not per identity;
-- - `withdrawals`: what withdrawing a done job's results would send, built
--   with the job; queued (at the back of the lanes) only on a cancel.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check
    CHECK (status IN ('queued', 'waiting_for_study', 'running', 'done', 'failed', 'cancelled', 'duplicate'));
ALTER TABLE jobs
    ADD COLUMN study_version text,
    ADD COLUMN cancelled_by  bigint REFERENCES inbound_messages (id),
    ADD COLUMN withdrawn_at  timestamptz;
CREATE INDEX jobs_route_study ON jobs (route, study_key, id);

ALTER TABLE outbound_messages
    ADD COLUMN revision text NOT NULL DEFAULT 'original' CHECK (revision IN ('original', 'correction', 'withdrawal'));
ALTER TABLE outbound_messages DROP CONSTRAINT outbound_once;
ALTER TABLE outbound_messages ADD CONSTRAINT outbound_once UNIQUE (job_id, destination, output, identity, revision);

CREATE TABLE withdrawals (
    id          bigserial PRIMARY KEY,
    job_id      bigint    NOT NULL REFERENCES jobs (id),
    destination text      NOT NULL,
    output      text      NOT NULL CHECK (output IN ('oru', 'adt', 'observation', 'sr')),
    identity    text      NOT NULL,
    study_uid   text      NOT NULL DEFAULT '',
    payload     bytea     NOT NULL
);
CREATE INDEX withdrawals_job ON withdrawals (job_id);
