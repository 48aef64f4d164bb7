// What `serve` hands its admin server: the listeners' and committer's
// metrics, the registry's models checked against their files (when this
// engine runs jobs), and the mappings' destinations.
#pragma once

#include <memory>
#include <vector>

#include "admin/admin_server.hpp"
#include "ingest/group_committer.hpp"
#include "ingest/listener.hpp"
#include "jobs/pipeline.hpp"

namespace radbridge::cli {

// `listeners`, `committer` (may be null) and `pipeline` (may be null) must
// outlive the admin server.
admin::admin_sources admin_sources_for(const std::vector<std::unique_ptr<ingest::listener>>& listeners,
                                       const ingest::group_committer* committer, const jobs::pipeline* pipeline,
                                       bool runs_jobs);

}  // namespace radbridge::cli
