// A real, private Orthanc PACS with its DICOMweb plugin, for tests.
//
// orthanc_server writes a JSON configuration into a fresh temporary folder
// (mkdtemp under $TMPDIR or /tmp), with the storage and index inside it, and
// runs /usr/sbin/Orthanc (or $RADBRIDGE_ORTHANC) with the Debian plugin
// /usr/share/orthanc/plugins/libOrthancDicomWeb.so (or
// $RADBRIDGE_ORTHANC_DICOMWEB) as a child process. Orthanc does not refuse
// root, so it runs as whoever runs the test.
//
// Guarantees:
// - HTTP and DICOM ports are free ports picked at construction (a clash while
//   starting is retried with new ports). Orthanc has no bind-address setting:
//   it listens on every interface, with "RemoteAccessAllowed": false, so only
//   loopback clients are answered.
// - DICOMweb is at dicomweb_url() ("http://127.0.0.1:PORT/dicom-web"); the
//   REST API at base_url(). The constructor returns once GET /system answers.
// - With options.authentication, every HTTP request needs basic
//   authentication as options.user / options.password (401 otherwise);
//   upload() and get() send them.
// - Instances keep their transfer syntax: no ingest transcoding, no storage
//   compression.
// - Nothing is left behind: the destructor kills Orthanc (SIGTERM and at once
//   SIGKILL: its data is deleted with the folder, and a graceful stop takes
//   Orthanc 3 s) and removes the folder, also when the constructor failed
//   halfway. A watchdog (/bin/sh in its own session, ignoring SIGINT,
//   SIGTERM, SIGHUP) does the same when the test process dies without running
//   destructors. Only the process that constructed the server stops it.
//
// Not provided: isolation between tests sharing one server (use distinct
// studies), TLS, DICOM networking beyond the open port. Errors are
// std::runtime_error with what failed and the tail of Orthanc's log.
// upload(), get(), urls and ports may be called from several threads; stop()
// must not race with them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "support/process.hpp"

namespace radbridge::test {

struct orthanc_server_options {
  bool authentication = false;
  std::string user = "radbridge";
  std::string password = "radbridge-test-password";
};

class orthanc_server {
 public:
  // Configures and starts Orthanc and waits until it answers (bounded).
  // Throws std::runtime_error (with the log's tail) if it does not come up,
  // after stopping whatever had started and removing the folder.
  orthanc_server();
  explicit orthanc_server(orthanc_server_options options);
  // Stops Orthanc and removes the folder; never throws.
  ~orthanc_server();

  orthanc_server(const orthanc_server&) = delete;
  orthanc_server& operator=(const orthanc_server&) = delete;
  orthanc_server(orthanc_server&&) = delete;
  orthanc_server& operator=(orthanc_server&&) = delete;

  std::string base_url() const;      // "http://127.0.0.1:PORT"
  std::string dicomweb_url() const;  // base_url() + "/dicom-web"
  std::uint16_t http_port() const { return http_port_; }
  std::uint16_t dicom_port() const { return dicom_port_; }
  const orthanc_server_options& options() const { return options_; }

  // POSTs a DICOM file, or every DICOM Part 10 file under a folder
  // (recursively, in path order; other files such as truth.json are
  // skipped), to /instances. Returns how many files were sent. Throws when
  // Orthanc refuses one (naming the file and the answer).
  std::size_t upload(const std::filesystem::path& file_or_folder) const;

  struct answer {
    int status = 0;
    std::string body;
  };
  // A REST request (with credentials when authentication is on), e.g.
  // get("/statistics"); `path` includes any query.
  answer get(std::string_view path) const;
  answer request(std::string_view method, std::string_view path, std::string_view body = {}) const;

  // Stops Orthanc: SIGTERM, then SIGKILL when it has not exited after 10 s.
  // Idempotent. (There is no start(): a stopped server stays stopped.)
  void stop();
  bool running() const;
  pid_t pid() const;  // -1 when stopped

  const std::filesystem::path& folder() const { return folder_; }
  const std::filesystem::path& log_file() const { return log_file_; }
  std::string log_tail(std::size_t max_bytes = 4096) const;

 private:
  enum class launch_result { started, port_in_use };

  void create();
  void shutdown() noexcept;
  void stop(std::chrono::milliseconds grace);
  void write_configuration() const;
  launch_result launch();
  void start_watchdog();
  void tell_watchdog(const std::string& line) noexcept;
  void release_watchdog(bool clean) noexcept;
  std::string failure(const std::string& what) const;

  orthanc_server_options options_;
  std::filesystem::path binary_;
  std::filesystem::path plugin_;
  std::filesystem::path folder_;  // mkdtemp result, canonical
  std::filesystem::path config_file_;
  std::filesystem::path log_file_;
  std::uint16_t http_port_ = 0;
  std::uint16_t dicom_port_ = 0;
  std::optional<child_process> orthanc_;  // empty when stopped
  pid_t owner_pid_ = 0;
  std::optional<child_process> watchdog_;
  int watchdog_fd_ = -1;
};

// One server without authentication per test executable, started on first
// use (a failed start is rethrown to later callers), stopped at exit.
orthanc_server& shared_orthanc();

}  // namespace radbridge::test
