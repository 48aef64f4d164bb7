#include "store/destination_store.hpp"

#include "store/database_impl.hpp"
#include "store/notifications.hpp"

namespace radbridge::store {

std::vector<destination_state> destination_states(database& db, const std::vector<std::string>& names) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<destination_state> out;
    for (const std::string& name : names) {
      destination_state d;
      d.name = name;
      // Each read goes through an index: outbound_lane, outbound_dead, delivery_attempts_last(_failure).
      const pqxx::row lane = tx.exec_params1(
          "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
          "FROM outbound_messages WHERE destination = $1 AND status = 'pending'",
          name);
      d.pending = lane[0].as<std::int64_t>();
      d.oldest_pending_seconds = lane[1].as<double>();
      d.dead = tx.exec_params1("SELECT count(*) FROM outbound_messages WHERE destination = $1 AND status = 'dead'",
                               name)[0]
                   .as<std::int64_t>();
      for (const pqxx::row& r : tx.exec_params("SELECT outcome, " + utc_text("at") +
                                                   " FROM delivery_attempts WHERE destination = $1 "
                                                   "ORDER BY id DESC LIMIT 1",
                                               name)) {
        d.last_outcome = r[0].c_str();
        d.last_attempt_at = r[1].c_str();
      }
      for (const pqxx::row& r : tx.exec_params("SELECT error, " + utc_text("at") +
                                                   " FROM delivery_attempts WHERE destination = $1 "
                                                   "AND outcome <> 'sent' ORDER BY id DESC LIMIT 1",
                                               name)) {
        d.last_error = r[0].c_str();
        d.last_failure_at = r[1].c_str();
      }
      for (const pqxx::row& r : tx.exec_params("SELECT paused_by, " + utc_text("paused_at") +
                                                   ", reason FROM destination_pauses WHERE destination = $1",
                                               name)) {
        d.paused = destination_pause{r[0].c_str(), r[1].c_str(), r[2].c_str()};
      }
      out.push_back(std::move(d));
    }
    return out;
  });
}

bool pause_destination(database& db, std::string_view name, std::string_view who, std::string_view reason) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params(
        "INSERT INTO destination_pauses (destination, paused_by, reason) VALUES ($1, $2, $3) "
        "ON CONFLICT (destination) DO NOTHING",
        std::string(name), std::string(who), std::string(reason));
    tx.commit();
    return r.affected_rows() == 1;
  });
}

bool resume_destination(database& db, std::string_view name) {
  return guarded(db.handle(), [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_params("DELETE FROM destination_pauses WHERE destination = $1", std::string(name));
    // The lane's worker waits on this channel: it sends again at once.
    if (r.affected_rows() == 1) tx.exec_params("SELECT pg_notify($1, $2)", std::string(outbound_channel), std::string(name));
    tx.commit();
    return r.affected_rows() == 1;
  });
}

}  // namespace radbridge::store
