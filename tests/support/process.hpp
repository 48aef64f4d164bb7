// Child processes, free ports and temporary folders for tests and benchmarks.
//
// child_process starts a program (fork + execve, no shell, no PATH search:
// argv[0] is a path) with standard input from /dev/null unless told
// otherwise, and standard output and error inherited unless redirected to a
// file (appended to, created 0600) or to a descriptor. The child starts with
// an empty signal mask and default dispositions, and no descriptors of ours
// beyond 0..2. Options: its own session, a working folder, an explicit
// environment, and (when we are root) another user and group.
//
// Guarantees:
// - The constructor returns once the program runs: a failure to start
//   (missing binary, setuid refused, ...) throws std::system_error naming the
//   program and the step that failed, and leaves no process behind.
// - The destructor stops a child that still runs: SIGTERM, a wait of at most
//   options.stop_grace, then SIGKILL and a wait for the exit. A child is
//   reaped exactly once, by wait(), wait_for() or stop(); its CPU time (from
//   wait4) is known after that.
// - Only the process that started a child signals, reaps or stops it: the
//   destructor of a copy inherited by fork() does nothing.
// - free_tcp_port() is a port that was free on 127.0.0.1 a moment ago; a
//   caller that binds later must handle a clash (retry with a new port).
// - temp_folder is a fresh mkdtemp folder (mode 0700) under $TMPDIR or /tmp,
//   removed with everything in it by the destructor.
//
// Not provided: pipes to a running child (run_captured collects output of a
// child run to the end), process groups, PATH search. A child_process object
// is not thread-safe, except pid() and running(); distinct objects may be
// used from distinct threads. Errors are std::system_error (from the OS) or
// std::runtime_error (time limits).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace radbridge::test {

// A file descriptor closed by the destructor (or reset()); movable, not copyable.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const { return fd_; }
  void reset() noexcept;
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Where one standard stream of a child comes from or goes to.
struct stdio_target {
  enum class kind { dev_null, inherit, file, descriptor };
  kind what = kind::inherit;
  std::filesystem::path file;  // kind::file: stdin reads it; stdout/stderr append to it
  int fd = -1;                 // kind::descriptor: ours; the child gets a copy, we keep it

  static stdio_target dev_null() { return {kind::dev_null, {}, -1}; }
  static stdio_target inherit() { return {kind::inherit, {}, -1}; }
  static stdio_target append_to(std::filesystem::path file) { return {kind::file, std::move(file), -1}; }
  static stdio_target descriptor(int fd) { return {kind::descriptor, {}, fd}; }
};

struct user_identity {
  uid_t uid = 0;
  gid_t gid = 0;
};

struct spawn_options {
  stdio_target in = stdio_target::dev_null();
  stdio_target out = stdio_target::inherit();
  stdio_target err = stdio_target::inherit();
  std::optional<std::vector<std::string>> env;  // "NAME=value" entries; nullopt: ours
  std::filesystem::path working_dir;            // empty: ours
  bool new_session = false;                     // setsid(): no Ctrl-C from our terminal
  std::optional<user_identity> run_as;          // setgroups + setgid + setuid; needs root
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};  // SIGTERM to SIGKILL in the destructor
};

class child_process {
 public:
  // Starts argv[0] with argv; throws std::system_error if it cannot.
  explicit child_process(std::vector<std::string> argv, spawn_options options = {});
  // stop(options.stop_grace) when it still runs; never throws.
  ~child_process();

  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;  // stops ours first
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // The PID until the child is reaped (a child that has exited stays a
  // zombie with this PID until then), 0 after.
  pid_t pid() const { return pid_; }
  // Whether it has not exited yet; does not reap it.
  bool running() const;
  // kill(pid(), sig); a no-op once reaped.
  void signal(int sig) const;

  // The exit code, or 128 + signal when a signal ended it; nullopt when it
  // still runs after `timeout` (0: just look). Reaps it when it has exited;
  // afterwards returns the same code again.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  int wait();
  // SIGTERM, at most `grace` for it to exit, then SIGKILL; returns the exit
  // code as wait() does. A no-op returning the code when already reaped.
  int stop(std::chrono::milliseconds grace);

  // User + system CPU seconds the child used (wait4), once reaped; else 0.
  double cpu_seconds() const { return cpu_s_; }
  const std::string& name() const { return name_; }

  // Gives the child up without stopping or reaping it (e.g. a watchdog that
  // must outlive us); returns its PID. This object is empty afterwards.
  pid_t detach() noexcept;

 private:
  bool reap(bool block);  // true once reaped

  std::string name_;   // argv[0], for messages
  pid_t pid_ = 0;      // 0: none (never started, reaped or detached)
  pid_t owner_ = 0;    // getpid() of the process that started it
  int exit_code_ = -1;
  double cpu_s_ = 0;
  std::chrono::milliseconds stop_grace_{0};
};

// Ends a fixture's watchdog (a shell holding the other end of `fd`, which
// cleans up after us if we die): with `clean`, tells it "done" and waits for
// it to exit; otherwise (or if "done" cannot be sent) closes the descriptor,
// which makes it clean up, and leaves it to init. Resets both arguments.
void release_watchdog(int& fd, std::optional<child_process>& watchdog, bool clean) noexcept;

// A child run to the end with stdout and stderr going to files (appended).
struct run_result {
  int exit_code = 0;  // or 128 + signal
  double cpu_s = 0;   // user + system CPU seconds of the child
};
// Waits at most `timeout`; a child still running then is killed (SIGKILL,
// reaped) and std::runtime_error is thrown.
run_result run_to_end(std::vector<std::string> argv, const std::filesystem::path& out,
                      const std::filesystem::path& err, std::chrono::milliseconds timeout);

// A child run to the end with `input` written to its stdin (then EOF) and its
// stdout and stderr collected. stdin is a socket: a child that exits without
// reading gives us EPIPE, not SIGPIPE. options.in, .out and .err are ignored.
// A child still running after `timeout` is killed and std::runtime_error
// (with its stderr so far) is thrown.
struct captured {
  int status = 0;  // exit code, or 128 + signal
  std::string out;
  std::string err;
};
captured run_captured(std::vector<std::string> argv, spawn_options options, std::string_view input,
                      std::chrono::milliseconds timeout);

// Node.js from PATH (for the npm tools the tests run); throws
// std::runtime_error naming scripts/install-deps when there is none.
std::filesystem::path node_binary();

// A port nobody listened on at 127.0.0.1 a moment ago (bind to port 0, read it back).
std::uint16_t free_tcp_port();

// mkdtemp("$TMPDIR/PREFIX-XXXXXX"), or under /tmp when TMPDIR is unset or
// empty; the path is absolute. The caller removes it.
std::filesystem::path make_temp_folder(std::string_view prefix);

// A temporary folder removed, with everything in it, by the destructor.
class temp_folder {
 public:
  explicit temp_folder(std::string_view prefix = "radbridge-test") : path_(make_temp_folder(prefix)) {}
  ~temp_folder();
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One T for the whole test program, made at the first call (thread-safe);
// a failure to make it is remembered and rethrown to every later caller, so
// a broken fixture fails each test that needs it once, quickly.
template <class T>
T& shared_instance() {
  static std::mutex mutex;
  static std::unique_ptr<T> instance;
  static std::exception_ptr failure;
  const std::lock_guard lock(mutex);
  if (instance) return *instance;
  if (failure) std::rethrow_exception(failure);
  try {
    instance = std::make_unique<T>();
  } catch (...) {
    failure = std::current_exception();
    throw;
  }
  return *instance;
}

}  // namespace radbridge::test
