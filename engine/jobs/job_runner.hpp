// A job worker's step: claim one due job, fetch its study, run the route's
// models, build the outputs and store everything in one transaction.
//
// `run_one` claims the oldest due job (store/job_store.hpp, with a lease; no
// row lock is held while fetching or inferring) and:
// - fetches the study by the job's key with the route's series rule; a
//   transient failure (PACS unreachable, timeout, 5xx) or a study not found
//   (its images may still be on their way) is tried again after a backoff
//   that doubles per attempt, up to `job_attempts`, then the job fails; any
//   other fetch error (no matching series, undecodable, inconsistent)
//   fails it at once;
// - runs each model of the route (a model's own error fails the job);
// - builds the outputs (results/outputs.hpp) and, in one transaction, marks
//   the job done with its acuity and findings, writes one audit row per
//   inference and one outbound row per (output, destination) — none for a
//   silent route, which only infers and audits.
// A job whose route is no longer in the mappings, or whose order cannot be
// read, fails with the reason. Returns false when no job was due. Store
// errors propagate (the caller backs off; the lease lets another worker
// take the job over). Logs carry job ids, routes and codes, never patient
// data.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/config.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"
#include "jobs/study_source.hpp"
#include "route/mapping.hpp"
#include "store/database.hpp"

namespace radbridge::jobs {

class job_runner {
 public:
  job_runner(const route::mapping_set& mappings, const infer::model_registry& registry, const study_source& studies,
             const config::pipeline_settings& settings, std::string engine_version);

  bool run_one(store::database& db);

 private:
  const infer::model_runner& runner_for(const std::string& model_id);

  const route::mapping_set& mappings_;
  const infer::model_registry& registry_;
  const study_source& studies_;
  const config::pipeline_settings& settings_;
  std::string engine_version_;
  std::mutex runners_mutex_;
  std::map<std::string, std::unique_ptr<infer::model_runner>> runners_;
};

}  // namespace radbridge::jobs
