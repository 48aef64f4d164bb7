-- The dedupe key is scoped to the interface a message arrived on:
-- (interface, MSH-3, MSH-4, MSH-10). MSH-3 and MSH-4 are whatever a sender
-- writes, so with one key across all interfaces any peer could store a RIS's
-- predictable control ids first and have the RIS's real messages answered
-- AE 205 and dropped. Rows stored before are unique under the wider key as
-- they were under the narrower one, so nothing has to move. The interface
-- name compares byte for byte like the rest of the key (see 0004), and MSH-10
-- still leads the index (see 0005).
ALTER TABLE inbound_messages ALTER COLUMN interface TYPE text COLLATE "C";
ALTER TABLE inbound_messages
    DROP CONSTRAINT inbound_messages_dedupe,
    ADD CONSTRAINT inbound_messages_dedupe UNIQUE (control_id, interface, sending_application, sending_facility);
