// Destinations as operators see and steer them (the admin API): each one's
// lane (pending rows, the oldest one's age, dead letters), its last attempt
// and last failure (sql/0014 delivery_attempts), and whether an operator
// paused it. A paused destination's lane claims nothing
// (store/outbound_store.hpp) until it is resumed (which notifies the lane's
// worker); its rows wait in order.
// Every call is one transaction; throws store_error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace radbridge::store {

struct destination_pause {
  std::string by;      // the token's name
  std::string at;      // ISO 8601, UTC
  std::string reason;
};

struct destination_state {
  std::string name;
  std::int64_t pending = 0;
  double oldest_pending_seconds = 0;  // 0 when none pending
  std::int64_t dead = 0;
  std::string last_attempt_at;  // ISO 8601, UTC; empty: never attempted
  std::string last_outcome;     // sent, retry, dead; empty: never attempted
  std::string last_failure_at;  // the last attempt that was not sent; empty: none
  std::string last_error;
  std::optional<destination_pause> paused;
};

// One state per name, in the order given (the configured destinations).
std::vector<destination_state> destination_states(database& db, const std::vector<std::string>& names);

// False, changing nothing, when it is paused already (the first pause stays).
bool pause_destination(database& db, std::string_view name, std::string_view who, std::string_view reason);
// False when it was not paused.
bool resume_destination(database& db, std::string_view name);

}  // namespace radbridge::store
