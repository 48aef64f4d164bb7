// What happened to one study: its jobs (by study key: an accession number or
// a Study Instance UID), each job's last readiness probe, its inferences,
// each outbound message and every delivery attempt, for `radbridge audit`
// and the admin API's study trail. Read-only; throws store_error.
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

struct delivery_attempt {
  std::int64_t outbound_id = 0;
  int attempt = 0;      // 1 for the first
  std::string outcome;  // sent, retry, dead
  std::string error;
  std::string at;  // ISO 8601, UTC
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
  std::string failure;  // why it failed, in one word (patient_mismatch, ...); empty: it did not
  std::string probe_series;  // the last readiness probe: the series it watched (empty: none)
  int probe_instances = 0;   // and how many instances it had
  std::string probe_since;   // since when (ISO 8601, UTC)
  std::string created_at;   // ISO 8601, UTC
  std::string finished_at;  // empty while not finished
  std::string cancelled_by;  // MSH-10 of the order cancel that ended or withdrew it; empty: none
  bool withdrawn = false;    // its results were withdrawn
  std::vector<inference_record> inferences;
  std::vector<outbound_status> outbound;
  std::vector<delivery_attempt> deliveries;  // of its outbound rows, in order
};

std::vector<job_record> audit_study(database& db, std::string_view study_key);

}  // namespace radbridge::store
