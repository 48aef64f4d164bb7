// The job queue: routing received inbound messages into jobs, claiming jobs
// with a lease, and finishing them with their results, audit rows and
// outbound rows in one transaction.
//
// `route_received` claims up to `limit` inbound rows in status 'received'
// (arrival order, FOR UPDATE SKIP LOCKED, so several engines share the work)
// and, in the same transaction, creates the jobs `decide` returns for each
// and sets the row's status ('routed' with jobs, 'filtered' without, 'failed'
// when it cannot be read); a job already there for (inbound row, route) is
// not created twice. `claim_job` takes the oldest queued job that is due (or
// one whose lease expired: a worker died) and leases it. No row lock is held
// after a call returns. Every function throws store_error (store_error.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace radbridge::store {

struct new_job {
  std::string route;
  std::string study_key_kind;  // accession | study_uid
  std::string study_key;
  std::string mode;            // silent | assist | active
};

struct routing_decision {
  std::string status;  // routed | filtered | failed
  std::vector<new_job> jobs;
};

// Returns how many inbound rows were routed (0: none waiting).
std::size_t route_received(database& db, std::size_t limit,
                           const std::function<routing_decision(std::int64_t inbound_id, std::string_view payload)>& decide);

struct claimed_job {
  std::int64_t id = 0;
  std::int64_t inbound_id = 0;
  std::string route;
  std::string study_key_kind;
  std::string study_key;
  std::string mode;
  int attempts = 0;       // including this one
  std::string order;      // the inbound message's bytes
};

std::optional<claimed_job> claim_job(database& db, std::chrono::seconds lease);

struct audit_row {
  std::string study_uid;
  std::string series_uid;
  std::string model;
  std::string model_version;
  std::string model_sha256;
  std::string timings_json;   // {"step": ms, ...}
  std::string findings_json;  // [...]
};

struct outbound_row {
  std::string destination;
  std::string output;  // oru | adt | observation | sr
  std::string identity;
  std::string study_uid;
  std::string payload;
};

// One transaction: the job done with its acuity and results, the audit
// rows, and the outbound rows (an outbound row already there for the same
// destination, output and identity is kept as it is).
void finish_job(database& db, std::int64_t job_id, std::string_view acuity, std::string_view results_json,
                const std::vector<audit_row>& audit, const std::vector<outbound_row>& outbound);

// A failure that may pass: queued again after `delay`, with the reason.
void retry_job(database& db, std::int64_t job_id, std::chrono::milliseconds delay, std::string_view error);

// A failure that will not pass: the job is failed, with the reason.
void fail_job(database& db, std::int64_t job_id, std::string_view error);

}  // namespace radbridge::store
