#include "deliver/lane.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/outbound_store.hpp"

namespace radbridge::deliver {

namespace {

output_type type_of(const std::string& output) {
  if (output == "adt") return output_type::adt;
  if (output == "observation") return output_type::observation;
  if (output == "sr") return output_type::sr;
  return output_type::oru;
}

}  // namespace

std::chrono::milliseconds backoff(const config::delivery_settings& s, int attempts) {
  const int doublings = std::clamp(attempts, 0, 30);
  const double ms = static_cast<double>(s.first_backoff.count()) * static_cast<double>(1LL << doublings);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::min(ms, static_cast<double>(s.max_backoff.count()))));
}

bool lane_step(store::database& db, const std::string& destination, sender& to,
               const config::delivery_settings& settings, std::mt19937_64& random) {
  const auto lease = std::chrono::duration_cast<std::chrono::seconds>(settings.timeout * 3) + std::chrono::seconds(5);
  const std::optional<store::lane_head> head = store::claim_lane_head(db, destination, lease);
  if (!head) return false;
  const outbound_item item{head->id, type_of(head->output), head->identity, head->study_uid, head->payload};
  const attempt_outcome outcome = to.send(item);
  const int attempts = head->attempts + 1;
  switch (outcome.result) {
    case attempt_result::sent:
      store::mark_sent(db, head->id, outcome.response);
      log::info("delivered", {{"outbound_id", head->id}, {"destination", destination}, {"output", head->output},
                              {"identity", head->identity}, {"attempts", attempts}});
      return true;
    case attempt_result::rejected:
      store::mark_dead(db, head->id, outcome.detail, outcome.response);
      log::warn("dead_letter", {{"outbound_id", head->id}, {"destination", destination}, {"output", head->output},
                                {"identity", head->identity}, {"reason", outcome.detail}});
      return true;
    case attempt_result::retry: break;
  }
  const bool too_old = head->age_seconds * 1000.0 >= static_cast<double>(settings.max_age.count());
  if (static_cast<std::size_t>(attempts) >= settings.attempts || too_old) {
    const std::string reason = fmt::format("gave up after {} attempt{}{}: {}", attempts, attempts == 1 ? "" : "s",
                                           too_old ? " (too old)" : "", outcome.detail);
    store::mark_dead(db, head->id, reason, outcome.response);
    log::warn("dead_letter", {{"outbound_id", head->id}, {"destination", destination}, {"output", head->output},
                              {"identity", head->identity}, {"reason", reason}});
    return true;
  }
  const std::chrono::milliseconds full = backoff(settings, attempts - 1);
  std::uniform_int_distribution<std::int64_t> jitter(full.count() / 2, full.count());
  const std::chrono::milliseconds delay(jitter(random));
  store::mark_retry(db, head->id, delay, outcome.detail, outcome.response);
  log::info("delivery_retry", {{"outbound_id", head->id}, {"destination", destination}, {"output", head->output},
                               {"attempt", attempts}, {"delay_ms", delay.count()}, {"reason", outcome.detail}});
  return true;
}

}  // namespace radbridge::deliver
