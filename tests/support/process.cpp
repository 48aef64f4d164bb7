#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace radbridge::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A close-on-exec descriptor above 0..2 (taking ownership of fd), so that the
// child's dup2 onto 0..2 can never overwrite one it still needs.
unique_fd above_stdio(int fd) {
  if (fd < 0) throw_errno("creating a descriptor");
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (moved < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC)");
  return unique_fd(moved);
}

// The descriptor the child gets as stream `n` (0, 1, 2); empty: inherit ours.
unique_fd open_target(const stdio_target& t, int n) {
  switch (t.what) {
    case stdio_target::kind::inherit:
      return {};
    case stdio_target::kind::dev_null:
      return above_stdio(::open("/dev/null", (n == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC));
    case stdio_target::kind::file: {
      const int flags = n == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_APPEND;
      const int fd = ::open(t.file.c_str(), flags | O_CLOEXEC, 0600);
      if (fd < 0) throw_errno("open " + t.file.string());
      return above_stdio(fd);
    }
    case stdio_target::kind::descriptor: {
      const int fd = ::fcntl(t.fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) throw_errno("fcntl(F_DUPFD_CLOEXEC) of descriptor " + std::to_string(t.fd));
      return unique_fd(fd);
    }
  }
  return {};
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

int highest_fd_to_close() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    return static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20));
  return 1 << 16;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// What the child reports through the close-on-exec pipe when a step before
// execve fails; EOF on that pipe means execve succeeded.
enum class setup_step : int { dup2, setsid, setgroups, setgid, setuid, chdir, execve };
struct setup_failure {
  setup_step step;
  int error;
};

const char* step_name(setup_step step) {
  switch (step) {
    case setup_step::dup2: return "dup2";
    case setup_step::setsid: return "setsid";
    case setup_step::setgroups: return "setgroups";
    case setup_step::setgid: return "setgid";
    case setup_step::setuid: return "setuid";
    case setup_step::chdir: return "chdir";
    case setup_step::execve: return "execve";
  }
  return "?";
}

struct child_setup {
  int stdio[3] = {-1, -1, -1};  // -1: inherited
  int report = -1;              // write end of the report pipe, > 2
  int max_fd = 0;
  bool new_session = false;
  const user_identity* run_as = nullptr;
  const char* dir = nullptr;
  char** argv = nullptr;
  char** envp = nullptr;
};

void close_from(unsigned first, unsigned last, int max_fd) {
  if (first > last) return;
  if (::close_range(first, last, 0) == 0) return;
  for (int fd = static_cast<int>(first); fd < max_fd && static_cast<unsigned>(fd) <= last; ++fd) ::close(fd);
}

// The child side of fork: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const child_setup& s) {
  auto fail = [&](setup_step step) {
    const setup_failure f{step, errno};
    (void)!::write(s.report, &f, sizeof f);
    ::_exit(127);
  };
  for (int n = 0; n < 3; ++n)
    if (s.stdio[n] >= 0 && ::dup2(s.stdio[n], n) < 0) fail(setup_step::dup2);
  const auto report = static_cast<unsigned>(s.report);
  close_from(3, report - 1, s.max_fd);
  close_from(report + 1, ~0U, s.max_fd);
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for reserved ones
  if (s.new_session && ::setsid() < 0) fail(setup_step::setsid);
  if (s.run_as != nullptr) {
    if (::setgroups(1, &s.run_as->gid) != 0) fail(setup_step::setgroups);
    if (::setgid(s.run_as->gid) != 0) fail(setup_step::setgid);
    if (::setuid(s.run_as->uid) != 0) fail(setup_step::setuid);
  }
  if (s.dir != nullptr && ::chdir(s.dir) != 0) fail(setup_step::chdir);
  ::execve(s.argv[0], s.argv, s.envp);
  fail(setup_step::execve);
  ::_exit(127);  // fail() does not return; this tells the compiler
}

}  // namespace

child_process::child_process(std::vector<std::string> argv, spawn_options options)
    : owner_(::getpid()), stop_grace_(options.stop_grace) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
  name_ = argv.front();
  unique_fd stdio[3] = {open_target(options.in, 0), open_target(options.out, 1), open_target(options.err, 2)};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe2");
  unique_fd report_read = above_stdio(pipe_fds[0]);
  unique_fd report_write = above_stdio(pipe_fds[1]);

  auto args = c_strings(argv);
  std::vector<char*> envp;
  if (options.env) envp = c_strings(*options.env);
  const std::string dir = options.working_dir.string();
  child_setup setup;
  for (int n = 0; n < 3; ++n) setup.stdio[n] = stdio[n].get();
  setup.report = report_write.get();
  setup.max_fd = highest_fd_to_close();
  setup.new_session = options.new_session;
  setup.run_as = options.run_as ? &*options.run_as : nullptr;
  setup.dir = dir.empty() ? nullptr : dir.c_str();
  setup.argv = args.data();
  setup.envp = options.env ? envp.data() : environ;

  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork " + name_);
  if (pid == 0) exec_child(setup);
  report_write.reset();

  setup_failure failure{};
  ssize_t got = 0;
  do {
    got = ::read(report_read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::system_error(failure.error, std::generic_category(),
                            "cannot start " + name_ + " (" + step_name(failure.step) + ")");
  }
  pid_ = pid;
}

child_process::~child_process() {
  if (pid_ <= 0 || ::getpid() != owner_) return;
  try {
    stop(stop_grace_);
  } catch (...) {
  }
}

child_process::child_process(child_process&& other) noexcept
    : name_(std::move(other.name_)),
      pid_(std::exchange(other.pid_, 0)),
      owner_(other.owner_),
      exit_code_(other.exit_code_),
      cpu_s_(other.cpu_s_),
      stop_grace_(other.stop_grace_) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && ::getpid() == owner_) {
      try {
        stop(stop_grace_);
      } catch (...) {
      }
    }
    name_ = std::move(other.name_);
    pid_ = std::exchange(other.pid_, 0);
    owner_ = other.owner_;
    exit_code_ = other.exit_code_;
    cpu_s_ = other.cpu_s_;
    stop_grace_ = other.stop_grace_;
  }
  return *this;
}

bool child_process::running() const {
  if (pid_ <= 0) return false;
  // Peek without reaping: a child that died stays a zombie until reaped.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  return info.si_pid == 0;
}

void child_process::signal(int sig) const {
  if (pid_ > 0 && ::getpid() == owner_) ::kill(pid_, sig);
}

bool child_process::reap(bool block) {
  if (pid_ <= 0) return true;
  if (::getpid() != owner_) throw std::logic_error("child_process: " + name_ + " was started by another process");
  for (;;) {
    int status = 0;
    rusage usage{};
    const pid_t r = ::wait4(pid_, &status, block ? 0 : WNOHANG, &usage);
    if (r == pid_) {
      pid_ = 0;
      exit_code_ = exit_code(status);
      cpu_s_ = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
      return true;
    }
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("wait4 " + name_);
  }
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds timeout) {
  const auto end = clock_type::now() + timeout;
  auto pause = 1ms;
  for (;;) {
    if (reap(false)) break;
    const auto now = clock_type::now();
    if (now >= end) return std::nullopt;
    std::this_thread::sleep_for(std::min<clock_type::duration>(pause, end - now));
    pause = std::min(pause * 2, 10ms);
  }
  if (exit_code_ < 0) return std::nullopt;  // empty object (moved from or detached)
  return exit_code_;
}

int child_process::wait() {
  reap(true);
  return exit_code_;
}

int child_process::stop(std::chrono::milliseconds grace) {
  if (reap(false)) return exit_code_;
  ::kill(pid_, SIGTERM);
  if (const auto code = wait_for(grace)) return *code;
  ::kill(pid_, SIGKILL);
  return wait();
}

pid_t child_process::detach() noexcept { return std::exchange(pid_, 0); }

run_result run_to_end(std::vector<std::string> argv, const fs::path& out, const fs::path& err,
                      std::chrono::milliseconds timeout) {
  spawn_options options;
  options.out = stdio_target::append_to(out);
  options.err = stdio_target::append_to(err);
  child_process child(std::move(argv), std::move(options));
  if (const auto code = child.wait_for(timeout)) return {*code, child.cpu_seconds()};
  child.signal(SIGKILL);
  child.wait();
  throw std::runtime_error(child.name() + " did not finish within " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                           " s (killed)");
}

captured run_captured(std::vector<std::string> argv, spawn_options options, std::string_view input,
                      std::chrono::milliseconds timeout) {
  std::string what;
  for (const auto& a : argv) what += (what.empty() ? "" : " ") + a;

  int in_pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) throw_errno("socketpair");
  unique_fd in_parent = above_stdio(in_pair[0]);
  unique_fd in_child = above_stdio(in_pair[1]);
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  unique_fd out_parent = above_stdio(out_pipe[0]);
  unique_fd out_child = above_stdio(out_pipe[1]);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw_errno("pipe2");
  unique_fd err_parent = above_stdio(err_pipe[0]);
  unique_fd err_child = above_stdio(err_pipe[1]);

  options.in = stdio_target::descriptor(in_child.get());
  options.out = stdio_target::descriptor(out_child.get());
  options.err = stdio_target::descriptor(err_child.get());
  options.stop_grace = 0ms;
  child_process child(std::move(argv), std::move(options));
  in_child.reset();
  out_child.reset();
  err_child.reset();

  captured result;
  const auto deadline = clock_type::now() + timeout;
  auto kill_and_throw = [&](const std::string& why) {
    child.signal(SIGKILL);
    child.wait();
    throw std::runtime_error(what + ": " + why + "; stderr: " + result.err);
  };

  std::size_t written = 0;
  if (input.empty()) in_parent.reset();
  for (auto* fd : {&in_parent, &out_parent, &err_parent}) {
    if (!*fd) continue;
    const int flags = ::fcntl(fd->get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd->get(), F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
  }

  char buffer[16384];
  while (in_parent || out_parent || err_parent) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left <= 0ms) kill_and_throw("timed out after " + std::to_string(timeout.count()) + " ms");
    pollfd fds[3];
    nfds_t n = 0;
    for (auto* fd : {&in_parent, &out_parent, &err_parent})
      if (*fd) fds[n++] = pollfd{fd->get(), static_cast<short>(fd == &in_parent ? POLLOUT : POLLIN), 0};
    const int ready = ::poll(fds, n, static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), 1000)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (in_parent && fds[i].fd == in_parent.get()) {
        const std::size_t chunk = std::min<std::size_t>(input.size() - written, 65536);
        const ssize_t w = ::send(in_parent.get(), input.data() + written, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) in_parent.reset();  // child stopped reading
        if (written == input.size()) in_parent.reset();                   // EOF for the child
        continue;
      }
      unique_fd& source = fds[i].fd == out_parent.get() ? out_parent : err_parent;
      std::string& sink = &source == &out_parent ? result.out : result.err;
      const ssize_t r = ::read(source.get(), buffer, sizeof buffer);
      if (r > 0)
        sink.append(buffer, static_cast<std::size_t>(r));
      else if (r == 0 || (errno != EAGAIN && errno != EINTR))
        source.reset();
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  const auto status = child.wait_for(std::max(left, 0ms));
  if (!status) kill_and_throw("did not exit in time");
  result.status = *status;
  return result;
}

std::filesystem::path node_binary() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::filesystem::path dir(std::string(dirs.substr(0, colon)));
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    if (dir.empty()) continue;
    const std::filesystem::path candidate = dir / "node";
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw std::runtime_error("node (Node.js) is not on PATH; run scripts/install-deps");
}

std::uint16_t free_tcp_port() {
  unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) throw_errno("bind 127.0.0.1:0");
  socklen_t length = sizeof address;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) throw_errno("getsockname");
  return ntohs(address.sin_port);
}

fs::path make_temp_folder(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string pattern = base + "/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp " + pattern);
  return fs::absolute(pattern);
}

temp_folder::~temp_folder() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

void unique_fd::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void release_watchdog(int& fd, std::optional<child_process>& watchdog, bool clean) noexcept {
  if (fd < 0) return;
  if (clean) {
    static constexpr char done[] = "done\n";
    clean = ::send(fd, done, sizeof done - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof done - 1);
  }
  ::close(fd);
  fd = -1;
  if (watchdog) {
    if (clean) {
      try {
        watchdog->wait();
      } catch (...) {
      }
    } else {
      watchdog->detach();
    }
    watchdog.reset();
  }
}

}  // namespace radbridge::test
