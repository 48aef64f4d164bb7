-- Patient identity that moves while a job is open (issue 14): an ADT merge
-- (A40, A47 and the other events with an MRG segment) or an update (A08,
-- A31) of the patient an open job is for makes its outputs carry the
-- surviving identifiers.
-- - `patient_ids`: the job's patient as it is known now, one key per PID-3
--   identifier (assigning authority, U+001F, identifier), set from the order;
-- - `patient_prior_ids`: identifiers the patient held before a merge, so the
--   study (whose PatientID the PACS may not have merged yet) still matches;
-- - `patient_source` / `patient_segment`: the message and which of its PID
--   segments the outputs take the patient from (NULL: the order's own);
-- a job that finishes after its patient moved is refused and queued again.
ALTER TABLE jobs
    ADD COLUMN patient_ids       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN patient_prior_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN patient_source    bigint REFERENCES inbound_messages (id),
    ADD COLUMN patient_segment   integer;
CREATE INDEX jobs_open_patients ON jobs USING gin (patient_ids)
    WHERE status IN ('queued', 'waiting_for_study', 'running');
