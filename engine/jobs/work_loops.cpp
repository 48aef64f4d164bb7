#include "jobs/work_loops.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "store/notifications.hpp"
#include "store/store_error.hpp"

namespace radbridge::jobs {

namespace {

std::chrono::milliseconds next_backoff(std::chrono::milliseconds b) {
  return std::min(std::chrono::milliseconds{5000}, std::max(b * 2, std::chrono::milliseconds{100}));
}

}  // namespace

work_loops::work_loops(std::string conninfo, std::chrono::milliseconds poll)
    : conninfo_(std::move(conninfo)), poll_(poll) {}

work_loops::~work_loops() { stop(); }

bool work_loops::stopping() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void work_loops::idle(const std::string& topic, std::uint64_t seen, std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, wait, [&] { return stopping_ || signals_[topic] != seen; });
}

void work_loops::signal(const std::string& topic) {
  {
    std::lock_guard lock(mutex_);
    ++signals_[topic];
  }
  wake_.notify_all();
}

void work_loops::add(std::string name, std::string topic, step_fn step, due_fn due) {
  threads_.emplace_back([this, name = std::move(name), topic = std::move(topic), step = std::move(step),
                         due = std::move(due)] {
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
        std::chrono::milliseconds wait = poll_;
        if (due) {
          if (const std::optional<std::chrono::milliseconds> next = due(db)) {
            wait = std::clamp(*next, std::chrono::milliseconds{1}, wait);
          }
        }
        backoff = std::chrono::milliseconds{0};
        idle(topic, seen, wait);
      } catch (const store::store_error& e) {
        backoff = next_backoff(backoff);
        // A permanent error's text may quote row values; only connection-level ones are logged verbatim.
        const bool verbatim = e.kind() != store::failure::permanent;
        log::warn("pipeline_database_error", {{"worker", name},
                                              {"kind", store::to_string(e.kind())},
                                              {"error", verbatim ? e.what() : "(not logged: may quote row values)"},
                                              {"retry_ms", backoff.count()}});
        idle({}, 0, backoff);
      } catch (const std::exception& e) {
        log::error("pipeline_step_failed", {{"worker", name}, {"error", e.what()}});
        idle({}, 0, poll_);
      }
    }
  });
}

void work_loops::listen(std::vector<std::string> lanes) {
  threads_.emplace_back([this, lanes = std::move(lanes)] {
    store::notification_listener listener(conninfo_);
    std::chrono::milliseconds backoff{0};
    while (!stopping()) {
      try {
        for (const store::notification& n : listener.wait(std::chrono::milliseconds(250))) {
          if (n.channel == store::inbound_channel) signal(inbound_topic);
          if (n.channel == store::jobs_channel) signal(jobs_topic);
          if (n.channel != store::outbound_channel) continue;
          if (n.payload != "*") signal(lane_topic(n.payload));
          if (n.payload == "*") {
            for (const std::string& lane : lanes) signal(lane_topic(lane));
          }
        }
        backoff = std::chrono::milliseconds{0};
      } catch (const store::store_error& e) {
        backoff = next_backoff(backoff);
        log::warn("pipeline_database_error", {{"worker", "listener"},
                                              {"kind", store::to_string(e.kind())},
                                              {"error", e.what()},
                                              {"retry_ms", backoff.count()}});
        idle({}, 0, backoff);
      }
    }
  });
}

void work_loops::stop() {
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
