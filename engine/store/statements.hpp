// Private to engine/store: every named SQL statement, prepared once per
// connection (libpqxx prepares them on the server at first use).
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include <pqxx/pqxx>

#include "store/inbound_store.hpp"

namespace radbridge::store {

void prepare_statements(pqxx::connection& c);

// What an insert does with a dedupe key already stored (or repeated in it):
// fail as a whole (unique_violation), or skip that row.
enum class insert_conflicts { fail, skip };

// The SQL inserting `rows` inbound messages as one multi-row VALUES list
// ($1..$10 the first row's columns, $11..$20 the second's, ...); returns
// the id and key of every row it inserted.
std::string inbound_insert_sql(std::size_t rows, insert_conflicts conflicts);

// How many parameters each row of inbound_insert_sql takes, and their values
// for one message, in order: interface, sending_application,
// sending_facility, control_id, message_type, trigger_event, payload,
// payload_sha256, ack_code, ack. Every one goes in binary format: bytea and
// text are both sent as their bytes (the server still checks the encoding).
inline constexpr std::size_t inbound_insert_columns = 10;
std::array<const std::string*, inbound_insert_columns> inbound_insert_values(const inbound_message& m);

// The name inbound_insert_sql(rows, conflicts) is prepared under.
std::string inbound_insert_name(std::size_t rows, insert_conflicts conflicts);

}  // namespace radbridge::store
