#include "store/backlog_store.hpp"

#include <algorithm>

#include "migrations.hpp"
#include "store/database_impl.hpp"

namespace radbridge::store {

backlog read_backlog(database& db) {
  return guarded(db.handle(), [](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    backlog b;
    const pqxx::row inbound = tx.exec1(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)::float8 "
        "FROM inbound_messages WHERE status = 'received'");
    b.inbound_received = inbound[0].as<std::int64_t>();
    b.oldest_received_seconds = inbound[1].as<double>();
    b.inbound_failed = tx.exec1("SELECT count(*) FROM inbound_messages WHERE status = 'failed'")[0].as<std::int64_t>();
    for (const char* status : {"queued", "waiting_for_study", "running"}) b.jobs[status] = 0;
    for (const pqxx::row& r :
         tx.exec("SELECT status, count(*) FROM jobs WHERE status IN ('queued', 'waiting_for_study', 'running') "
                 "GROUP BY status")) {
      b.jobs[r[0].c_str()] = r[1].as<std::int64_t>();
    }
    for (const pqxx::row& r :
         tx.exec("SELECT destination, count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
                 "FROM outbound_messages WHERE status = 'pending' GROUP BY destination")) {
      lane_backlog& lane = b.lanes[r[0].c_str()];
      lane.pending = r[1].as<std::int64_t>();
      lane.oldest_pending_seconds = r[2].as<double>();
    }
    for (const pqxx::row& r :
         tx.exec("SELECT destination, count(*) FROM outbound_messages WHERE status = 'dead' GROUP BY destination")) {
      b.lanes[r[0].c_str()].dead = r[1].as<std::int64_t>();
    }
    return b;
  });
}

int latest_schema_version() noexcept {
  int latest = 0;
  for (const sql::migration& m : sql::migrations()) latest = std::max(latest, m.version);
  return latest;
}

}  // namespace radbridge::store
