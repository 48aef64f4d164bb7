#include "jobs/pipeline.hpp"

#include <random>
#include <set>

#include "core/log.hpp"
#include "deliver/lane.hpp"
#include "jobs/router.hpp"
#include "route/mapping_loader.hpp"
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

void pipeline::idle(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, wait, [&] { return stopping_; });
}

template <class Step>
void pipeline::loop(const char* name, Step step) {
  threads_.emplace_back([this, name, step]() mutable {
    store::database db(conninfo_);
    std::chrono::milliseconds backoff{0};
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
      }
      try {
        const bool worked = step(db);
        backoff = std::chrono::milliseconds{0};
        if (!worked) idle(settings_.poll);
      } catch (const store::store_error& e) {
        backoff = std::min(std::chrono::milliseconds{5000}, std::max(backoff * 2, std::chrono::milliseconds{100}));
        // A permanent error's text may quote row values; only connection-level ones are logged verbatim.
        const bool verbatim = e.kind() != store::failure::permanent;
        log::warn("pipeline_database_error", {{"worker", name},
                                              {"kind", store::to_string(e.kind())},
                                              {"error", verbatim ? e.what() : "(not logged: may quote row values)"},
                                              {"retry_ms", backoff.count()}});
        idle(backoff);
      } catch (const std::exception& e) {
        log::error("pipeline_step_failed", {{"worker", name}, {"error", e.what()}});
        idle(settings_.poll);
      }
    }
  });
}

void pipeline::start() {
  loop("router", [this](store::database& db) { return route_pending(db, mappings_) > 0; });
  for (std::size_t i = 0; i < settings_.job_workers; ++i) {
    auto keeper = std::make_shared<lease_keeper>(conninfo_, settings_.job_lease);
    loop("jobs", [this, keeper](store::database& db) { return runner_->run_one(db, *keeper); });
  }
  for (auto& [name, to] : lanes_) {
    deliver::sender* s = to.get();
    const std::string destination = name;
    std::mt19937_64 random(std::hash<std::string>{}(destination) ^ static_cast<std::uint64_t>(std::random_device{}()));
    loop("lane", [this, s, destination, random](store::database& db) mutable {
      return deliver::lane_step(db, destination, *s, settings_.delivery, random);
    });
  }
  log::info("pipeline_started", {{"routes", mappings_.routes.size()},
                                 {"job_workers", settings_.job_workers},
                                 {"lanes", lanes_.size()}});
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
