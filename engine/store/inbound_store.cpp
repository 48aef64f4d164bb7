#include "store/inbound_store.hpp"

#include <map>
#include <tuple>

#include "store/database_impl.hpp"

namespace radbridge::store {

namespace {

// PostgreSQL array literals, so a whole group travels in one statement.
class array_literal {
 public:
  void text(std::string_view value) {
    open();
    for (char c : value) {
      if (c == '"' || c == '\\') out_.push_back('\\');
      out_.push_back(c);
    }
    out_.push_back('"');
  }
  void bytes(std::string_view value) {
    static constexpr char hex[] = "0123456789abcdef";
    open();
    out_ += "\\\\x";  // bytea hex format, its backslash escaped for the array
    std::size_t at = out_.size();
    out_.resize(at + 2 * value.size());
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      out_[at++] = hex[u >> 4];
      out_[at++] = hex[u & 15];
    }
    out_.push_back('"');
  }
  std::string str() const { return out_ + "}"; }

 private:
  void open() {
    out_.push_back(out_.size() == 1 ? '"' : ',');
    if (out_.back() == ',') out_.push_back('"');
  }
  std::string out_ = "{";
};

using key = std::tuple<std::string, std::string, std::string>;

struct existing_row {
  std::int64_t id;
  std::string sha256;
  std::string ack;
};

std::string as_bytes(const pqxx::field& f) { return pqxx::binarystring(f).str(); }

}  // namespace

std::vector<inbound_result> store_inbound(database& db, std::span<const inbound_message> group) {
  if (group.empty()) return {};
  array_literal interface, app, facility, control, type, trigger, payload, sha, ack_code, ack;
  for (const inbound_message& m : group) {
    interface.text(m.interface);
    app.text(m.sending_application);
    facility.text(m.sending_facility);
    control.text(m.control_id);
    type.text(m.message_type);
    trigger.text(m.trigger_event);
    payload.bytes(m.payload);
    sha.bytes(m.payload_sha256);
    ack_code.text(m.ack_code);
    ack.bytes(m.ack);
  }
  return guarded(db.handle(), [&](pqxx::connection& c) {
    // One autocommitted statement inserts the group (no BEGIN/COMMIT round
    // trips; with synchronous_commit on it returns after the fsync); keys
    // already stored, or repeated in the group, are skipped and looked up by
    // a second statement, which only reads.
    pqxx::nontransaction tx(c);
    const pqxx::result inserted =
        tx.exec_prepared("inbound_insert_group", interface.str(), app.str(), facility.str(), control.str(), type.str(),
                         trigger.str(), payload.str(), sha.str(), ack_code.str(), ack.str());
    std::map<key, existing_row> rows;  // the stored row of every key in the group
    std::map<key, bool> inserted_now;  // true until the first matching message claims it
    for (const pqxx::row& r : inserted) {
      const key k{r[1].c_str(), r[2].c_str(), r[3].c_str()};
      rows[k] = {r[0].as<std::int64_t>(), as_bytes(r[4]), {}};
      inserted_now[k] = true;
    }
    if (inserted.size() < group.size()) {
      // Some keys were already there, or repeated within the group: their
      // stored rows, with the ACK that was sent for them.
      for (const pqxx::row& r : tx.exec_prepared("inbound_by_keys", app.str(), facility.str(), control.str())) {
        rows[{r[1].c_str(), r[2].c_str(), r[3].c_str()}] = {r[0].as<std::int64_t>(), as_bytes(r[4]), as_bytes(r[5])};
      }
    }
    std::vector<inbound_result> results;
    results.reserve(group.size());
    for (const inbound_message& m : group) {
      const key k{m.sending_application, m.sending_facility, m.control_id};
      const existing_row& row = rows.at(k);
      auto fresh = inserted_now.find(k);
      if (row.sha256 != m.payload_sha256) {
        results.push_back({inbound_outcome::conflict, row.id, {}});
      } else if (fresh != inserted_now.end() && fresh->second) {
        fresh->second = false;
        results.push_back({inbound_outcome::stored, row.id, {}});
      } else {
        results.push_back({inbound_outcome::duplicate, row.id, row.ack});
      }
    }
    return results;
  });
}

}  // namespace radbridge::store
