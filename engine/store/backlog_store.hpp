// What is waiting in the database, for the admin server's /readyz and
// /metrics: the schema's version, and the rows in their backlog states
// (inbound received, jobs not yet finished, outbound pending per destination)
// and their dead ends (failed inbound, dead outbound). Terminal states that
// grow with every message (routed, done, sent) are not counted here: a
// count of them would scan the tables on every scrape; the counters of the
// stages that move rows there say how many did. Every query uses a partial
// index (sql/0001, 0006, 0009, 0012). Read-only; throws store_error.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "store/database.hpp"

namespace radbridge::store {

struct lane_backlog {
  std::int64_t pending = 0;
  double oldest_pending_seconds = 0;  // 0 when none pending
  std::int64_t dead = 0;
};

struct backlog {
  std::int64_t inbound_received = 0;
  double oldest_received_seconds = 0;  // 0 when none
  std::int64_t inbound_failed = 0;
  std::map<std::string, std::int64_t> jobs;  // by status: queued, waiting_for_study, running (each present)
  std::map<std::string, lane_backlog> lanes;  // by destination, those with pending or dead rows
};

backlog read_backlog(database& db);

// The highest version among the migrations built into this binary.
int latest_schema_version() noexcept;

}  // namespace radbridge::store
