// One step of a delivery lane: the oldest pending outbound message of one
// destination, one attempt, the outcome recorded (store/outbound_store.hpp).
//
// `lane_step` claims the lane's head (only when it is due; the rows behind
// it wait), sends it with the destination's sender and records:
// - sent: done, the receiver's answer kept;
// - rejected: dead letter at once, the answer kept, the lane moves on;
// - retry: due again after a backoff of first_backoff doubled per attempt,
//   capped at max_backoff, with jitter (a random 50-100 % of it, so lanes
//   that failed together do not retry together); after `attempts` attempts
//   or when the message is older than max_age it goes to the dead letter
//   ("gave up after N attempts: ...") and the lane moves on.
// A claim whose lease ran out before its outcome was recorded (another
// sender took the row over) is logged `lease_lost` and its outcome dropped.
// Every attempt counts in `stats`. Returns false when the head was not due
// (or the lane is empty). Store errors propagate. Logs carry the row id, destination, output and identity.
#pragma once

#include <random>
#include <string>

#include "core/config.hpp"
#include "deliver/delivery_metrics.hpp"
#include "deliver/sender.hpp"
#include "store/database.hpp"

namespace radbridge::deliver {

bool lane_step(store::database& db, const std::string& destination, sender& to,
               const config::delivery_settings& settings, std::mt19937_64& random, delivery_stats& stats);

// The delay before attempt `attempts + 1`, before jitter.
std::chrono::milliseconds backoff(const config::delivery_settings& settings, int attempts);

}  // namespace radbridge::deliver
