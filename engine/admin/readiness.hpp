// /readyz: whether this engine can do its work now, as a verdict and JSON.
// Ready when the database answered, its schema is at `expected_schema`, and
// every model verified. Destinations are listed with their backlog, and each
// route's models with their drift state and the features over their
// thresholds; neither ever changes the verdict. Pure: the caller gathers
// the state.
#pragma once

#include <string>
#include <vector>

#include "admin/admin_server.hpp"
#include "admin/database_thread.hpp"

namespace radbridge::admin {

struct readiness {
  bool ready = false;
  std::string json;  // {"status": "ready"|"not_ready", "checks": {...}, "destinations": [...]}
};

readiness check_readiness(const database_state& db, int expected_schema, const std::vector<model_state>& models,
                          const std::vector<std::string>& destinations);

}  // namespace radbridge::admin
