// `radbridge-worker jobs --config FILE [--db CONNINFO] [--supervised]`: the
// job worker process (jobs/job_worker.hpp) on the configuration's pipeline
// section, until SIGTERM or SIGINT, when it finishes the jobs in hand and
// exits 0. The database: --db, else RADBRIDGE_DB (how serve passes it), else
// the config's. `--supervised` (serve sets it): the process also ends when
// the engine that started it dies. Leases are taken as "host:pid".
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_jobs(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
