// Rollout modes operators set for routes (the admin API): each change is a
// row (route, mode, who, when, why; sql/0014), and a route's latest change
// is its mode for every job routed after it, over the mode its mapping file
// names (store/job_store.hpp reads it in the routing transaction). Throws
// store_error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/work_kinds.hpp"
#include "store/database.hpp"

namespace radbridge::store {

struct route_mode_change {
  std::int64_t id = 0;
  std::string route;
  work::rollout_mode mode = work::rollout_mode::silent;
  std::string changed_by;  // the token's name
  std::string changed_at;  // ISO 8601, UTC
  std::string reason;
};

route_mode_change set_route_mode(database& db, std::string_view route, work::rollout_mode mode, std::string_view who,
                                 std::string_view reason);

// Each route's latest change, for the routes that have one.
std::map<std::string, route_mode_change> current_route_modes(database& db);

// One route's changes, newest first.
std::vector<route_mode_change> route_mode_history(database& db, std::string_view route, std::size_t limit);

}  // namespace radbridge::store
