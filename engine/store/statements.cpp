#include "store/statements.hpp"

namespace radbridge::store {

void prepare_statements(pqxx::connection& c) {
  c.prepare("inbound_insert",
            "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id,"
            " message_type, trigger_event, payload, payload_sha256, ack_code, ack)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT ON CONSTRAINT inbound_messages_dedupe DO NOTHING RETURNING id");
  c.prepare("inbound_by_key",
            "SELECT id, payload_sha256, ack FROM inbound_messages"
            " WHERE sending_application = $1 AND sending_facility = $2 AND control_id = $3");
}

}  // namespace radbridge::store
