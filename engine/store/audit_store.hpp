// What happened to one study: its jobs (by study key: an accession number or
// a Study Instance UID), each job's inferences and each outbound message,
// for `radbridge audit`. Read-only; throws store_error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"
#include "store/outbound_store.hpp"

namespace radbridge::store {

struct inference_record {
  std::string study_uid;
  std::string series_uid;
  std::string model;
  std::string model_version;
  std::string model_sha256;
  std::string timings_json;
  std::string findings_json;
  std::string created_at;  // ISO 8601, UTC
};

struct job_record {
  std::int64_t id = 0;
  std::int64_t inbound_id = 0;
  std::string control_id;  // MSH-10 of the message that started it
  std::string route;
  work::rollout_mode mode = work::rollout_mode::silent;
  work::job_status status = work::job_status::queued;
  std::string acuity;
  int attempts = 0;
  std::string error;
  std::string created_at;   // ISO 8601, UTC
  std::string finished_at;  // empty while not finished
  std::string cancelled_by;  // MSH-10 of the order cancel that ended or withdrew it; empty: none
  bool withdrawn = false;    // its results were withdrawn
  std::vector<inference_record> inferences;
  std::vector<outbound_status> outbound;
};

std::vector<job_record> audit_study(database& db, std::string_view study_key);

}  // namespace radbridge::store
