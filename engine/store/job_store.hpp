// The job queue: routing received inbound messages into jobs, claiming jobs
// with a fenced lease, and moving them through their lifecycle
// (core/work_kinds.hpp, README "Job lifecycle").
//
// `route_received` claims up to `limit` inbound rows in status 'received'
// (arrival order, FOR UPDATE SKIP LOCKED, so several engines share the work)
// and, in the same transaction, creates the jobs `decide` returns for each
// and sets the row's status; a job already there for (inbound row, route) is
// not created twice. A report's verdicts are stored there too. A job takes the route's latest operator-set rollout
// mode (store/route_mode_store.hpp) over the one `decide` gives it. A cancel (an order cancelled: ORC-1 CA or OC) of a
// route's study marks its open jobs cancelled (a worker holding one loses
// its lease) and queues the withdrawals of its latest done job that has
// any, at the back of their lanes. `claim_job` takes the oldest due job (queued, or
// waiting for its study, or running with an expired lease: its worker died)
// and leases it with a fresh token; every later write names that token and
// returns false, writing nothing, when the job is no longer leased by it
// (taken over after expiry, cancelled). A claim counts an attempt; going
// back to wait for the study does not. An ADT that moves a patient
// (patient_move) re-points that patient's open jobs in the routing
// transaction; a job finishing with the patient it was claimed with, after
// its patient moved, is refused and queued again (`requeue_moved_patient`).
// No row lock is held after a call returns. Every function throws
// store_error (store_error.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"
#include "store/feedback_store.hpp"
#include "store/lease.hpp"

namespace radbridge::store {

struct new_job {
  std::string route;
  work::study_key_kind key_kind = work::study_key_kind::accession;
  std::string study_key;
  work::rollout_mode mode = work::rollout_mode::silent;
  std::vector<std::string> patient_ids;  // the order's identifier keys (route/patient_identity.hpp)
};

// An ADT that moves a patient: open jobs whose patient holds any of `links`
// take `current` and the message's PID number `pid_occurrence`.
struct patient_move {
  std::vector<std::string> links;
  std::vector<std::string> current;
  int pid_occurrence = 1;
};

struct study_cancel {
  std::string route;
  std::string study_key;
};

struct routing_decision {
  work::inbound_status status = work::inbound_status::filtered;  // routed | filtered | failed
  std::vector<new_job> jobs;
  std::vector<study_cancel> cancels;
  std::vector<patient_move> moves;
  std::vector<report_feedback> reports;  // a radiologist's report on a route's study (feedback_store.hpp)
};

// Returns how many inbound rows were routed (0: none waiting).
std::size_t route_received(database& db, std::size_t limit,
                           const std::function<routing_decision(std::int64_t inbound_id, std::string_view payload)>& decide);

// What the last readiness check saw of the study (jobs wait for a series to settle).
struct study_probe {
  std::string series_uid;
  int instances = 0;
  double unchanged_ms = 0;  // since this series had this many instances (at claim time)
};

struct claimed_job {
  lease held;
  std::int64_t inbound_id = 0;
  std::string route;
  work::study_key_kind key_kind = work::study_key_kind::accession;
  std::string study_key;
  work::rollout_mode mode = work::rollout_mode::silent;
  int attempts = 0;        // including this one
  double age_ms = 0;       // since the job was created
  std::optional<study_probe> probe;
  std::string order;       // the inbound message's bytes
  // The patient as the job knows it now: its identifier keys, those it held
  // before a merge, and the message (and which PID of it) that moved it
  // there; patient_source 0: the order's own PID.
  std::vector<std::string> patient_ids;
  std::vector<std::string> patient_prior_ids;
  std::int64_t patient_source = 0;
  int patient_segment = 0;
  std::string patient_message;  // the bytes of patient_source's message
};

// `owner` names the claiming worker process ("host:pid"; empty: unnamed).
std::optional<claimed_job> claim_job(database& db, std::chrono::milliseconds lease_length,
                                     std::string_view owner = {});

// The leases `owner` holds run out now (its process died); returns how many.
std::size_t release_leases_of(database& db, std::string_view owner);

// How long until a job is due: the next queued or waiting job's time, or a
// running job's lease end (its worker may have died); nullopt when no job is
// open.
std::optional<std::chrono::milliseconds> next_job_due(database& db);

// Jobs whose lease expired after `max_attempts` attempts (their worker died
// on each, or never came back) fail as attempts_exhausted instead of being
// claimed again. Returns them.
struct exhausted_job {
  std::int64_t id = 0;
  std::string route;
};
std::vector<exhausted_job> fail_exhausted(database& db, int max_attempts);

// Extends a held lease to `lease_length` from now.
bool renew_lease(database& db, const lease& held, std::chrono::milliseconds lease_length);

struct audit_row {
  std::string study_uid;
  std::string series_uid;
  int instances = 0;          // the instances the inference read
  std::string model;
  std::string model_version;
  std::string model_sha256;
  std::string timings_json;   // {"step": ms, ...}
  std::string findings_json;  // [...]
  std::string input_json = "{}";  // what the model was given (infer/input_profile.hpp)
};

struct outbound_row {
  std::string destination;
  work::output_kind output = work::output_kind::oru;
  std::string identity;
  std::string study_uid;
  std::string payload;
  work::revision revision = work::revision::original;
};

// What a job produced: its acuity and results, the version of the study it
// read, one audit row per inference, the outbound rows to queue now and the
// withdrawal rows kept for a later cancel (their revision is ignored).
struct job_result {
  std::string acuity;
  std::string results_json;
  std::string study_version;
  std::vector<audit_row> audit;
  std::vector<outbound_row> outbound;
  std::vector<outbound_row> withdrawals;
  std::int64_t patient_source = 0;  // the claimed job's: the patient the outputs were built for
};

// One transaction: the job done with all of `result`. False, writing
// nothing, when the lease is lost or the job's patient moved since the claim.
bool finish_job(database& db, const lease& held, const job_result& result);

// After a refused finish: when the job is still held but its patient moved
// away from `patient_source`, it is queued again at once (the attempt given
// back) and true is returned; false when the lease is lost.
bool requeue_moved_patient(database& db, const lease& held, std::int64_t patient_source);

// The latest done job of a route for a study: the version it read.
struct done_version {
  std::int64_t job_id = 0;
  std::string study_version;
};
std::optional<done_version> latest_done(database& db, std::string_view route, std::string_view study_key);

// Whether a job's inferences found exactly `findings_json` (a JSON array with
// each model's findings array, in the route's order).
bool same_findings(database& db, std::int64_t job_id, std::string_view findings_json);

// The trigger found nothing new: the study version is the one `done_by` did.
bool mark_duplicate(database& db, const lease& held, std::string_view study_version, std::int64_t done_by);

// A failure that may pass: queued again after `delay`, with the reason.
bool retry_job(database& db, const lease& held, std::chrono::milliseconds delay, std::string_view error);

// The study is not ready: the job waits `delay` and is checked again; the
// attempt is given back. `probe` is what this check saw.
bool wait_for_study(database& db, const lease& held, std::chrono::milliseconds delay, const study_probe& probe);

// A failure that will not pass: the job is failed with `reason` (one word:
// patient_mismatch, attempts_exhausted, ...) and the detail.
bool fail_job(database& db, const lease& held, std::string_view reason, std::string_view error);

}  // namespace radbridge::store
