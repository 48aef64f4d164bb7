#include "store/statements.hpp"

namespace radbridge::store {

void prepare_statements(pqxx::connection& c) {
  // A whole group of inbound messages as parallel arrays, in one statement.
  c.prepare("inbound_insert_group",
            "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id,"
            " message_type, trigger_event, payload, payload_sha256, ack_code, ack)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            " $7::bytea[], $8::bytea[], $9::text[], $10::bytea[])"
            " ON CONFLICT ON CONSTRAINT inbound_messages_dedupe DO NOTHING"
            " RETURNING id, sending_application, sending_facility, control_id, payload_sha256");
  c.prepare("inbound_by_keys",
            "SELECT id, sending_application, sending_facility, control_id, payload_sha256, ack"
            " FROM inbound_messages WHERE (sending_application, sending_facility, control_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))");
}

}  // namespace radbridge::store
