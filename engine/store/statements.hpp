// Private to engine/store: every named SQL statement, prepared once per
// connection (libpqxx prepares them on the server at first use).
#pragma once

#include <pqxx/pqxx>

namespace radbridge::store {

void prepare_statements(pqxx::connection& c);

}  // namespace radbridge::store
