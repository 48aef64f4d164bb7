-- The inbound queue: every HL7 v2 message radbridge acknowledged with AA/CA,
-- stored before the ACK left, exactly once per dedupe key.
CREATE TABLE inbound_messages (
    id                  bigserial   PRIMARY KEY,
    interface           text        NOT NULL,
    sending_application text        NOT NULL,  -- MSH-3, raw
    sending_facility    text        NOT NULL,  -- MSH-4, raw
    control_id          text        NOT NULL,  -- MSH-10, raw
    message_type        text        NOT NULL,  -- MSH-9.1
    trigger_event       text        NOT NULL,  -- MSH-9.2
    received_at         timestamptz NOT NULL DEFAULT now(),
    payload             bytea       NOT NULL,  -- the frame's bytes as received
    payload_sha256      bytea       NOT NULL,
    status              text        NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'routing', 'routed', 'filtered', 'failed')),
    ack_code            text        NOT NULL,  -- MSA-1 of the ACK that was sent
    ack                 bytea       NOT NULL,  -- that ACK, byte for byte, for resends
    CONSTRAINT inbound_messages_dedupe UNIQUE (sending_application, sending_facility, control_id)
);

-- The router claims received rows in arrival order.
CREATE INDEX inbound_messages_received ON inbound_messages (id) WHERE status = 'received';
