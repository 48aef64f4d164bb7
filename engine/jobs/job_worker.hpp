// What the job worker process (`radbridge-worker jobs`) runs: `job_workers`
// threads that claim and run jobs (job_runner.hpp), each with its own lease
// keeper, woken by radbridge_jobs notifications and by the next job's due
// time (work_loops.hpp). Leases are taken in the name `owner` ("host:pid"),
// so the engine that started this process can release them if it dies. The
// constructor loads the registry and the mappings (throwing mapping_error /
// registry_error like serve); `start` loads every model the routes use
// before the first claim (throwing infer_error for a model that fails its
// hash); `stop` (also the destructor) lets each thread finish its job in
// hand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "infer/model_registry.hpp"
#include "jobs/job_events.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/lease_keeper.hpp"
#include "jobs/study_source.hpp"
#include "jobs/work_loops.hpp"
#include "route/mapping.hpp"

namespace radbridge::jobs {

class job_worker {
 public:
  // `events`: where job outcomes and stage timings go (job_events.hpp).
  job_worker(std::string conninfo, config::pipeline_settings settings, std::string engine_version, std::string owner,
             event_sink events = event_sink(-1));
  ~job_worker();
  job_worker(const job_worker&) = delete;
  job_worker& operator=(const job_worker&) = delete;

  void start();
  void stop();

 private:
  std::string conninfo_;
  config::pipeline_settings settings_;
  infer::model_registry registry_;
  route::mapping_set mappings_;
  std::unique_ptr<study_source> studies_;
  std::unique_ptr<job_runner> runner_;
  std::vector<std::unique_ptr<lease_keeper>> keepers_;
  work_loops loops_;  // last: its threads use everything above
};

}  // namespace radbridge::jobs
