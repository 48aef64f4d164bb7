-- Jobs: one per (inbound message, route) whose conditions it met. The router
-- creates them in the transaction that marks the inbound row routed; a
-- worker claims one with a lease, fetches and infers without holding any
-- row lock, then in one transaction stores the results, the audit rows and
-- one outbound row per (output, destination).
CREATE TABLE jobs (
    id              bigserial   PRIMARY KEY,
    inbound_id      bigint      NOT NULL REFERENCES inbound_messages (id),
    route           text        NOT NULL,
    study_key_kind  text        NOT NULL CHECK (study_key_kind IN ('accession', 'study_uid')),
    study_key       text        NOT NULL,
    mode            text        NOT NULL CHECK (mode IN ('silent', 'assist', 'active')),
    status          text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    acuity          text,
    results         jsonb,       -- the models' findings, as `radbridge infer --json` prints them (an array)
    error           text,        -- the last failure, without patient data
    CONSTRAINT jobs_once_per_route UNIQUE (inbound_id, route)
);
CREATE INDEX jobs_queued ON jobs (next_attempt_at, id) WHERE status = 'queued';
CREATE INDEX jobs_running ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_study_key ON jobs (study_key);

-- Every inference: which study and series, which model and version, when,
-- how long each step took, what it found.
CREATE TABLE inference_audit (
    id            bigserial   PRIMARY KEY,
    job_id        bigint      NOT NULL REFERENCES jobs (id),
    study_uid     text        NOT NULL,
    series_uid    text        NOT NULL,
    model         text        NOT NULL,
    model_version text        NOT NULL,
    model_sha256  text        NOT NULL,
    timings_ms    jsonb       NOT NULL,
    findings      jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inference_audit_job ON inference_audit (job_id);

-- The outbound queue: one row per (result output, destination), in one
-- ordered lane per destination (the lowest pending id goes first; the next
-- waits for it). `identity` is derived from the job (MSH-10, FHIR identifier,
-- SR SOP Instance UID), so building the same result again finds its row.
CREATE TABLE outbound_messages (
    id              bigserial   PRIMARY KEY,
    job_id          bigint      NOT NULL REFERENCES jobs (id),
    destination     text        NOT NULL,
    output          text        NOT NULL CHECK (output IN ('oru', 'adt', 'observation', 'sr')),
    identity        text        NOT NULL,
    study_uid       text        NOT NULL DEFAULT '',
    payload         bytea       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        integer     NOT NULL DEFAULT 0,
    lease_until     timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text,
    response        bytea,       -- the receiver's last answer (ACK, OperationOutcome, STOW-RS response)
    CONSTRAINT outbound_once UNIQUE (destination, output, identity)
);
CREATE INDEX outbound_lane ON outbound_messages (destination, id) WHERE status = 'pending';
