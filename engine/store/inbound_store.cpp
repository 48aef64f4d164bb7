#include "store/inbound_store.hpp"

#include <map>
#include <set>
#include <tuple>

#include "store/database_impl.hpp"
#include "store/statements.hpp"
#include "store/text_array.hpp"

namespace radbridge::store {

namespace {

// Every column of every row as a binary parameter (inbound_insert_values).
std::vector<pqxx::binarystring> insert_parameters(std::span<const inbound_message> group) {
  std::vector<pqxx::binarystring> p;
  p.reserve(group.size() * inbound_insert_columns);
  for (const inbound_message& m : group) {
    for (const std::string* column : inbound_insert_values(m)) p.emplace_back(column->data(), column->size());
  }
  return p;
}

// The name of the statement inserting `rows` messages, registered on this
// connection at its first use (libpqxx prepares it on the server then).
std::string insert_statement(database::impl& db, pqxx::connection& c, std::size_t rows, insert_conflicts conflicts) {
  std::string name = inbound_insert_name(rows, conflicts);
  if (db.prepared_inserts.insert(name).second) c.prepare(name, inbound_insert_sql(rows, conflicts));
  return name;
}

// (interface, MSH-3, MSH-4, MSH-10)
using key = std::tuple<std::string, std::string, std::string, std::string>;

struct existing_row {
  std::int64_t id;
  std::string sha256;
  std::string ack;
};

std::string as_bytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

}  // namespace

std::vector<inbound_result> store_inbound(database& db, std::span<const inbound_message> group) {
  if (group.empty()) return {};
  const std::vector<pqxx::binarystring> parameters = insert_parameters(group);
  return guarded(db.handle(), [&](pqxx::connection& c) {
    // One autocommitted statement inserts the group (no BEGIN/COMMIT round
    // trips; with synchronous_commit on it returns after the fsync). The
    // plain INSERT is the fast path; when a key is already stored (a
    // resend) or repeated in the group it fails as a whole, storing
    // nothing, and the group goes again with ON CONFLICT DO NOTHING, which
    // skips those keys at the cost of a second index probe for every row.
    // Skipped keys are then looked up by a statement that only reads.
    auto insert = [&](insert_conflicts conflicts) {
      pqxx::nontransaction tx(c);
      return tx.exec_prepared(insert_statement(db.handle(), c, group.size(), conflicts),
                              pqxx::prepare::make_dynamic_params(parameters));
    };
    pqxx::result inserted;
    try {
      inserted = insert(insert_conflicts::fail);
    } catch (const pqxx::unique_violation&) {
      inserted = insert(insert_conflicts::skip);
    }
    std::vector<inbound_result> results;
    results.reserve(group.size());
    // Every row stored, returned in the order of the VALUES list (checked
    // through the control ids: the order is PostgreSQL's behaviour, not a
    // documented promise): the common case needs no lookup.
    if (inserted.size() == group.size()) {
      for (const pqxx::row& r : inserted) {
        if (std::string_view(r[1].c_str(), r[1].size()) != group[results.size()].control_id) break;
        results.push_back({inbound_outcome::stored, r[0].as<std::int64_t>(), {}});
      }
      if (results.size() == group.size()) return results;
      results.clear();
    }
    // Some keys were already there, or repeated within the group: the
    // stored row of every key, with the ACK that was sent for it.
    std::set<std::int64_t> inserted_now;  // erased when a message claims it
    for (const pqxx::row& r : inserted) inserted_now.insert(r[0].as<std::int64_t>());
    text_array iface, app, facility, control;
    for (const inbound_message& m : group) {
      iface.add(m.interface);
      app.add(m.sending_application);
      facility.add(m.sending_facility);
      control.add(m.control_id);
    }
    std::map<key, existing_row> rows;
    pqxx::nontransaction tx(c);
    for (const pqxx::row& r :
         tx.exec_prepared("inbound_by_keys", iface.str(), app.str(), facility.str(), control.str())) {
      rows[{r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str()}] = {r[0].as<std::int64_t>(), as_bytes(r[5]),
                                                                        as_bytes(r[6])};
    }
    for (const inbound_message& m : group) {
      const existing_row& row = rows.at(key{m.interface, m.sending_application, m.sending_facility, m.control_id});
      if (row.sha256 != m.payload_sha256) {
        results.push_back({inbound_outcome::conflict, row.id, {}});
      } else if (inserted_now.erase(row.id) > 0) {
        results.push_back({inbound_outcome::stored, row.id, {}});
      } else {
        results.push_back({inbound_outcome::duplicate, row.id, row.ack});
      }
    }
    return results;
  });
}

}  // namespace radbridge::store
