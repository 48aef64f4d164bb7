#include "admin/admin_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace radbridge::admin {

namespace {

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n;
}

double seconds_since_epoch(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

}  // namespace

void write_admin_metrics(metrics::exposition& out, const admin_sources& sources, const database_state& db,
                         std::chrono::system_clock::time_point started) {
  out.family("radbridge_build_info", "gauge", "Always 1; the labels say which radbridge this is");
  out.sample("radbridge_build_info", {{"version", sources.version}}, 1);
  if (!sources.models.empty()) {
    out.family("radbridge_model_info", "gauge", "1 when the model file matched its registry hash at start, else 0");
    for (const model_state& m : sources.models) {
      out.sample("radbridge_model_info", {{"model", m.id}, {"version", m.version}, {"sha256", m.sha256}},
                 m.verified ? 1 : 0);
    }
  }
  out.family("radbridge_process_start_time_seconds", "gauge", "When serve started, in seconds since the epoch");
  out.sample("radbridge_process_start_time_seconds", {}, seconds_since_epoch(started));
  out.family("radbridge_process_resident_memory_bytes", "gauge", "Resident memory of the serve process");
  out.sample("radbridge_process_resident_memory_bytes", {}, resident_bytes());
  out.family("radbridge_process_open_fds", "gauge", "Open file descriptors of the serve process");
  out.sample("radbridge_process_open_fds", {}, open_fds());

  out.family("radbridge_database_up", "gauge", "1 when the database answered this scrape's queries");
  out.sample("radbridge_database_up", {}, db.reachable ? 1 : 0);
  if (!db.reachable) return;
  out.family("radbridge_schema_version", "gauge", "The database's schema version");
  out.sample("radbridge_schema_version", {}, db.schema_version);
  if (!db.backlog) return;
  const store::backlog& b = *db.backlog;
  out.family("radbridge_inbound_messages", "gauge", "Stored messages waiting for the router, and those that failed");
  out.sample("radbridge_inbound_messages", {{"state", "received"}}, static_cast<double>(b.inbound_received));
  out.sample("radbridge_inbound_messages", {{"state", "failed"}}, static_cast<double>(b.inbound_failed));
  out.family("radbridge_inbound_oldest_received_age_seconds", "gauge",
             "Age of the oldest message waiting for the router (0: none)");
  out.sample("radbridge_inbound_oldest_received_age_seconds", {}, b.oldest_received_seconds);
  out.family("radbridge_jobs", "gauge", "Jobs not finished yet, by state");
  for (const auto& [state, n] : b.jobs) out.sample("radbridge_jobs", {{"state", state}}, static_cast<double>(n));
  // Every configured destination, and any other that still has rows.
  std::map<std::string, store::lane_backlog> lanes = b.lanes;
  for (const std::string& name : sources.destinations) lanes.try_emplace(name);
  out.family("radbridge_outbound_pending", "gauge", "Outbound messages waiting in each destination's lane");
  for (const auto& [destination, lane] : lanes) {
    out.sample("radbridge_outbound_pending", {{"destination", destination}}, static_cast<double>(lane.pending));
  }
  out.family("radbridge_outbound_oldest_pending_age_seconds", "gauge",
             "Age of the oldest message waiting in each destination's lane (0: none)");
  for (const auto& [destination, lane] : lanes) {
    out.sample("radbridge_outbound_oldest_pending_age_seconds", {{"destination", destination}},
               lane.oldest_pending_seconds);
  }
  out.family("radbridge_dead_letters", "gauge", "Outbound messages given up on (dead letters), by destination");
  for (const auto& [destination, lane] : lanes) {
    out.sample("radbridge_dead_letters", {{"destination", destination}}, static_cast<double>(lane.dead));
  }
  if (db.drift.empty()) return;
  out.family("radbridge_drift", "gauge", "1 when a route's model drifted from its first studies, else 0");
  for (const drift_status& d : db.drift) {
    out.sample("radbridge_drift", {{"route", d.route}, {"model", d.model}}, d.state == "drift" ? 1 : 0);
  }
  out.family("radbridge_drift_ratio", "gauge",
             "A drift feature's score over its threshold (above 1: drifting), by route, model and feature");
  for (const drift_status& d : db.drift) {
    for (const auto& [feature, ratio] : d.ratios) {
      out.sample("radbridge_drift_ratio", {{"route", d.route}, {"model", d.model}, {"feature", feature}}, ratio);
    }
  }
}

}  // namespace radbridge::admin
