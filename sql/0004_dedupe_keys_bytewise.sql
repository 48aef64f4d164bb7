-- The dedupe key (MSH-3, MSH-4, MSH-10) matches byte for byte: compare it in
-- the "C" collation rather than the database's locale, which is also what
-- keeps the unique index cheap on every insert (no locale-aware comparison).
ALTER TABLE inbound_messages
    ALTER COLUMN sending_application TYPE text COLLATE "C",
    ALTER COLUMN sending_facility TYPE text COLLATE "C",
    ALTER COLUMN control_id TYPE text COLLATE "C";
