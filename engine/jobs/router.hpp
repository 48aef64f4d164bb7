// The router: received inbound messages become jobs, one per matching route.
//
// `decide` reads one stored message and returns the jobs its matching routes
// start (route, study key from the route's path, rollout mode) and the
// inbound row's next status: routed (jobs), filtered (no route matches, or
// no matching route found a study key: logged), failed (unreadable; cannot
// happen to a message that was acknowledged, kept for safety). An order
// cancel (ORM with ORC-1 CA or OC) starts nothing: it cancels, for every
// route that reads a study key from it, that route's work on the study.
// `route_pending` runs it over the received rows in arrival order
// (store/job_store.hpp), up to `limit`, and returns how many it read.
#pragma once

#include <cstddef>
#include <string_view>

#include "route/mapping.hpp"
#include "store/database.hpp"
#include "store/job_store.hpp"

namespace radbridge::jobs {

store::routing_decision decide(const route::mapping_set& mappings, std::int64_t inbound_id, std::string_view payload);

std::size_t route_pending(store::database& db, const route::mapping_set& mappings, std::size_t limit = 100);

}  // namespace radbridge::jobs
