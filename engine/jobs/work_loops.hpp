// Worker threads that sleep until there is work: each runs a step (route
// messages, run a job, send a lane's head) in a loop with its own database
// connection. When a step finds nothing it sleeps until its topic is
// signalled, until `due` says its next row is due, or for `poll` at most;
// the listener thread turns PostgreSQL notifications (store/notifications.hpp)
// into signals: radbridge_inbound → "inbound", radbridge_jobs → "jobs",
// radbridge_outbound → "outbound:<destination>" (every lane after a
// reconnect). A database error makes a thread back off (doubling, up to
// 5 s) and go on; any other exception is logged and the loop goes on.
// `stop` (also the destructor) lets each thread finish its step and joins.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"

namespace radbridge::jobs {

inline const std::string inbound_topic = "inbound";
inline const std::string jobs_topic = "jobs";
inline std::string lane_topic(const std::string& destination) { return "outbound:" + destination; }

class work_loops {
 public:
  using step_fn = std::function<bool(store::database&)>;  // true: it found work
  using due_fn = std::function<std::optional<std::chrono::milliseconds>(store::database&)>;

  work_loops(std::string conninfo, std::chrono::milliseconds poll);
  ~work_loops();
  work_loops(const work_loops&) = delete;
  work_loops& operator=(const work_loops&) = delete;

  void add(std::string name, std::string topic, step_fn step, due_fn due = {});
  // LISTEN for notifications; `lanes` are the destinations signalled after a reconnect.
  void listen(std::vector<std::string> lanes);
  void stop();

 private:
  void idle(const std::string& topic, std::uint64_t seen, std::chrono::milliseconds wait);
  void signal(const std::string& topic);
  bool stopping();

  std::string conninfo_;
  std::chrono::milliseconds poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::uint64_t> signals_;  // per topic: how often work was announced
  std::vector<std::thread> threads_;
};

}  // namespace radbridge::jobs
