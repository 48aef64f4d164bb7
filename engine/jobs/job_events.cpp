#include "jobs/job_events.hpp"

#include <sys/socket.h>

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace radbridge::jobs {

namespace {

std::string field(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') c = '_';
  }
  return out;
}

std::vector<std::string_view> split(std::string_view packet) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t tab = packet.find('\t', start);
    parts.push_back(packet.substr(start, tab - start));
    if (tab == std::string_view::npos) return parts;
    start = tab + 1;
  }
}

}  // namespace

std::string job_event(std::string_view route, std::string_view outcome, std::string_view reason) {
  return fmt::format("job\t{}\t{}\t{}", field(route), field(outcome), field(reason));
}

std::string step_event(std::string_view model, std::string_view step, double milliseconds) {
  return fmt::format("step\t{}\t{}\t{}", field(model), field(step), milliseconds);
}

bool apply_event(job_stats& stats, std::string_view packet) {
  const std::vector<std::string_view> p = split(packet);
  if (p.size() != 4) return false;
  if (p[0] == "job") {
    stats.jobs.at({std::string(p[1]), std::string(p[2]), std::string(p[3])}).add();
    return true;
  }
  if (p[0] != "step") return false;
  double ms = 0;
  const auto [end, ec] = std::from_chars(p[3].data(), p[3].data() + p[3].size(), ms);
  if (ec != std::errc() || end != p[3].data() + p[3].size() || !(ms >= 0)) return false;
  stats.step_seconds.at({std::string(p[1]), std::string(p[2])}).observe(ms / 1000.0);
  return true;
}

void write_metrics(metrics::exposition& out, const job_stats& stats) {
  out.family("radbridge_jobs_total", "counter",
             "Job attempts ended by this engine's worker, by route, outcome and reason");
  out.counters("radbridge_jobs_total", {"route", "outcome", "reason"}, stats.jobs);
  out.family("radbridge_job_step_seconds", "histogram",
             "One study's fetch (find, retrieve, decode), preprocessing and inference, by model and step");
  out.histograms("radbridge_job_step_seconds", {"model", "step"}, stats.step_seconds);
}

void event_sink::send(const std::string& packet) const noexcept {
  if (fd_ < 0) return;
  (void)::send(fd_, packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace radbridge::jobs
