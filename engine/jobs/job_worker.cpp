#include "jobs/job_worker.hpp"

#include "core/log.hpp"
#include "route/mapping_loader.hpp"
#include "store/job_store.hpp"

namespace radbridge::jobs {

job_worker::job_worker(std::string conninfo, config::pipeline_settings settings, std::string engine_version,
                       std::string owner, event_sink events)
    : conninfo_(std::move(conninfo)),
      settings_(std::move(settings)),
      registry_(infer::load_registry(settings_.registry)),
      mappings_(route::load_mappings(settings_.mappings, registry_)),
      studies_(make_study_source(settings_.pacs)),
      runner_(std::make_unique<job_runner>(mappings_, registry_, *studies_, settings_, std::move(engine_version),
                                           std::move(owner), events)),
      loops_(conninfo_, settings_.poll) {}

job_worker::~job_worker() { stop(); }

void job_worker::start() {
  runner_->load_models();
  if (settings_.listen) loops_.listen({});
  for (std::size_t i = 0; i < settings_.job_workers; ++i) {
    keepers_.push_back(std::make_unique<lease_keeper>(conninfo_, settings_.job_lease));
    lease_keeper* keeper = keepers_.back().get();
    loops_.add(
        "jobs", jobs_topic, [this, keeper](store::database& db) { return runner_->run_one(db, *keeper); },
        [](store::database& db) { return store::next_job_due(db); });
  }
  log::info("job_worker_started", {{"job_workers", settings_.job_workers}, {"listen", settings_.listen ? "yes" : "no"}});
}

void job_worker::stop() { loops_.stop(); }

}  // namespace radbridge::jobs
