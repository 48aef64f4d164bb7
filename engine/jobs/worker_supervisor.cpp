#include "jobs/worker_supervisor.hpp"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "store/database.hpp"
#include "store/job_store.hpp"
#include "store/store_error.hpp"

extern char** environ;

namespace radbridge::jobs {

namespace {

// The socket pair one worker's events come over: serve's end is read here,
// the worker's end becomes its fd 3. Both are close-on-exec, so no other
// child inherits them; the worker gets its end through posix_spawn's dup2.
class event_socket {
 public:
  event_socket() {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
      log::warn("worker_events_unavailable", {{"error", std::strerror(errno)}});
      return;
    }
    ours_ = ends[0];
    // dup2 onto the same number would keep close-on-exec: keep the worker's end off 3.
    worker_ = ends[1] == 3 ? fcntl(ends[1], F_DUPFD_CLOEXEC, 4) : ends[1];
    if (worker_ != ends[1]) ::close(ends[1]);
  }
  ~event_socket() {
    close_worker_end();
    if (ours_ >= 0) ::close(ours_);
  }
  event_socket(const event_socket&) = delete;
  event_socket& operator=(const event_socket&) = delete;

  int worker_end() const noexcept { return worker_; }
  void close_worker_end() noexcept {
    if (worker_ >= 0) ::close(worker_);
    worker_ = -1;
  }
  // Each packet until every copy of the worker's end is closed.
  void read_each(const std::function<void(std::string_view)>& f) const {
    if (ours_ < 0) return;
    std::vector<char> buffer(4096);
    for (;;) {
      const ssize_t n = ::recv(ours_, buffer.data(), buffer.size(), 0);
      if (n == 0) return;
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      f(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
  }

 private:
  int ours_ = -1;
  int worker_ = -1;
};

}  // namespace

std::string lease_owner_of(pid_t pid) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "localhost");
  return std::string(host) + ":" + std::to_string(pid);
}

worker_supervisor::worker_supervisor(std::string worker_binary, std::string config_file, std::string conninfo,
                                     std::chrono::milliseconds stop_grace, event_handler on_event)
    : binary_(std::move(worker_binary)),
      config_file_(std::move(config_file)),
      conninfo_(std::move(conninfo)),
      stop_grace_(stop_grace),
      on_event_(std::move(on_event)) {}

worker_supervisor::~worker_supervisor() { stop(); }

void worker_supervisor::start() { thread_ = std::thread([this] { run(); }); }

pid_t worker_supervisor::spawn(int events_fd) {
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "RADBRIDGE_DB=", 13) != 0 && std::strncmp(*e, "RADBRIDGE_SUPERVISOR_PID=", 25) != 0 &&
        std::strncmp(*e, "RADBRIDGE_EVENTS_FD=", 20) != 0) {
      env_text.emplace_back(*e);
    }
  }
  env_text.push_back("RADBRIDGE_DB=" + conninfo_);
  // The worker checks that we are still its parent once it follows our lifetime (worker_command.cpp).
  env_text.push_back("RADBRIDGE_SUPERVISOR_PID=" + std::to_string(getpid()));
  if (events_fd >= 0) env_text.push_back("RADBRIDGE_EVENTS_FD=3");
  std::vector<char*> envp;
  for (std::string& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args_text = {binary_, "jobs", "--config", config_file_, "--supervised"};
  std::vector<char*> argv;
  for (std::string& a : args_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Nothing of ours beyond 0-2 and the event socket as 3: sockets (Boost.Asio opens them without
  // close-on-exec) would stay open in the worker, keeping the listener's port bound after serve
  // dies and connections the listener closed open.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (events_fd >= 0) posix_spawn_file_actions_adddup2(&actions, events_fd, 3);
  posix_spawn_file_actions_addclosefrom_np(&actions, events_fd >= 0 ? 4 : 3);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, binary_.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    log::error("worker_spawn_failed", {{"binary", binary_}, {"error", std::strerror(rc)}});
    return 0;
  }
  return pid;
}

void worker_supervisor::run() {
  std::chrono::milliseconds backoff{0};
  for (;;) {
    pid_t pid = 0;
    event_socket events;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      pid = child_ = spawn(events.worker_end());
    }
    events.close_worker_end();
    // Reads until the worker's end closes (it exited), so it is joined after waitpid.
    std::thread reader([this, &events] {
      events.read_each([this](std::string_view packet) {
        if (on_event_) on_event_(packet);
      });
    });
    const auto started = std::chrono::steady_clock::now();
    int status = 0;
    if (pid != 0) {
      log::info("worker_started", {{"pid", pid}});
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    }
    reader.join();
    bool asked = false;
    {
      std::lock_guard lock(mutex_);
      child_ = 0;
      asked = stopping_;
    }
    changed_.notify_all();
    if (pid != 0) {
      const bool signalled = WIFSIGNALED(status);
      log::write(asked ? log::level::info : log::level::error, "worker_exited",
                 {{"pid", pid},
                  {signalled ? "signal" : "code", signalled ? WTERMSIG(status) : WEXITSTATUS(status)},
                  {"asked", asked ? "yes" : "no"}});
      try {
        store::database db(conninfo_);
        const std::size_t released = store::release_leases_of(db, lease_owner_of(pid));
        if (released > 0) log::warn("worker_leases_released", {{"pid", pid}, {"jobs", released}});
      } catch (const store::store_error& e) {
        // The leases run out by themselves; the jobs are claimed again a little later.
        log::warn("pipeline_database_error", {{"worker", "supervisor"}, {"kind", store::to_string(e.kind())},
                                              {"error", e.what()}});
      }
    }
    if (asked) return;
    const bool quick_death = std::chrono::steady_clock::now() - started < std::chrono::minutes(1);
    backoff = quick_death ? std::min(std::chrono::milliseconds{10000}, std::max(backoff * 2, std::chrono::milliseconds{200}))
                          : std::chrono::milliseconds{200};
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, backoff, [&] { return stopping_; });
  }
}

void worker_supervisor::stop() {
  pid_t pid = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    pid = child_;
  }
  changed_.notify_all();
  if (!thread_.joinable()) return;
  if (pid != 0) {
    kill(pid, SIGTERM);
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, stop_grace_, [&] { return child_ == 0; })) kill(pid, SIGKILL);
  }
  thread_.join();
}

}  // namespace radbridge::jobs
