// A job worker's step: claim one due job, wait for its study to settle,
// fetch it, check it is the order's patient and study, run the route's
// models, build the outputs and store everything in one transaction.
//
// `run_one` first fails jobs whose lease ran out on their last allowed
// attempt (attempts_exhausted), then claims the oldest due job
// (store/job_store.hpp; the keeper renews its lease meanwhile) and:
// - locates the route's series; while the study is not found, has no
//   matching series, is still growing (its instance count changed within the
//   route's `settle`), has fewer instances than expected, or has gaps
//   (inconsistent_series), the job waits and is checked again, up to the
//   route's `max_wait` after the order; then it fails as study_not_ready
//   with what was missing (a series first seen complete after the wait
//   still gets its settle check);
// - refuses a study whose UID is not the one the order names
//   (study_mismatch) or whose patient is not the order's (patient_mismatch):
//   nothing is built or sent;
// - a transient fetch error (the PACS unreachable, timed out, 5xx, 408,
//   429) within the route's `max_wait` makes the job wait like a study not
//   yet there (a quarter of the wait so far, 1 to 30 s), without using an
//   attempt; after it, or any exception from fetch, decode or a model
//   (torch, DCMTK, bad_alloc), ends the attempt: tried again after a backoff
//   that doubles, then failed as attempts_exhausted; a permanent one
//   (undecodable, a model file that fails its hash) fails at once;
// - a study version (the chosen series' instances) that the route's latest
//   done job already read ends the job as a duplicate trigger: nothing runs;
// - on success marks the job done with its acuity and results, one audit row
//   per inference and one outbound row per (output, destination) — none for
//   a silent route. After an earlier version of the study, findings that
//   did not change send nothing; changed ones go out as corrections (ORU
//   OBX-11 C, Observation amended, a new SR naming its predecessor). The
//   withdrawal of what was sent (ORU OBX-11 W, Observations
//   entered-in-error) is built too and kept for an order cancel.
// Every write names the job's lease; a worker whose lease was lost logs
// lease_lost and drops its work. Returns false when no job was due. Store
// errors outside an attempt propagate; within one they end it like any
// exception (a permanent one's text, which may quote row values, is not
// kept). Logs carry job ids, routes and reason words; jobs.error the reason
// word and what failed (step, HTTP status, attribute), naming identifiers
// only by fetch::reference_of: never patient data, accession numbers or UIDs.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/config.hpp"
#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"
#include "jobs/job_events.hpp"
#include "jobs/lease_keeper.hpp"
#include "jobs/study_source.hpp"
#include "route/mapping.hpp"
#include "store/database.hpp"
#include "store/job_store.hpp"

namespace radbridge::jobs {

// What one attempt at a job came to; `run_one` records it.
struct job_outcome {
  enum class kind { done, duplicate, wait, retry, fail };
  kind what = kind::fail;
  std::string reason;  // fail, retry: one word (patient_mismatch, fetch, ...); wait: empty, or pacs_<kind>
  std::string error;   // fail, retry: the detail, without patient data
  std::chrono::milliseconds delay{0};  // wait, retry
  store::study_probe probe;            // wait
  store::job_result result;            // done
  std::int64_t duplicate_of = 0;       // duplicate
};

class job_runner {
 public:
  job_runner(const route::mapping_set& mappings, const infer::model_registry& registry, const study_source& studies,
             const config::pipeline_settings& settings, std::string engine_version, std::string owner = {},
             event_sink events = event_sink(-1));

  bool run_one(store::database& db, lease_keeper& keeper);

  // Loads (hash-checks and warms up) every model the routes use, so the
  // first study does not wait for it; throws infer_error like a job would.
  void load_models();

 private:
  job_outcome attempt(store::database& db, const store::claimed_job& job);
  job_outcome run_route(store::database& db, const store::claimed_job& job, const route::route& r,
                        const hl7::message& order);
  job_outcome retry_or_fail(const store::claimed_job& job, std::string reason, std::string error) const;
  const infer::model_runner& runner_for(const std::string& model_id);

  const route::mapping_set& mappings_;
  const infer::model_registry& registry_;
  const study_source& studies_;
  const config::pipeline_settings& settings_;
  std::string engine_version_;
  std::string owner_;  // the lease owner name of this process
  event_sink events_;
  std::mutex runners_mutex_;
  std::map<std::string, std::unique_ptr<infer::model_runner>> runners_;
};

}  // namespace radbridge::jobs
