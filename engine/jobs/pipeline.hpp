// What `serve` runs beside the listeners when the configuration has a
// "pipeline" section, per role: `route` (the router), `deliver` (one lane
// per destination) and `jobs` (the job worker process, started and
// restarted by a worker_supervisor, so a crash in fetch, decode or inference
// never stops ingest or delivery). Roles may run in separate engines against
// one database; several engines share the work without doing anything twice
// (rows are claimed with FOR UPDATE SKIP LOCKED and fenced leases).
//
// The constructor loads the model registry and the mappings (throwing
// mapping_error / registry_error, so `serve` refuses to start on an invalid
// mapping) and builds one sender per destination; it connects to nothing.
// `start` starts the threads and the worker; `stop` (also the destructor)
// lets each finish the step in hand. Idle threads sleep until PostgreSQL
// announces work for them, until their next row is due, or for `poll` at
// most (work_loops.hpp).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "deliver/delivery_metrics.hpp"
#include "deliver/sender.hpp"
#include "infer/model_registry.hpp"
#include "jobs/job_events.hpp"
#include "jobs/work_loops.hpp"
#include "jobs/worker_supervisor.hpp"
#include "route/mapping.hpp"

namespace radbridge::jobs {

struct pipeline_roles {
  bool route = true;
  bool jobs = true;
  bool deliver = true;
};

// How to start the job worker process.
struct worker_launch {
  std::string binary;       // radbridge-worker
  std::string config_file;  // the configuration serve was started with
};

class pipeline {
 public:
  pipeline(std::string conninfo, config::pipeline_settings settings, pipeline_roles roles, worker_launch worker);
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  void start();
  void stop();

  const route::mapping_set& mappings() const noexcept { return mappings_; }
  const infer::model_registry& registry() const noexcept { return registry_; }
  const deliver::delivery_stats& delivery_stats() const noexcept { return delivery_stats_; }
  const jobs::job_stats& job_stats() const noexcept { return job_stats_; }  // from the worker's events

 private:
  std::string conninfo_;
  config::pipeline_settings settings_;
  pipeline_roles roles_;
  worker_launch worker_;
  infer::model_registry registry_;
  route::mapping_set mappings_;
  std::vector<std::pair<std::string, std::unique_ptr<deliver::sender>>> lanes_;
  deliver::delivery_stats delivery_stats_;  // the lanes count into it
  jobs::job_stats job_stats_;               // the supervisor's reader counts into it
  std::unique_ptr<worker_supervisor> supervisor_;
  work_loops loops_;  // last: its threads use the lanes and the mappings
};

}  // namespace radbridge::jobs
