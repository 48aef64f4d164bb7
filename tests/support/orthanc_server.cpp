#include "support/orthanc_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "support.hpp"

namespace radbridge::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr int start_attempts = 5;  // fresh ports tried when a picked one is taken meanwhile
constexpr auto ready_timeout = 60s;
constexpr auto stop_timeout = 10s;
constexpr int http_timeout_seconds = 60;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string read_tail(const fs::path& file, std::size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0));
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return text;
}

std::string read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_private_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  ::chmod(file.c_str(), 0600);
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : in) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 63];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

bool is_part10(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[132];
  return in.read(magic, sizeof magic) && std::string_view(magic + 128, 4) == "DICM";
}

// One HTTP/1.0 exchange over loopback: HTTP/1.0 so that the server closes
// the connection after its answer and never chunks it.
orthanc_server::answer http_exchange(std::uint16_t port, std::string_view method, std::string_view path,
                                     std::string_view body, const std::string& authorization) {
  unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("socket");
  timeval timeout{http_timeout_seconds, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const std::string where = std::string(method) + " http://127.0.0.1:" + std::to_string(port) + std::string(path);
  if (::connect(s.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) throw_errno(where);

  std::string request = std::string(method) + " " + std::string(path) + " HTTP/1.0\r\nHost: 127.0.0.1:" +
                        std::to_string(port) + "\r\n";
  if (!authorization.empty()) request += "Authorization: " + authorization + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    request += "Content-Type: application/octet-stream\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n";
  request += body;
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(s.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(where + ": send");
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string received;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(s.get(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno(where + ": recv");
    }
    received.append(buffer, static_cast<std::size_t>(n));
  }
  const std::size_t head_end = received.find("\r\n\r\n");
  if (received.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos)
    throw std::runtime_error(where + ": not an HTTP answer");
  const std::size_t space = received.find(' ');
  orthanc_server::answer a;
  a.status = std::atoi(received.c_str() + space + 1);
  a.body = received.substr(head_end + 4);
  return a;
}

// Run by /bin/sh in its own session, with our end of a socket pair as stdin.
// "pid N" names Orthanc's current process; "done" means we cleaned up
// ourselves; EOF without it means the test process died: stop Orthanc (if
// that PID is still Orthanc with our configuration) and remove the folder.
// $1 the temporary folder, $2 the configuration file: arguments, never pasted.
constexpr const char* watchdog_script = R"sh(trap '' HUP INT QUIT TERM PIPE
pid=
while IFS= read -r line; do
  case "$line" in
    done) exit 0 ;;
    "pid "*) pid=${line#pid } ;;
  esac
done
if [ -n "$pid" ] && tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$2"; then
  kill -TERM "$pid" 2>/dev/null
  i=0
  while [ $i -lt 100 ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL "$pid" 2>/dev/null
fi
rm -rf -- "$1"
)sh";

std::vector<std::string> child_env(const fs::path& home) {
  std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/bin", "LC_ALL=C", "LANG=C", "HOME=" + home.string()};
  if (const char* tz = std::getenv("TZ")) env.push_back(std::string("TZ=") + tz);
  return env;
}

fs::path from_env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? fs::path(value) : fs::path(fallback);
}

}  // namespace

orthanc_server::orthanc_server() : orthanc_server(orthanc_server_options{}) {}

orthanc_server::orthanc_server(orthanc_server_options options)
    : options_(std::move(options)), owner_pid_(::getpid()) {
  try {
    create();
  } catch (...) {
    shutdown();
    throw;
  }
}

orthanc_server::~orthanc_server() { shutdown(); }

void orthanc_server::create() {
  binary_ = from_env("RADBRIDGE_ORTHANC", "/usr/sbin/Orthanc");
  plugin_ = from_env("RADBRIDGE_ORTHANC_DICOMWEB", "/usr/share/orthanc/plugins/libOrthancDicomWeb.so");
  if (::access(binary_.c_str(), X_OK) != 0)
    throw std::runtime_error("no Orthanc at " + binary_.string() +
                             "; install the Debian package orthanc or set RADBRIDGE_ORTHANC");
  if (::access(plugin_.c_str(), R_OK) != 0)
    throw std::runtime_error("no DICOMweb plugin at " + plugin_.string() +
                             "; install the Debian package orthanc-dicomweb or set RADBRIDGE_ORTHANC_DICOMWEB");

  folder_ = make_temp_folder("radbridge-orthanc");  // set first: from here on shutdown() removes it
  folder_ = fs::canonical(folder_);
  config_file_ = folder_ / "orthanc.json";
  log_file_ = folder_ / "orthanc.log";
  fs::create_directory(folder_ / "storage");

  start_watchdog();

  for (int attempt = 1;; ++attempt) {
    http_port_ = free_tcp_port();
    do {
      dicom_port_ = free_tcp_port();
    } while (dicom_port_ == http_port_);
    write_configuration();
    if (launch() == launch_result::started) return;
    if (attempt == start_attempts)
      throw std::runtime_error(
          failure("Orthanc could not bind free ports in " + std::to_string(start_attempts) + " attempts"));
  }
}

void orthanc_server::write_configuration() const {
  const std::string storage = (folder_ / "storage").string();
  std::string users = "{}";
  if (options_.authentication) users = "{" + json_string(options_.user) + ": " + json_string(options_.password) + "}";
  const std::string config =
      "{\n"
      "  \"Name\": \"radbridge-test\",\n"
      "  \"StorageDirectory\": " + json_string(storage) + ",\n"
      "  \"IndexDirectory\": " + json_string(storage) + ",\n"
      "  \"StorageCompression\": false,\n"
      "  \"HttpPort\": " + std::to_string(http_port_) + ",\n"
      "  \"DicomPort\": " + std::to_string(dicom_port_) + ",\n"
      "  \"DicomAet\": \"RADBRIDGE_TEST\",\n"
      "  \"RemoteAccessAllowed\": false,\n"
      "  \"AuthenticationEnabled\": " + (options_.authentication ? "true" : "false") + ",\n"
      "  \"RegisteredUsers\": " + users + ",\n"
      "  \"HttpThreadsCount\": 8,\n"
      "  \"HttpDescribeErrors\": true,\n"
      "  \"SaveJobs\": false,\n"
      "  \"ConcurrentJobs\": 1,\n"
      "  \"Plugins\": [" + json_string(plugin_.string()) + "],\n"
      "  \"DicomWeb\": {\"Enable\": true, \"Root\": \"/dicom-web/\", \"EnableWado\": false, \"Ssl\": false}\n"
      "}\n";
  write_private_file(config_file_, config);
}

orthanc_server::launch_result orthanc_server::launch() {
  const std::uintmax_t log_offset = fs::exists(log_file_) ? fs::file_size(log_file_) : 0;
  spawn_options options;
  options.out = stdio_target::append_to(log_file_);
  options.err = stdio_target::append_to(log_file_);
  options.env = child_env(folder_);
  options.working_dir = folder_;
  // Its own session, so a Ctrl-C meant for the test reaches the watchdog's
  // cleanup rather than killing Orthanc halfway through a write.
  options.new_session = true;
  options.stop_grace = 0ms;  // as shutdown(): the data goes with the folder
  orthanc_.emplace(std::vector<std::string>{binary_.string(), config_file_.string()}, std::move(options));
  tell_watchdog("pid " + std::to_string(orthanc_->pid()));

  const auto deadline = clock_type::now() + ready_timeout;
  std::string last;
  while (clock_type::now() < deadline) {
    if (const auto status = orthanc_->wait_for(0ms)) {
      orthanc_.reset();
      std::string new_log = read_tail(log_file_, 1 << 20);
      new_log = new_log.substr(std::min<std::size_t>(new_log.size(), static_cast<std::size_t>(log_offset)));
      if (new_log.find("already in use") != std::string::npos) return launch_result::port_in_use;
      throw std::runtime_error(failure("Orthanc exited while starting (status " + std::to_string(*status) + ")"));
    }
    try {
      if (get("/system").status == 200) return launch_result::started;
      last = "GET /system did not answer 200";
    } catch (const std::exception& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(50ms);
  }
  stop();
  throw std::runtime_error(failure("Orthanc did not answer on 127.0.0.1:" + std::to_string(http_port_) + " within " +
                                   std::to_string(ready_timeout.count()) + " s (" + last + ")"));
}

std::string orthanc_server::base_url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

std::string orthanc_server::dicomweb_url() const { return base_url() + "/dicom-web"; }

orthanc_server::answer orthanc_server::request(std::string_view method, std::string_view path,
                                               std::string_view body) const {
  const std::string authorization =
      options_.authentication ? "Basic " + base64(options_.user + ":" + options_.password) : std::string{};
  return http_exchange(http_port_, method, path, body, authorization);
}

orthanc_server::answer orthanc_server::get(std::string_view path) const { return request("GET", path); }

std::size_t orthanc_server::upload(const fs::path& file_or_folder) const {
  std::vector<fs::path> files;
  if (fs::is_directory(file_or_folder)) {
    for (const auto& entry : fs::recursive_directory_iterator(file_or_folder))
      if (entry.is_regular_file() && is_part10(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(file_or_folder);
  }
  for (const auto& file : files) {
    const answer a = request("POST", "/instances", read_whole(file));
    if (a.status != 200)
      throw std::runtime_error("Orthanc refused " + file.string() + ": HTTP " + std::to_string(a.status) + " " +
                               a.body.substr(0, 512));
  }
  return files.size();
}

// An Orthanc that died stays a zombie with its PID until stop() reaps it.
bool orthanc_server::running() const { return orthanc_ && orthanc_->running(); }

pid_t orthanc_server::pid() const { return orthanc_ ? orthanc_->pid() : -1; }

void orthanc_server::stop() { stop(stop_timeout); }

void orthanc_server::stop(std::chrono::milliseconds grace) {
  if (!orthanc_) return;
  orthanc_->stop(grace);
  orthanc_.reset();
}

std::string orthanc_server::log_tail(std::size_t max_bytes) const {
  return log_file_.empty() ? std::string{} : read_tail(log_file_, max_bytes);
}

std::string orthanc_server::failure(const std::string& what) const {
  return what + "\n--- Orthanc log " + log_file_.string() + " (tail) ---\n" + log_tail(4096);
}

void orthanc_server::start_watchdog() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) throw_errno("socketpair");
  watchdog_fd_ = pair[0];  // release_watchdog() closes it
  const unique_fd theirs(pair[1]);
  spawn_options options;
  options.in = stdio_target::descriptor(theirs.get());
  options.out = stdio_target::dev_null();
  options.err = stdio_target::dev_null();
  options.env = child_env(folder_);
  options.working_dir = "/";
  options.new_session = true;
  watchdog_.emplace(std::vector<std::string>{"/bin/sh", "-c", watchdog_script, "radbridge-orthanc-watchdog",
                                             folder_.string(), config_file_.string()},
                    std::move(options));
}

void orthanc_server::tell_watchdog(const std::string& line) noexcept {
  if (watchdog_fd_ < 0) return;
  const std::string text = line + "\n";
  (void)::send(watchdog_fd_, text.data(), text.size(), MSG_NOSIGNAL);
}

void orthanc_server::release_watchdog(bool clean) noexcept { test::release_watchdog(watchdog_fd_, watchdog_, clean); }

void orthanc_server::shutdown() noexcept {
  if (::getpid() != owner_pid_) return;  // a forked child must not stop its parent's server
  bool clean = true;
  try {
    // The data goes with the folder, so there is nothing for a graceful stop
    // to save (it takes Orthanc about 3 s).
    stop(std::chrono::milliseconds(0));
  } catch (...) {
    clean = false;
  }
  if (clean && !folder_.empty()) {
    std::error_code ec;
    fs::remove_all(folder_, ec);
    clean = !ec;
  }
  release_watchdog(clean);
}

orthanc_server& shared_orthanc() { return shared_instance<orthanc_server>(); }

}  // namespace radbridge::test
