-- The admin API (engine/admin): who read or changed what, and when (the IHE
-- ATNA habit). One row per read of a message body or patient identifier and
-- per operator action (requeue, discard). `who` is the token's name, never
-- the token; `target` names rows by id.
CREATE TABLE admin_audit (
    id      bigserial   PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    who     text        NOT NULL,
    role    text        NOT NULL CHECK (role IN ('viewer', 'operator', 'phi')),
    action  text        NOT NULL,
    target  text        NOT NULL,
    client  text        NOT NULL,  -- the remote address
    detail  text        NOT NULL DEFAULT ''
);
CREATE INDEX admin_audit_at ON admin_audit (at);

-- A dead letter an operator decided not to send: discarded, with the reason,
-- who and when; it leaves the dead-letter list and is never sent.
ALTER TABLE outbound_messages DROP CONSTRAINT outbound_messages_status_check;
ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_status_check
    CHECK (status IN ('pending', 'sent', 'dead', 'discarded'));
ALTER TABLE outbound_messages
    ADD COLUMN discarded_at timestamptz,
    ADD COLUMN discarded_by text,
    ADD COLUMN discard_reason text;
