-- What radiologists said about the AI's findings: read from their final
-- reports (the RIS's ORU^R01 for the same study, by the route's "feedback"
-- rules) or given by hand in the console. One row per (route, study,
-- finding, source) is current; a corrected report, an addendum or a new
-- manual verdict marks the row it replaces superseded (kept for the trail).
-- The AI's side is not copied here: it is the latest done job of the same
-- route and study, so a report that arrives before the AI result counts as
-- soon as the result exists.
CREATE TABLE feedback (
    id            bigserial   PRIMARY KEY,
    route         text        NOT NULL,
    study_key     text        NOT NULL,
    label         text        NOT NULL,
    source        text        NOT NULL CHECK (source IN ('report', 'manual')),
    verdict       text        CHECK (verdict IN ('positive', 'negative', 'uncertain')),
    value         double precision,  -- a measurement the radiologist gave (e.g. a volume), in the finding's unit
    report_status text        CHECK (report_status IN ('final', 'corrected', 'addendum')),
    report_time   text,              -- the report's OBR-22 (or MSH-7), as written
    inbound_id    bigint      REFERENCES inbound_messages (id),  -- the report
    job_id        bigint      REFERENCES jobs (id),              -- manual: the result judged
    ai_verdict    text        CHECK (ai_verdict IN ('positive', 'negative')),  -- manual: what was judged
    author        text,              -- manual: the token's name
    comment       text,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz,
    CHECK (verdict IS NOT NULL OR value IS NOT NULL),
    CHECK ((source = 'report') = (inbound_id IS NOT NULL AND report_status IS NOT NULL)),
    CHECK ((source = 'manual') = (job_id IS NOT NULL AND author IS NOT NULL))
);
CREATE UNIQUE INDEX feedback_current ON feedback (route, study_key, label, source) WHERE superseded_at IS NULL;
CREATE INDEX feedback_route ON feedback (route, recorded_at) WHERE superseded_at IS NULL;

-- Radiologists judge findings with the reviewer role, audited as the others are.
ALTER TABLE admin_audit DROP CONSTRAINT admin_audit_role_check;
ALTER TABLE admin_audit ADD CONSTRAINT admin_audit_role_check CHECK (role IN ('viewer', 'reviewer', 'operator', 'phi'));
