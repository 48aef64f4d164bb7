#include "store/inbound_store.hpp"

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

pqxx::binarystring bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

std::string as_string(const pqxx::field& f) {
  const pqxx::binarystring b(f);
  return b.str();
}

}  // namespace

std::vector<inbound_result> store_inbound(database& db, std::span<const inbound_message> group) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    std::vector<inbound_result> results;
    results.reserve(group.size());
    pqxx::work tx(c);
    for (const inbound_message& m : group) {
      const pqxx::result inserted =
          tx.exec_prepared("inbound_insert", m.interface, m.sending_application, m.sending_facility, m.control_id,
                           m.message_type, m.trigger_event, bytes(m.payload), bytes(m.payload_sha256), m.ack_code,
                           bytes(m.ack));
      if (!inserted.empty()) {
        results.push_back({inbound_outcome::stored, inserted[0][0].as<std::int64_t>(), {}});
        continue;
      }
      const pqxx::row earlier =
          tx.exec_prepared1("inbound_by_key", m.sending_application, m.sending_facility, m.control_id);
      const bool same = as_string(earlier[1]) == m.payload_sha256;
      results.push_back({same ? inbound_outcome::duplicate : inbound_outcome::conflict,
                         earlier[0].as<std::int64_t>(), same ? as_string(earlier[2]) : std::string{}});
    }
    tx.commit();
    return results;
  });
}

}  // namespace radbridge::store
