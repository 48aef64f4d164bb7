#include "support/postgres_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace radbridge::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr std::string_view superuser = "postgres";  // bootstrap superuser, used over the socket only
constexpr std::string_view role = "radbridge";
constexpr std::string_view database = "radbridge";
constexpr int start_attempts = 5;  // fresh ports tried when the picked one is taken meanwhile

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Who a child runs as: ourselves, or (when we are root) the postgres user.
struct identity {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct process_spec {
  std::vector<std::string> argv;  // argv[0] is an absolute path; no shell involved
  std::vector<std::string> env;
  identity as;
  std::string input;  // written to stdin, then EOF
  std::chrono::milliseconds timeout{60s};
};

// Runs spec.argv to the end (from /, as spec.as), feeding spec.input and
// collecting stdout and stderr; killed (and an exception) after spec.timeout.
captured run_process(process_spec spec) {
  spawn_options options;
  options.env = std::move(spec.env);
  options.working_dir = "/";
  if (spec.as.switch_user) options.run_as = user_identity{spec.as.uid, spec.as.gid};
  return run_captured(std::move(spec.argv), std::move(options), spec.input, spec.timeout);
}

std::string trim_trailing_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// PostgreSQL's binaries: $RADBRIDGE_PG_BINDIR, else version 15, else the newest installed.
fs::path find_bin_dir() {
  if (const char* dir = std::getenv("RADBRIDGE_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    if (!fs::exists(fs::path(dir) / "initdb"))
      throw std::runtime_error(std::string("RADBRIDGE_PG_BINDIR=") + dir + " has no initdb");
    return dir;
  }
  const fs::path preferred = "/usr/lib/postgresql/15/bin";
  if (fs::exists(preferred / "initdb")) return preferred;
  fs::path best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    int version = 0;
    const auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (parse_error != std::errc{} || end != name.data() + name.size()) continue;
    if (version > best_version && fs::exists(entry.path() / "bin" / "initdb")) {
      best_version = version;
      best = entry.path() / "bin";
    }
  }
  if (best.empty())
    throw std::runtime_error(
        "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql; install the Debian package "
        "postgresql or set RADBRIDGE_PG_BINDIR");
  return best;
}

identity server_identity() {
  if (::geteuid() != 0) return {};
  // getpwnam_r: tests may run this while other threads use the passwd database.
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwnam_r("postgres", &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr)
    throw std::runtime_error(
        "running as root, but there is no `postgres` system user to run PostgreSQL as (PostgreSQL refuses root)");
  return {true, entry.pw_uid, entry.pw_gid};
}

// pg_ctl pastes the data folder, log path and -o options into a shell command
// line, and the socket path must fit sockaddr_un: refuse paths that could
// break either.
void check_folder_path(const fs::path& folder) {
  const std::string s = folder.string();
  const bool safe = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '.' ||
           c == '_' || c == '-' || c == '+';
  });
  if (!safe)
    throw std::runtime_error("temporary folder " + s +
                             " has characters that pg_ctl cannot quote; set TMPDIR to a plain path");
  if (s.size() + std::string_view("/.s.PGSQL.65535").size() >= sizeof(sockaddr_un{}.sun_path))
    throw std::runtime_error("temporary folder " + s + " is too long for a unix socket path; set TMPDIR shorter");
}

std::string read_from(const fs::path& file, std::uintmax_t offset, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uintmax_t>(std::max<std::streamoff>(in.tellg(), 0));
  if (offset > size) offset = 0;  // the file was replaced
  const std::uintmax_t start = std::max<std::uintmax_t>(offset, size > max_bytes ? size - max_bytes : 0);
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return text;
}

std::uintmax_t size_of(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

void write_file(const fs::path& file, const std::string& text, const identity& owner) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  ::chmod(file.c_str(), 0600);
  if (owner.switch_user && ::chown(file.c_str(), owner.uid, owner.gid) != 0) throw_errno("chown " + file.string());
}

// Whether pid is a live postmaster of data_dir: its working directory is the
// data folder, which guards against a stale postmaster.pid naming a reused PID.
bool is_postmaster_of(pid_t pid, const fs::path& data_dir) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::error_code ec;
  const fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return ec == std::errc::permission_denied;  // alive, not ours to inspect: trust the PID file
  return cwd == data_dir;
}

// Live processes whose working directory is data_dir: the postmaster and its
// children (backends, checkpointer...) all run there. Zombies have no cwd.
std::vector<pid_t> processes_in(const fs::path& data_dir) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    long pid = 0;
    const auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parse_error != std::errc{} || end != name.data() + name.size()) continue;
    std::error_code link_error;
    if (fs::read_symlink(entry.path() / "cwd", link_error) == data_dir && !link_error)
      found.push_back(static_cast<pid_t>(pid));
  }
  return found;
}

pid_t pid_in_file(const fs::path& pid_file) {
  std::ifstream in(pid_file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

// Run by /bin/sh as the server's user, in its own session, with our end of a
// socket pair as stdin: "done" means we cleaned up ourselves; EOF without it
// means the test process died, so stop the server and remove the folder.
// $1 pg_ctl, $2 data folder, $3 temporary folder: arguments, never pasted.
constexpr const char* watchdog_script = R"sh(trap '' HUP INT QUIT TERM PIPE
IFS= read -r line
[ "$line" = done ] && exit 0
if [ -f "$2/postmaster.pid" ]; then
  if ! "$1" stop -D "$2" -m immediate -w -t 30 -s; then
    pid=$(head -n 1 "$2/postmaster.pid")
    [ -n "$pid" ] && [ "$(readlink "/proc/$pid/cwd")" = "$2" ] && kill -9 "$pid"
  fi
fi
rm -rf -- "$3"
)sh";

// Environment of every child: nothing inherited that could redirect libpq
// (PGHOST, PGPORT, PGSERVICE...) or localize messages that tests match.
std::vector<std::string> child_env(const fs::path& bin_dir, const fs::path& home) {
  std::vector<std::string> env{"PATH=" + bin_dir.string() + ":/usr/bin:/bin", "LC_ALL=C", "LANG=C",
                               "HOME=" + home.string()};
  if (const char* tz = std::getenv("TZ")) env.push_back(std::string("TZ=") + tz);
  return env;
}

}  // namespace

postgres_server::postgres_server() : postgres_server(postgres_server_options{}) {}

postgres_server::postgres_server(postgres_server_options options)
    : options_(std::move(options)), owner_pid_(::getpid()) {
  try {
    create();
  } catch (...) {
    shutdown();
    throw;
  }
}

postgres_server::~postgres_server() { shutdown(); }

void postgres_server::create() {
  bin_dir_ = find_bin_dir();
  const identity as = server_identity();
  switch_user_ = as.switch_user;
  server_uid_ = as.uid;
  server_gid_ = as.gid;

  folder_ = make_temp_folder("radbridge-pg");  // set first: from here on shutdown() removes it
  folder_ = fs::canonical(folder_);
  data_dir_ = folder_ / "data";
  log_file_ = folder_ / "postgres.log";
  check_folder_path(folder_);
  if (switch_user_ && ::chown(folder_.c_str(), server_uid_, server_gid_) != 0) throw_errno("chown " + folder_.string());

  start_watchdog();

  const auto initdb = run_process({{(bin_dir_ / "initdb").string(), "--pgdata=" + data_dir_.string(),
                                    "--username=" + std::string(superuser), "--auth=trust", "--encoding=UTF8",
                                    "--locale=C", "--no-sync", "--no-instructions"},
                                   child_env(bin_dir_, folder_),
                                   as,
                                   {},
                                   120s});
  if (initdb.status != 0)
    throw std::runtime_error("initdb failed (exit " + std::to_string(initdb.status) + ") in " + folder_.string() +
                             ": " + initdb.err + initdb.out);

  {
    // Our settings live in an included file; postgresql.conf only gains the include.
    std::ofstream conf(data_dir_ / "postgresql.conf", std::ios::app);
    conf << "\ninclude 'radbridge_test.conf'\n";
    if (!conf) throw std::runtime_error("cannot append to postgresql.conf in " + data_dir_.string());
  }
  write_configuration();

  for (int attempt = 1;; ++attempt) {
    port_ = free_tcp_port();
    if (launch() == launch_result::started) break;
    if (attempt == start_attempts)
      throw std::runtime_error(server_failure(
          "PostgreSQL could not bind a free port on 127.0.0.1 in " + std::to_string(start_attempts) + " attempts",
          ""));
  }
  bootstrap();
}

void postgres_server::write_configuration() const {
  std::string conf =
      "# Written by radbridge::test::postgres_server. Later lines win.\n"
      "shared_buffers = 32MB\n"
      "max_connections = 100\n"
      "fsync = on\n"
      "synchronous_commit = on\n"
      "full_page_writes = on\n"
      "logging_collector = off\n"  // pg_ctl -l writes stderr to the log file
      "log_destination = 'stderr'\n"
      "log_line_prefix = '%m [%p] %q%u@%d '\n";
  for (const auto& line : options_.extra_settings) conf += line + "\n";
  conf +=
      "# Network, after the extra settings so they cannot widen it.\n"
      "listen_addresses = '127.0.0.1'\n"
      "unix_socket_directories = '" +
      folder_.string() +
      "'\n"
      "unix_socket_permissions = 0700\n";
  const identity owner{switch_user_, server_uid_, server_gid_};
  write_file(data_dir_ / "radbridge_test.conf", conf, owner);
  write_file(data_dir_ / "pg_hba.conf",
             "# TYPE  DATABASE  USER  ADDRESS       METHOD\n"
             "local   all       all                 trust\n"
             "host    all       all   127.0.0.1/32  trust\n",
             owner);
}

postgres_server::launch_result postgres_server::launch() {
  const identity as{switch_user_, server_uid_, server_gid_};
  const std::uintmax_t log_offset = size_of(log_file_);
  // The network settings go on the postmaster's command line too, where they
  // beat postgresql.auto.conf (ALTER SYSTEM). pg_ctl pastes -o into a shell
  // line: it holds a number, an address and the folder, whose characters
  // check_folder_path() limited to ones no shell treats specially.
  const std::string network =
      "-p " + std::to_string(port_) + " -c listen_addresses=127.0.0.1 -k " + folder_.string();
  const auto r = run_process({{(bin_dir_ / "pg_ctl").string(), "start", "-D", data_dir_.string(), "-l",
                               log_file_.string(), "-w", "-t", "30", "-s", "-o", network},
                              child_env(bin_dir_, folder_),
                              as,
                              {},
                              90s});
  if (r.status == 0) {
    wait_until_ready();
    return launch_result::started;
  }
  // Whatever came half-way up must go down before we retry or report.
  try {
    stop();
  } catch (...) {
  }
  const std::string new_log = read_from(log_file_, log_offset, 1 << 20);
  if (new_log.find("Address already in use") != std::string::npos) return launch_result::port_in_use;
  throw std::runtime_error(server_failure("PostgreSQL did not start on 127.0.0.1:" + std::to_string(port_) +
                                              " (pg_ctl exit " + std::to_string(r.status) + ")",
                                          r.err + r.out));
}

void postgres_server::wait_until_ready() {
  // pg_ctl -w already waited for "ready" in postmaster.pid; confirm over TCP,
  // which is how every client will come.
  const auto deadline = clock_type::now() + 30s;
  std::string last;
  for (;;) {
    const auto r = run_process({{(bin_dir_ / "pg_isready").string(), "-q", "-h", "127.0.0.1", "-p",
                                 std::to_string(port_), "-d", "postgres", "-U", std::string(superuser), "-t", "2"},
                                child_env(bin_dir_, folder_),
                                {},
                                {},
                                10s});
    if (r.status == 0) return;
    last = "pg_isready exit " + std::to_string(r.status) + " " + r.err;
    if (clock_type::now() >= deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  try {
    stop();
  } catch (...) {
  }
  throw std::runtime_error(
      server_failure("PostgreSQL did not accept connections on 127.0.0.1:" + std::to_string(port_) + " within 30 s",
                     last));
}

void postgres_server::bootstrap() {
  // Over the unix socket as the bootstrap superuser; CREATE DATABASE needs
  // its own statement outside a transaction, which -f - gives it.
  const auto r = run_process({{(bin_dir_ / "psql").string(), "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-h",
                               folder_.string(), "-p", std::to_string(port_), "-U", std::string(superuser), "-d",
                               "postgres", "-f", "-"},
                              child_env(bin_dir_, folder_),
                              {switch_user_, server_uid_, server_gid_},
                              "CREATE ROLE " + std::string(role) + " LOGIN SUPERUSER;\nCREATE DATABASE " +
                                  std::string(database) + " OWNER " + std::string(role) + ";\n",
                              60s});
  if (r.status != 0)
    throw std::runtime_error(server_failure(
        "creating role and database `radbridge` failed (psql exit " + std::to_string(r.status) + ")", r.err));
}

std::string postgres_server::server_failure(const std::string& what, const std::string& detail) const {
  std::string message = what;
  if (!detail.empty()) message += ": " + trim_trailing_newlines(detail);
  message += "\n--- server log " + log_file_.string() + " (tail) ---\n" + log_tail(4096);
  return message;
}

std::string postgres_server::conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + std::string(database) +
         " user=" + std::string(role) + " connect_timeout=5";
}

std::uint16_t postgres_server::port() const { return port_; }

pid_t postgres_server::pid() const {
  if (data_dir_.empty()) return 0;
  const pid_t pid = pid_in_file(data_dir_ / "postmaster.pid");
  return is_postmaster_of(pid, data_dir_) ? pid : 0;
}

bool postgres_server::running() const { return pid() != 0; }

void postgres_server::stop() {
  if (!running()) {
    clear_stale_lock();  // after a kill -9: "stopped" means no process of the cluster is left
    return;
  }
  const identity as{switch_user_, server_uid_, server_gid_};
  std::string detail;
  for (const char* mode : {"fast", "immediate"}) {
    try {
      const auto r = run_process({{(bin_dir_ / "pg_ctl").string(), "stop", "-D", data_dir_.string(), "-m", mode,
                                   "-w", "-t", "30", "-s"},
                                  child_env(bin_dir_, folder_),
                                  as,
                                  {},
                                  60s});
      if (r.status != 0) detail += std::string("pg_ctl stop -m ") + mode + ": " + r.err;
    } catch (const std::exception& e) {
      detail += e.what();
    }
    if (!running()) return;
  }
  // Last resort; the backends notice their postmaster's death and exit.
  const pid_t postmaster = pid();
  if (postmaster != 0) ::kill(postmaster, SIGKILL);
  const auto deadline = clock_type::now() + 10s;
  while (running() && clock_type::now() < deadline) std::this_thread::sleep_for(10ms);
  if (running()) throw std::runtime_error(server_failure("PostgreSQL did not stop", detail));
  clear_stale_lock();
}

// After a postmaster died without cleaning up (kill -9, or our last resort),
// postmaster.pid and the socket's .lock file still name it. PostgreSQL checks
// that PID with kill(pid, 0), which succeeds for a zombie, and where nobody
// reaps orphans (a container whose init does not) the zombie stays forever and
// blocks every restart. So: wait for the old cluster's processes to exit
// (SIGKILL stragglers after 10 s, so two generations never share the data
// folder), then remove the stale lock files ourselves.
void postgres_server::clear_stale_lock() {
  if (data_dir_.empty() || running()) return;
  const fs::path locks[] = {data_dir_ / "postmaster.pid",
                            folder_ / (".s.PGSQL." + std::to_string(port_) + ".lock")};
  if (!fs::exists(locks[0]) && !fs::exists(locks[1])) return;
  const auto deadline = clock_type::now() + 10s;
  for (auto left = processes_in(data_dir_); !left.empty(); left = processes_in(data_dir_)) {
    if (clock_type::now() >= deadline)
      for (const pid_t straggler : left) ::kill(straggler, SIGKILL);
    if (clock_type::now() >= deadline + 10s)
      throw std::runtime_error(server_failure("processes of the old server in " + data_dir_.string() +
                                                  " did not exit after its postmaster died",
                                              ""));
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& lock : locks) {
    std::error_code ec;
    fs::remove(lock, ec);
  }
}

void postgres_server::start() {
  if (running()) return;
  clear_stale_lock();
  if (launch() == launch_result::port_in_use)
    throw std::runtime_error(server_failure("cannot restart PostgreSQL: port 127.0.0.1:" + std::to_string(port_) +
                                                " has been taken by another process",
                                            ""));
}

std::string postgres_server::psql(const std::string& sql) const {
  const auto r = run_process({{(bin_dir_ / "psql").string(), "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1",
                               "-d", conninfo(), "-f", "-"},
                              child_env(bin_dir_, folder_),
                              {},
                              sql,
                              300s});
  if (r.status != 0)
    throw std::runtime_error("psql failed (exit " + std::to_string(r.status) + "): " + trim_trailing_newlines(r.err));
  return trim_trailing_newlines(r.out);
}

std::string postgres_server::log_tail(std::size_t max_bytes) const {
  if (log_file_.empty()) return {};
  return read_from(log_file_, 0, max_bytes);
}

void postgres_server::start_watchdog() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) throw_errno("socketpair");
  watchdog_fd_ = pair[0];  // release_watchdog() closes it
  spawn_options options;
  options.in = stdio_target::descriptor(pair[1]);
  options.out = stdio_target::dev_null();
  options.err = stdio_target::dev_null();
  options.env = child_env(bin_dir_, folder_);
  options.working_dir = "/";
  options.new_session = true;
  if (switch_user_) options.run_as = user_identity{server_uid_, server_gid_};
  try {
    watchdog_.emplace(std::vector<std::string>{"/bin/sh", "-c", watchdog_script, "radbridge-pg-watchdog",
                                               (bin_dir_ / "pg_ctl").string(), data_dir_.string(), folder_.string()},
                      std::move(options));
  } catch (...) {
    ::close(pair[1]);
    throw;
  }
  ::close(pair[1]);
}

void postgres_server::release_watchdog(bool clean) noexcept { test::release_watchdog(watchdog_fd_, watchdog_, clean); }

void postgres_server::shutdown() noexcept {
  if (::getpid() != owner_pid_) return;  // a forked child must not stop its parent's server
  bool clean = true;
  try {
    stop();
  } catch (...) {
    clean = false;  // leave the folder to the watchdog, which retries with -m immediate and kill -9
  }
  if (clean && !folder_.empty()) {
    std::error_code ec;
    fs::remove_all(folder_, ec);
    clean = !ec;
  }
  release_watchdog(clean);
}

postgres_server& shared_postgres() { return shared_instance<postgres_server>(); }

}  // namespace radbridge::test
