#include "deliver/lane.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/log.hpp"
#include "store/outbound_store.hpp"

namespace radbridge::deliver {

std::chrono::milliseconds backoff(const config::delivery_settings& s, int attempts) {
  const int doublings = std::clamp(attempts, 0, 30);
  const double ms = static_cast<double>(s.first_backoff.count()) * static_cast<double>(1LL << doublings);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::min(ms, static_cast<double>(s.max_backoff.count()))));
}

bool lane_step(store::database& db, const std::string& destination, sender& to,
               const config::delivery_settings& settings, std::mt19937_64& random, delivery_stats& stats) {
  const auto lease = std::chrono::duration_cast<std::chrono::seconds>(settings.timeout * 3) + std::chrono::seconds(5);
  const std::optional<store::lane_head> head = store::claim_lane_head(db, destination, lease);
  if (!head) return false;
  const outbound_item item{head->held.id, head->output, head->identity, head->study_uid, head->payload,
                           head->revision};
  const auto started = std::chrono::steady_clock::now();
  const attempt_outcome outcome = to.send(item);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stats.attempt_seconds.at({destination}).observe(took);
  const int attempts = head->attempts + 1;
  const std::string_view output = work::to_string(head->output);
  const auto count = [&](const char* result) { stats.attempts.at({destination, std::string(output), result}).add(); };
  // A write refused: another lane worker took the row over after our lease ran out; its outcome stands.
  const auto lost = [&] {
    count("lease_lost");
    log::warn("lease_lost", {{"outbound_id", head->held.id}, {"destination", destination}, {"output", output},
                             {"identity", head->identity}});
    return true;
  };
  const auto dead = [&](const std::string& reason, const char* result) {
    if (!store::mark_dead(db, head->held, reason, outcome.response)) return lost();
    count(result);
    log::warn("dead_letter", {{"outbound_id", head->held.id}, {"destination", destination}, {"output", output},
                              {"identity", head->identity}, {"reason", reason}});
    return true;
  };
  switch (outcome.result) {
    case attempt_result::sent:
      if (!store::mark_sent(db, head->held, outcome.response)) return lost();
      count("sent");
      stats.time_to_notification.at({destination, std::string(output)}).observe(head->trigger_age_seconds + took);
      log::info("delivered", {{"outbound_id", head->held.id}, {"destination", destination}, {"output", output},
                              {"identity", head->identity}, {"attempts", attempts}});
      return true;
    case attempt_result::rejected: return dead(outcome.detail, "rejected");
    case attempt_result::retry: break;
  }
  const bool too_old = head->age_seconds * 1000.0 >= static_cast<double>(settings.max_age.count());
  if (static_cast<std::size_t>(attempts) >= settings.attempts || too_old) {
    return dead(fmt::format("gave up after {} attempt{}{}: {}", attempts, attempts == 1 ? "" : "s",
                            too_old ? " (too old)" : "", outcome.detail),
                "gave_up");
  }
  const std::chrono::milliseconds full = backoff(settings, attempts - 1);
  std::uniform_int_distribution<std::int64_t> jitter(full.count() / 2, full.count());
  const std::chrono::milliseconds delay(jitter(random));
  if (!store::mark_retry(db, head->held, delay, outcome.detail, outcome.response)) return lost();
  count("retry");
  log::info("delivery_retry", {{"outbound_id", head->held.id}, {"destination", destination}, {"output", output},
                               {"attempt", attempts}, {"delay_ms", delay.count()}, {"reason", outcome.detail}});
  return true;
}

}  // namespace radbridge::deliver
