// Runs the job worker as a child process (`radbridge-worker jobs --config
// FILE --supervised`, the database in RADBRIDGE_DB so it shows in no command
// line, our pid in RADBRIDGE_SUPERVISOR_PID so that a worker whose engine
// died before it could follow the engine's lifetime leaves, no descriptor of
// ours beyond 0-2) and starts it again whenever it
// exits unasked: an out-of-memory kill or a segfault in a decoder or in
// libtorch never stops the MLLP listener or delivery, which run in this
// process. When the worker dies, the leases it
// held (owner "host:pid") run out at once (store::release_leases_of), so its
// job is claimed again and counts an attempt; a job that kills every worker
// ends as attempts_exhausted. Restarts back off from 200 ms, doubling to
// 10 s while workers keep dying within a minute of starting. `stop` (also
// the destructor) sends SIGTERM, waits up to `stop_grace` for the job in
// hand, then SIGKILL. Logs worker_started / worker_exited with pids and
// exit codes or signals. The worker's job events (job_events.hpp) arrive
// on a socket pair (its fd 3) and are handed to `on_event`, on a reader
// thread of each worker's.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>

namespace radbridge::jobs {

// The lease owner name of a worker process on this host.
std::string lease_owner_of(pid_t pid);

class worker_supervisor {
 public:
  using event_handler = std::function<void(std::string_view packet)>;

  worker_supervisor(std::string worker_binary, std::string config_file, std::string conninfo,
                    std::chrono::milliseconds stop_grace = std::chrono::seconds(30), event_handler on_event = {});
  ~worker_supervisor();
  worker_supervisor(const worker_supervisor&) = delete;
  worker_supervisor& operator=(const worker_supervisor&) = delete;

  void start();
  void stop();

 private:
  void run();
  pid_t spawn(int events_fd);  // events_fd: the worker's end of the event socket pair

  std::string binary_;
  std::string config_file_;
  std::string conninfo_;
  std::chrono::milliseconds stop_grace_;
  event_handler on_event_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  pid_t child_ = 0;
  std::thread thread_;
};

}  // namespace radbridge::jobs
