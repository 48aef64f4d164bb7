#include "jobs/pipeline.hpp"

#include <algorithm>
#include <random>
#include <set>

#include "core/log.hpp"
#include "deliver/lane.hpp"
#include "jobs/router.hpp"
#include "route/mapping_loader.hpp"
#include "store/job_store.hpp"
#include "store/notifications.hpp"
#include "store/outbound_store.hpp"
#include "store/store_error.hpp"

namespace radbridge::jobs {

pipeline::pipeline(std::string conninfo, config::pipeline_settings settings, std::string engine_version)
    : conninfo_(std::move(conninfo)),
      settings_(std::move(settings)),
      registry_(infer::load_registry(settings_.registry)),
      mappings_(route::load_mappings(settings_.mappings, registry_)),
      studies_(make_study_source(settings_.pacs)),
      runner_(std::make_unique<job_runner>(mappings_, registry_, *studies_, settings_, std::move(engine_version))) {
  // One lane per destination some route sends to.
  std::set<std::string> used;
  for (const route::route& r : mappings_.routes) {
    for (const auto& [kind, names] : r.outputs) used.insert(names.begin(), names.end());
  }
  for (const std::string& name : used) {
    lanes_.emplace_back(name, deliver::make_sender(*mappings_.find_destination(name), settings_.delivery.timeout));
  }
}

pipeline::~pipeline() { stop(); }

namespace {

const std::string router_topic = "inbound";
const std::string jobs_topic = "jobs";
std::string lane_topic(const std::string& destination) { return "outbound:" + destination; }

}  // namespace

void pipeline::idle(const std::string& topic, std::uint64_t seen, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, wait, [&] { return stopping_ || signals_[topic] != seen; });
}

void pipeline::signal(const std::string& topic) {
  {
    std::lock_guard lock(mutex_);
    ++signals_[topic];
  }
  wake_.notify_all();
}

template <class Step, class Due>
void pipeline::loop(const char* name, std::string topic, Step step, Due due) {
  threads_.emplace_back([this, name, topic = std::move(topic), step, due]() mutable {
    store::database db(conninfo_);
    std::chrono::milliseconds backoff{0};
    for (;;) {
      std::uint64_t seen = 0;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        seen = signals_[topic];  // read before the step: a signal during it is not lost
      }
      try {
        if (step(db)) {
          backoff = std::chrono::milliseconds{0};
          continue;
        }
        std::chrono::milliseconds wait = settings_.poll;
        if (const std::optional<std::chrono::milliseconds> next = due(db)) {
          wait = std::clamp(*next, std::chrono::milliseconds{1}, wait);
        }
        backoff = std::chrono::milliseconds{0};
        idle(topic, seen, wait);
      } catch (const store::store_error& e) {
        backoff = std::min(std::chrono::milliseconds{5000}, std::max(backoff * 2, std::chrono::milliseconds{100}));
        // A permanent error's text may quote row values; only connection-level ones are logged verbatim.
        const bool verbatim = e.kind() != store::failure::permanent;
        log::warn("pipeline_database_error", {{"worker", name},
                                              {"kind", store::to_string(e.kind())},
                                              {"error", verbatim ? e.what() : "(not logged: may quote row values)"},
                                              {"retry_ms", backoff.count()}});
        idle({}, 0, backoff);
      } catch (const std::exception& e) {
        log::error("pipeline_step_failed", {{"worker", name}, {"error", e.what()}});
        idle({}, 0, settings_.poll);
      }
    }
  });
}

// Turns notifications into signals; after a reconnect everyone looks for work.
void pipeline::listen() {
  threads_.emplace_back([this] {
    store::notification_listener listener(conninfo_);
    std::chrono::milliseconds backoff{0};
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      try {
        for (const store::notification& n : listener.wait(std::chrono::milliseconds(250))) {
          if (n.channel == store::inbound_channel) signal(router_topic);
          if (n.channel == store::jobs_channel) signal(jobs_topic);
          if (n.channel != store::outbound_channel) continue;
          if (n.payload != "*") signal(lane_topic(n.payload));
          for (const auto& lane : lanes_) {
            if (n.payload == "*") signal(lane_topic(lane.first));
          }
        }
        backoff = std::chrono::milliseconds{0};
      } catch (const store::store_error& e) {
        backoff = std::min(std::chrono::milliseconds{5000}, std::max(backoff * 2, std::chrono::milliseconds{100}));
        log::warn("pipeline_database_error", {{"worker", "listener"},
                                              {"kind", store::to_string(e.kind())},
                                              {"error", e.what()},
                                              {"retry_ms", backoff.count()}});
        idle({}, 0, backoff);
      }
    }
  });
}

void pipeline::start() {
  const auto never_due = [](store::database&) { return std::optional<std::chrono::milliseconds>(); };
  if (settings_.listen) listen();
  loop("router", router_topic, [this](store::database& db) { return route_pending(db, mappings_) > 0; }, never_due);
  for (std::size_t i = 0; i < settings_.job_workers; ++i) {
    auto keeper = std::make_shared<lease_keeper>(conninfo_, settings_.job_lease);
    loop("jobs", jobs_topic, [this, keeper](store::database& db) { return runner_->run_one(db, *keeper); },
         [](store::database& db) { return store::next_job_due(db); });
  }
  for (auto& [name, to] : lanes_) {
    deliver::sender* s = to.get();
    const std::string destination = name;
    std::mt19937_64 random(std::hash<std::string>{}(destination) ^ static_cast<std::uint64_t>(std::random_device{}()));
    loop(
        "lane", lane_topic(destination),
        [this, s, destination, random](store::database& db) mutable {
          return deliver::lane_step(db, destination, *s, settings_.delivery, random);
        },
        [destination](store::database& db) { return store::next_lane_due(db, destination); });
  }
  log::info("pipeline_started", {{"routes", mappings_.routes.size()},
                                 {"job_workers", settings_.job_workers},
                                 {"lanes", lanes_.size()},
                                 {"listen", settings_.listen ? "yes" : "no"}});
}

void pipeline::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace radbridge::jobs
