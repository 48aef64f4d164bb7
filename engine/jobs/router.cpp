#include "jobs/router.hpp"

#include "core/config.hpp"
#include "core/log.hpp"
#include "hl7/message.hpp"
#include "review/report_reading.hpp"
#include "route/match.hpp"
#include "route/patient_identity.hpp"

namespace radbridge::jobs {

namespace {

// Stored messages are parsed with the parser's default limits; interfaces
// accept frames only up to config::max_frame_bytes_limit, so a message an
// interface acknowledged is never one refused here for its size.
static_assert(config::max_frame_bytes_limit <= hl7::limits{}.max_bytes,
              "an interface could accept a message the router refuses for its size");

// An order cancel: ORC-1 CA (cancel request) or OC (order cancelled).
bool is_order_cancel(const hl7::message& m) {
  const auto orc1 = hl7::parse_path("ORC-1");
  const auto value = orc1 ? m.raw(*orc1) : std::nullopt;
  return m.message_type() == "ORM" && value && (*value == "CA" || *value == "OC");
}

// A radiologist's report on one of the route's studies: its verdicts join the decision.
void read_feedback(const route::route& r, const hl7::message& m, std::int64_t inbound_id, store::routing_decision& d) {
  review::reading_outcome outcome = review::read_report(r, m);
  if (outcome.reason) {
    log::info("report_not_read", {{"inbound_id", inbound_id},
                                  {"route", r.name},
                                  {"reason", *outcome.reason == review::unread::no_study_key
                                                 ? "no study key"
                                                 : "neither final nor corrected"}});
  }
  if (!outcome.reading) return;
  log::info("report_read", {{"inbound_id", inbound_id},
                            {"route", r.name},
                            {"status", work::to_string(outcome.reading->status)},
                            {"findings", outcome.reading->findings.size()}});
  d.reports.push_back(std::move(*outcome.reading));
}

}  // namespace

store::routing_decision decide(const route::mapping_set& mappings, std::int64_t inbound_id, std::string_view payload) {
  const auto m = hl7::message::parse(payload);
  if (!m) {
    log::warn("routing_unreadable", {{"inbound_id", inbound_id}, {"error", m.error().to_string()}});
    store::routing_decision failed;
    failed.status = work::inbound_status::failed;
    return failed;
  }
  store::routing_decision d;
  // An ADT that merges or updates a patient re-points that patient's open jobs, whatever else it does.
  for (route::patient_move& move : route::patient_moves(*m)) {
    d.moves.push_back({std::move(move.links), std::move(move.current), move.pid_occurrence});
  }
  if (!d.moves.empty()) {
    d.status = work::inbound_status::routed;
    log::info("patient_move", {{"inbound_id", inbound_id}, {"control_id", m->control_id()}, {"moves", d.moves.size()}});
  }
  if (is_order_cancel(*m)) {
    // A cancelled order ends every route's work on its study, whatever the route matches.
    for (const route::route& r : mappings.routes) {
      if (const auto key = route::study_key_value(r, *m)) d.cancels.push_back({r.name, *key});
    }
    if (!d.cancels.empty()) d.status = work::inbound_status::routed;
    log::info("order_cancel", {{"inbound_id", inbound_id}, {"control_id", m->control_id()}, {"routes", d.cancels.size()}});
    return d;
  }
  const std::vector<std::string> patient = route::identifier_keys(*m, "PID-3");
  for (const route::route* r : route::matching_routes(mappings, *m)) {
    const auto key = route::study_key_value(*r, *m);
    if (!key) {
      log::warn("routing_no_study_key",
                {{"inbound_id", inbound_id}, {"route", r->name}, {"path", r->study.path_text}});
      continue;
    }
    d.jobs.push_back({r->name, r->study.by, *key, r->mode, patient});
  }
  for (const route::route& r : mappings.routes) read_feedback(r, *m, inbound_id, d);
  if (!d.jobs.empty() || !d.reports.empty()) d.status = work::inbound_status::routed;
  log::info("routed", {{"inbound_id", inbound_id},
                       {"control_id", m->control_id()},
                       {"type", std::string(m->message_type()) + "^" + std::string(m->trigger_event())},
                       {"jobs", d.jobs.size()},
                       {"reports", d.reports.size()}});
  return d;
}

std::size_t route_pending(store::database& db, const route::mapping_set& mappings, std::size_t limit) {
  return store::route_received(db, limit, [&](std::int64_t id, std::string_view payload) {
    return decide(mappings, id, payload);
  });
}

}  // namespace radbridge::jobs
