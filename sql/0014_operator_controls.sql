-- What operators see and change through the admin API (engine/admin):
-- every delivery attempt (a study's trail shows each one), destinations an
-- operator paused, and the rollout mode an operator set for a route.

-- One row per attempt of an outbound row, written with its outcome; a
-- destination's last attempt and last failure are read through the indexes.
CREATE TABLE delivery_attempts (
    id          bigserial   PRIMARY KEY,
    outbound_id bigint      NOT NULL REFERENCES outbound_messages (id),
    destination text        NOT NULL,
    attempt     integer     NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead')),
    error       text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_outbound ON delivery_attempts (outbound_id, id);
CREATE INDEX delivery_attempts_last ON delivery_attempts (destination, id);
CREATE INDEX delivery_attempts_last_failure ON delivery_attempts (destination, id) WHERE outcome <> 'sent';

-- A paused destination's lane claims nothing until it is resumed; its rows
-- wait, in order, as they do while a receiver is down.
CREATE TABLE destination_pauses (
    destination text        PRIMARY KEY,
    paused_by   text        NOT NULL,
    paused_at   timestamptz NOT NULL DEFAULT now(),
    reason      text        NOT NULL
);

-- Each rollout mode an operator set for a route (who, when, why). The
-- latest one is the route's mode for the jobs routed after it, over the
-- mode its mapping file names.
CREATE TABLE route_mode_changes (
    id         bigserial   PRIMARY KEY,
    route      text        NOT NULL,
    mode       text        NOT NULL CHECK (mode IN ('silent', 'assist', 'active')),
    changed_by text        NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    reason     text        NOT NULL
);
CREATE INDEX route_mode_changes_latest ON route_mode_changes (route, id);

-- The worklist reads the recent jobs by arrival.
CREATE INDEX jobs_created ON jobs (created_at);
