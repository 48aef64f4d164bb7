// What `serve` runs beside the listeners when the configuration has a
// "pipeline" section: the router, the job workers and one delivery lane per
// destination, each a thread with its own database connection.
//
// The constructor loads the model registry and the mappings (throwing
// mapping_error / registry_error, so `serve` refuses to start on an invalid
// mapping) and builds one sender per destination; `start` starts the
// threads; `stop` (also the destructor) asks them to finish the step in
// hand and joins them. An idle thread sleeps until PostgreSQL announces work
// for it (LISTEN/NOTIFY, store/notifications.hpp: new messages wake the
// router, new or re-queued jobs the job workers, pending rows their lane),
// until its next row is due (a retry's backoff, a study's settle time), or
// for `poll` at most: the fallback when a notification is lost. A database
// error makes a thread back off (doubling, up to 5 s) and go on. Nothing here
// holds a row lock between steps.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "deliver/sender.hpp"
#include "infer/model_registry.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/study_source.hpp"
#include "route/mapping.hpp"

namespace radbridge::jobs {

class pipeline {
 public:
  pipeline(std::string conninfo, config::pipeline_settings settings, std::string engine_version);
  ~pipeline();
  pipeline(const pipeline&) = delete;
  pipeline& operator=(const pipeline&) = delete;

  void start();
  void stop();

  const route::mapping_set& mappings() const noexcept { return mappings_; }

 private:
  // Runs `step` until stopped; `step` returns whether it found work. When it
  // found none, sleeps until `topic` is signalled, `due` (how long until work
  // is due, if known) or the poll interval passes.
  template <class Step, class Due>
  void loop(const char* name, std::string topic, Step step, Due due);
  // Sleeps up to `wait`, or until stopping or `topic`'s signal count is no longer `seen`.
  void idle(const std::string& topic, std::uint64_t seen, std::chrono::milliseconds wait);
  void signal(const std::string& topic);
  void listen();

  std::string conninfo_;
  config::pipeline_settings settings_;
  infer::model_registry registry_;
  route::mapping_set mappings_;
  std::unique_ptr<study_source> studies_;
  std::unique_ptr<job_runner> runner_;
  std::vector<std::pair<std::string, std::unique_ptr<deliver::sender>>> lanes_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::uint64_t> signals_;  // per topic: how often work was announced
};

}  // namespace radbridge::jobs
