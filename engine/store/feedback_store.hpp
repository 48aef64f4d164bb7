// Radiologists' verdicts on the AI's findings (sql/0015_feedback.sql), and
// the rows a validation report is computed from (review/validation.hpp).
//
// A report's verdicts are stored in the routing transaction of the report
// message (job_store.hpp's routing_decision::reports): a corrected report
// replaces every verdict an earlier report gave on the study; a final
// report on a study that already has report verdicts is an addendum and
// replaces only the verdicts it states. A manual verdict (agree or
// disagree with the route's latest result on the study) replaces the
// previous manual verdict on that finding. Replaced rows stay, superseded.
// Where both exist, a manual verdict counts over the report's.
// Every function throws store_error (store_error.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"

namespace radbridge::store {

struct stated_finding {
  std::string label;
  std::optional<work::verdict> verdict;
  std::optional<double> value;
};

// A report read by a route's feedback rules (review/report_reading.hpp).
struct report_feedback {
  std::string route;
  std::string study_key;
  work::report_status status = work::report_status::final;  // final or corrected; the store finds addenda
  std::string report_time;
  std::vector<stated_finding> findings;
};

struct feedback_entry {
  std::int64_t id = 0;
  std::string route;
  std::string study_key;
  std::string label;
  work::feedback_source source = work::feedback_source::report;
  std::optional<work::verdict> verdict;
  std::optional<double> value;
  std::optional<work::report_status> report_status;
  std::string report_time;
  std::int64_t inbound_id = 0;  // report: the message
  std::int64_t job_id = 0;      // manual: the result judged
  std::optional<work::verdict> ai_verdict;  // manual
  std::string author;
  std::string comment;
  std::string recorded_at;    // ISO 8601 UTC
  std::string superseded_at;  // empty while current
};

struct manual_verdict {
  std::string route;
  std::string study_key;
  std::string label;
  bool agree = true;
  std::string comment;
  std::string author;
};

// recorded, or why not: the route has no done result on the study, or that
// result has no present/absent finding with that label.
struct manual_outcome {
  enum class kind { recorded, no_result, no_finding };
  kind what = kind::recorded;
  feedback_entry entry;
};
manual_outcome record_manual_verdict(database& db, const manual_verdict& v);

// Every verdict on the study (all routes), current and superseded, oldest first.
std::vector<feedback_entry> study_feedback(database& db, std::string_view study_key);

// One row per finding of each route's latest done, not withdrawn, job per
// study created at or after `since` (ISO 8601 date or time; empty: all),
// of `model` (empty: all), with the current verdict on it.
struct scored_finding {
  std::int64_t job_id = 0;
  std::string study_key;
  std::string model;
  std::string version;
  std::string mode;
  std::string week;  // the Monday of the job's creation, YYYY-MM-DD
  double result_ms = 0;                  // the order's arrival to the job done
  std::optional<double> notification_ms;  // ... to its first output delivered
  std::string label;
  std::optional<bool> present;
  std::optional<double> probability;
  std::optional<double> value;
  std::optional<work::verdict> verdict;
  std::optional<double> radiologist_value;
};
std::vector<scored_finding> scored_findings(database& db, std::string_view route, std::string_view since,
                                            std::string_view model);

}  // namespace radbridge::store
