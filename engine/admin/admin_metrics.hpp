// The admin server's own part of /metrics: build and model information,
// the process (resident memory, open file descriptors, start time), and
// the database's state, backlog and drift monitors as gauges. Backlog and
// drift gauges are left out while the database does not answer
// (radbridge_database_up 0) or its schema is not this build's.
#pragma once

#include <chrono>

#include "admin/admin_server.hpp"
#include "admin/database_thread.hpp"
#include "core/metrics.hpp"

namespace radbridge::admin {

void write_admin_metrics(metrics::exposition& out, const admin_sources& sources, const database_state& db,
                         std::chrono::system_clock::time_point started);

}  // namespace radbridge::admin
