// The ingest stage's part of /metrics: every listener's counters and ACK
// latency, labelled by interface, and the committer's group sizes and
// commit latency. Reads atomics only, so it may run on any thread while the
// listeners run; the listeners and the committer must outlive the call.
#pragma once

#include <vector>

#include "core/metrics.hpp"
#include "ingest/group_committer.hpp"
#include "ingest/listener.hpp"

namespace radbridge::ingest {

void write_metrics(metrics::exposition& out, const std::vector<const listener*>& listeners,
                   const group_committer* committer);

}  // namespace radbridge::ingest
