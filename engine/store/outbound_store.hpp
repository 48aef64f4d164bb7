// The outbound queue: one ordered lane per destination, in the order rows
// were queued (jobs finishing; `lane_position`).
//
// `claim_lane_head` leases the first pending row of a destination when it is
// due, not leased by someone else and the destination is not paused
// (store/destination_store.hpp); otherwise nothing (the lane waits: a row
// never overtakes the one before it). A lease is short: the sender's
// attempt, not a row lock. The outcome of an attempt is recorded with
// `mark_sent`, `mark_retry` (due again after `delay`) or `mark_dead` (the
// dead letter: the lane moves on), each with a row in delivery_attempts;
// each names the lease of its claim and returns false, writing nothing,
// when the claim was lost (the lease ran out and another lane worker took
// the row). `requeue_dead` puts dead letters back at
// the back of their lanes (after everything queued so far), with attempts
// reset. Every function throws store_error.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"
#include "store/lease.hpp"

namespace radbridge::store {

struct lane_head {
  lease held;
  std::int64_t job_id = 0;
  work::output_kind output = work::output_kind::oru;
  std::string identity;
  std::string study_uid;
  std::string payload;
  work::revision revision = work::revision::original;
  int attempts = 0;            // before this one
  double age_seconds = 0;      // since the row was created
  double trigger_age_seconds = 0;  // since the message that started its job was received
};

std::optional<lane_head> claim_lane_head(database& db, std::string_view destination, std::chrono::seconds lease);

bool mark_sent(database& db, const lease& held, std::string_view response);
bool mark_retry(database& db, const lease& held, std::chrono::milliseconds delay, std::string_view error,
                std::string_view response);
bool mark_dead(database& db, const lease& held, std::string_view error, std::string_view response);

// How long until the lane's head is due (its next attempt, or the end of the
// lease another sender holds); nullopt when the lane is empty or paused
// (its worker then polls, and a resume wakes it).
std::optional<std::chrono::milliseconds> next_lane_due(database& db, std::string_view destination);

// Dead letters back to pending: all of them, those of one destination, or
// the given ids. Returns how many.
std::size_t requeue_dead(database& db, std::optional<std::string> destination, const std::vector<std::int64_t>& ids);

struct outbound_status {
  std::int64_t id = 0;
  std::int64_t job_id = 0;
  std::string destination;
  work::output_kind output = work::output_kind::oru;
  std::string identity;
  work::outbound_status status = work::outbound_status::pending;
  work::revision revision = work::revision::original;
  int attempts = 0;
  std::string last_error;
};

// The rows of one job, or of every job (job_id 0), in id order.
std::vector<outbound_status> outbound_of(database& db, std::int64_t job_id);

}  // namespace radbridge::store
