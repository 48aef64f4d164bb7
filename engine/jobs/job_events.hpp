// Job outcomes and stage timings, carried from the job worker process to
// `serve`, whose /metrics shows them (the worker has no admin server).
//
// worker_supervisor gives the worker one end of a SOCK_SEQPACKET socket
// pair as fd 3 (RADBRIDGE_EVENTS_FD=3): each event is one packet of
// tab-separated fields, so nothing is split or merged. The worker's
// `event_sink` never blocks and never raises SIGPIPE: while serve does not
// read, events are dropped (a metrics gap, never a stalled job). serve
// applies each packet to its `job_stats`; a packet it does not understand
// is ignored. Route and model names are the mappings' and the registry's;
// tabs and line breaks in them become '_'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/metrics.hpp"

namespace radbridge::jobs {

struct job_stats {
  // route, outcome (done, duplicate, waiting, retry, failed, lease_lost),
  // reason (failed and retry: patient_mismatch, attempts_exhausted, fetch, ...; else "")
  metrics::labelled<metrics::counter> jobs;
  // model, step (find, retrieve, decode, preprocess, inference, ...): one study's
  metrics::labelled<metrics::histogram> step_seconds{metrics::latency_bounds()};
};

std::string job_event(std::string_view route, std::string_view outcome, std::string_view reason);
std::string step_event(std::string_view model, std::string_view step, double milliseconds);

// Counts one packet; false (nothing counted) when it is not an event.
bool apply_event(job_stats& stats, std::string_view packet);

void write_metrics(metrics::exposition& out, const job_stats& stats);

// The worker's end. fd < 0: events go nowhere.
class event_sink {
 public:
  explicit event_sink(int fd) : fd_(fd) {}
  void send(const std::string& packet) const noexcept;

 private:
  int fd_;
};

}  // namespace radbridge::jobs
