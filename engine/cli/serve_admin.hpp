// What `serve` hands its admin server: the listeners' and committer's
// metrics, the registry's models checked against their files (when this
// engine runs jobs), the mappings' destinations and routes, and the routes'
// validation reports and drift monitors.
#pragma once

#include <memory>
#include <vector>

#include "admin/admin_server.hpp"
#include "ingest/group_committer.hpp"
#include "ingest/listener.hpp"
#include "jobs/pipeline.hpp"
#include "route/mapping.hpp"

namespace radbridge::cli {

// The API's validation reports and drift monitors, and the drift states of
// /readyz and /metrics, over `routes` (review/validation.hpp, review/drift.hpp).
using shared_routes = std::shared_ptr<const std::vector<route::route>>;
admin::report_builder report_builder_for(shared_routes routes);
admin::drift_reader drift_reader_for(shared_routes routes);

// `listeners`, `committer` (may be null) and `pipeline` (may be null) must
// outlive the admin server.
admin::admin_sources admin_sources_for(const std::vector<std::unique_ptr<ingest::listener>>& listeners,
                                       const ingest::group_committer* committer, const jobs::pipeline* pipeline,
                                       bool runs_jobs);

}  // namespace radbridge::cli
