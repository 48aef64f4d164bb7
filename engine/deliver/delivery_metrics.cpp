#include "deliver/delivery_metrics.hpp"

namespace radbridge::deliver {

void write_metrics(metrics::exposition& out, const delivery_stats& stats) {
  out.family("radbridge_delivery_attempts_total", "counter",
             "Delivery attempts, by destination, output and outcome (sent, retry, rejected, gave_up, lease_lost)");
  out.counters("radbridge_delivery_attempts_total", {"destination", "output", "outcome"}, stats.attempts);
  out.family("radbridge_delivery_attempt_seconds", "histogram", "One delivery attempt, from send to the answer");
  out.histograms("radbridge_delivery_attempt_seconds", {"destination"}, stats.attempt_seconds);
  out.family("radbridge_time_to_notification_seconds", "histogram",
             "From the triggering message's arrival to the output delivered, by destination and output");
  out.histograms("radbridge_time_to_notification_seconds", {"destination", "output"}, stats.time_to_notification);
}

}  // namespace radbridge::deliver
