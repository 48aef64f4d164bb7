#include "jobs/pipeline.hpp"

#include <random>
#include <set>

#include "core/log.hpp"
#include "deliver/lane.hpp"
#include "jobs/router.hpp"
#include "route/mapping_loader.hpp"
#include "store/outbound_store.hpp"

namespace radbridge::jobs {

pipeline::pipeline(std::string conninfo, config::pipeline_settings settings, pipeline_roles roles,
                   worker_launch worker)
    : conninfo_(std::move(conninfo)),
      settings_(std::move(settings)),
      roles_(roles),
      worker_(std::move(worker)),
      registry_(infer::load_registry(settings_.registry)),
      mappings_(route::load_mappings(settings_.mappings, registry_)),
      loops_(conninfo_, settings_.poll) {
  if (!roles_.deliver) return;
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

void pipeline::start() {
  std::vector<std::string> lane_names;
  for (const auto& lane : lanes_) lane_names.push_back(lane.first);
  if (settings_.listen && (roles_.route || roles_.deliver)) loops_.listen(lane_names);
  if (roles_.route) {
    loops_.add("router", inbound_topic, [this](store::database& db) { return route_pending(db, mappings_) > 0; });
  }
  for (auto& [name, to] : lanes_) {
    deliver::sender* s = to.get();
    const std::string destination = name;
    std::mt19937_64 random(std::hash<std::string>{}(destination) ^ static_cast<std::uint64_t>(std::random_device{}()));
    loops_.add(
        "lane", lane_topic(destination),
        [this, s, destination, random](store::database& db) mutable {
          return deliver::lane_step(db, destination, *s, settings_.delivery, random, delivery_stats_);
        },
        [destination](store::database& db) { return store::next_lane_due(db, destination); });
  }
  if (roles_.jobs) {
    supervisor_ = std::make_unique<worker_supervisor>(
        worker_.binary, worker_.config_file, conninfo_, std::chrono::seconds(30),
        [this](std::string_view packet) { apply_event(job_stats_, packet); });
    supervisor_->start();
  }
  log::info("pipeline_started", {{"routes", mappings_.routes.size()},
                                 {"router", roles_.route ? "yes" : "no"},
                                 {"job_worker", roles_.jobs ? "yes" : "no"},
                                 {"lanes", lanes_.size()},
                                 {"listen", settings_.listen ? "yes" : "no"}});
}

void pipeline::stop() {
  if (supervisor_) supervisor_->stop();
  loops_.stop();
}

}  // namespace radbridge::jobs
