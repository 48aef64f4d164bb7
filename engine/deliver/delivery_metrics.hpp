// Delivery attempts for /metrics: counted per destination, output and
// outcome, and timed per destination. Updated by lane_step on the lanes'
// threads, read by the admin server's; atomics only.
#pragma once

#include "core/metrics.hpp"

namespace radbridge::deliver {

struct delivery_stats {
  // destination, output (oru, adt, observation, sr), outcome: sent, retry,
  // rejected (dead letter at once), gave_up (dead letter after the last
  // attempt or max_age), lease_lost (another worker had taken the row over).
  metrics::labelled<metrics::counter> attempts;
  metrics::labelled<metrics::histogram> attempt_seconds{metrics::latency_bounds()};  // destination: one send
  // destination, output: from the triggering message's arrival to this
  // output's delivery (its ACK, 2xx or file written), retries included.
  metrics::labelled<metrics::histogram> time_to_notification{metrics::latency_bounds()};
};

void write_metrics(metrics::exposition& out, const delivery_stats& stats);

}  // namespace radbridge::deliver
