#include "store/statements.hpp"

namespace radbridge::store {

void prepare_statements(pqxx::connection& c) {
  c.prepare("inbound_by_keys",
            "SELECT id, interface, sending_application, sending_facility, control_id, payload_sha256, ack"
            " FROM inbound_messages WHERE (interface, sending_application, sending_facility, control_id) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]))");
}

std::string inbound_insert_sql(std::size_t rows, insert_conflicts conflicts) {
  std::string sql =
      "INSERT INTO inbound_messages (interface, sending_application, sending_facility, control_id,"
      " message_type, trigger_event, payload, payload_sha256, ack_code, ack) VALUES ";
  std::size_t parameter = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (std::size_t c = 0; c < inbound_insert_columns; ++c) {
      if (c > 0) sql += ',';
      sql += '$';
      sql += std::to_string(parameter++);
    }
    sql += ')';
  }
  if (conflicts == insert_conflicts::skip) sql += " ON CONFLICT ON CONSTRAINT inbound_messages_dedupe DO NOTHING";
  sql += " RETURNING id, control_id";
  return sql;
}

std::array<const std::string*, inbound_insert_columns> inbound_insert_values(const inbound_message& m) {
  return {&m.interface,    &m.sending_application, &m.sending_facility, &m.control_id, &m.message_type,
          &m.trigger_event, &m.payload,             &m.payload_sha256,   &m.ack_code,   &m.ack};
}

std::string inbound_insert_name(std::size_t rows, insert_conflicts conflicts) {
  return "inbound_insert_" + std::to_string(rows) + (conflicts == insert_conflicts::skip ? "_skip" : "");
}

}  // namespace radbridge::store
