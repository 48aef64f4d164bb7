#include "ingest/ingest_metrics.hpp"

#include <atomic>
#include <string>
#include <string_view>

namespace radbridge::ingest {

namespace {

using counter_field = std::atomic<std::uint64_t> listener_stats::*;

// One counter family with a sample per interface.
void per_interface(metrics::exposition& out, const std::vector<const listener*>& listeners, std::string_view name,
                   std::string_view help, counter_field field) {
  out.family(name, "counter", help);
  for (const listener* l : listeners) {
    out.sample(name, {{"interface", l->name()}}, static_cast<double>((l->stats().*field).load()));
  }
}

}  // namespace

void write_metrics(metrics::exposition& out, const std::vector<const listener*>& listeners,
                   const group_committer* committer) {
  out.family("radbridge_messages_received_total", "counter",
             "HL7 frames received, by interface, MSH-9 type^event and the ACK code sent (none: no ACK)");
  for (const listener* l : listeners) {
    l->stats().messages.each([&](const metrics::label_values& v, const metrics::counter& c) {
      out.sample("radbridge_messages_received_total",
                 {{"interface", l->name()}, {"type", v[0]}, {"ack", v[1]}}, static_cast<double>(c.value()));
    });
  }
  out.family("radbridge_ack_latency_seconds", "histogram", "From a frame's last byte read to its ACK written");
  for (const listener* l : listeners) {
    const metrics::histogram& h = l->stats().ack_seconds;
    out.histogram("radbridge_ack_latency_seconds", {{"interface", l->name()}}, h.read(), h.bounds());
  }
  out.family("radbridge_open_connections", "gauge", "MLLP connections open now, by interface");
  for (const listener* l : listeners) {
    out.sample("radbridge_open_connections", {{"interface", l->name()}},
               static_cast<double>(l->stats().open_connections.load()));
  }
  per_interface(out, listeners, "radbridge_connections_total", "MLLP connections accepted",
                &listener_stats::connections);
  out.family("radbridge_connections_refused_total", "counter",
             "MLLP connections closed at once, by the cap they were over");
  for (const listener* l : listeners) {
    out.sample("radbridge_connections_refused_total", {{"interface", l->name()}, {"cap", "max_connections"}},
               static_cast<double>(l->stats().refused_connections.load()));
    out.sample("radbridge_connections_refused_total", {{"interface", l->name()}, {"cap", "max_connections_per_peer"}},
               static_cast<double>(l->stats().refused_per_peer.load()));
  }
  per_interface(out, listeners, "radbridge_messages_unacknowledged_total",
                "Messages closed without an ACK: database unavailable or the commit in doubt",
                &listener_stats::unacknowledged);
  per_interface(out, listeners, "radbridge_connection_timeouts_total",
                "Connections closed for an idle or partial-frame timeout", &listener_stats::timeouts);
  per_interface(out, listeners, "radbridge_write_timeouts_total", "Connections closed because an ACK was not taken",
                &listener_stats::write_timeouts);
  per_interface(out, listeners, "radbridge_oversize_frames_total", "Connections closed for a frame over the limit",
                &listener_stats::oversize_frames);
  per_interface(out, listeners, "radbridge_discarded_bytes_total", "Bytes received outside MLLP frames",
                &listener_stats::discarded_bytes);
  per_interface(out, listeners, "radbridge_tls_failures_total",
                "TLS handshakes refused or failed, and certificates not on the allow-list",
                &listener_stats::tls_failures);
  per_interface(out, listeners, "radbridge_accept_errors_total", "Accept errors, each followed by a backoff",
                &listener_stats::accept_errors);
  if (committer == nullptr) return;
  const commit_stats& s = committer->stats();
  out.family("radbridge_commit_group_rows", "histogram", "Messages per group commit");
  out.histogram("radbridge_commit_group_rows", {}, s.group_rows.read(), s.group_rows.bounds());
  out.family("radbridge_commit_latency_seconds", "histogram", "From a group sent to the database to its commit");
  out.histogram("radbridge_commit_latency_seconds", {}, s.commit_seconds.read(), s.commit_seconds.bounds());
  out.family("radbridge_commit_careful_groups_total", "counter",
             "Groups the fast path refused (a duplicate or bad row), stored row by row");
  out.sample("radbridge_commit_careful_groups_total", {}, static_cast<double>(s.careful_groups.value()));
}

}  // namespace radbridge::ingest
