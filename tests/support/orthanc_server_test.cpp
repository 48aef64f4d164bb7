#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/fixture_checks.hpp"
#include "support/orthanc_server.hpp"

namespace {

using radbridge::test::orthanc_server;
using radbridge::test::orthanc_server_options;
using radbridge::test::shared_orthanc;
namespace fs = std::filesystem;
using radbridge::test::can_connect;
using radbridge::test::crashed_fixture;
using radbridge::test::eventually;
using radbridge::test::process_gone;
using radbridge::test::start_and_crash;
using namespace std::chrono_literals;

// The status line of a request sent without credentials.
std::string raw_status_line(std::uint16_t port, const std::string& path) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(s, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(s);
    return "connect failed";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  (void)!::send(s, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::recv(s, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
  ::close(s);
  return answer.substr(0, answer.find("\r\n"));
}

// One small synthetic CT study (4 slices) from models/train/synth_ct.py.
fs::path make_synthetic_study() {
  const char* source = std::getenv("RADBRIDGE_SOURCE_DIR");
  const fs::path script = fs::path(source != nullptr ? source : ".") / "models/train/synth_ct.py";
  const fs::path out = fs::temp_directory_path() / ("radbridge-orthanc-fixture-" + std::to_string(::getpid()));
  const std::string command = "/usr/bin/python3 '" + script.string() +
                              "' --seed 11 --studies 1 --slices 4 --size 32 --out '" + out.string() + "' > /dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("synth_ct.py failed: " + command);
  return out;
}

struct remove_folder {
  fs::path path;
  ~remove_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("orthanc_server: the shared server answers its REST API and DICOMweb on loopback") {
  orthanc_server& pacs = shared_orthanc();
  CHECK(&shared_orthanc() == &pacs);
  CHECK(pacs.running());
  CHECK(pacs.http_port() != 0);
  CHECK(pacs.dicom_port() != 0);
  CHECK(pacs.http_port() != pacs.dicom_port());
  CHECK(pacs.base_url() == "http://127.0.0.1:" + std::to_string(pacs.http_port()));
  CHECK(pacs.dicomweb_url() == pacs.base_url() + "/dicom-web");

  const auto system = pacs.get("/system");
  CHECK(system.status == 200);
  CHECK(system.body.find("\"HttpPort\" : " + std::to_string(pacs.http_port())) != std::string::npos);
  CHECK(system.body.find("\"DicomPort\" : " + std::to_string(pacs.dicom_port())) != std::string::npos);
  CHECK(pacs.get("/plugins/dicom-web").status == 200);
  CHECK(pacs.get("/no/such/route").status == 404);
  CHECK(fs::is_regular_file(pacs.log_file()));
  CHECK(pacs.folder().string().find("radbridge-orthanc-") != std::string::npos);
}

TEST_CASE("orthanc_server: upload sends every DICOM file of a folder, skipping others") {
  const fs::path studies = make_synthetic_study();
  remove_folder cleanup{studies};
  orthanc_server pacs;
  CHECK(pacs.upload(studies) == 4);  // truth.json is not sent
  CHECK(pacs.get("/statistics").body.find("\"CountInstances\" : 4") != std::string::npos);
  // One file, and the same again (Orthanc keeps one copy).
  CHECK(pacs.upload(studies / "study-000" / "IM0001.dcm") == 1);
  CHECK(pacs.get("/statistics").body.find("\"CountInstances\" : 4") != std::string::npos);
  CHECK(pacs.get("/dicom-web/studies").body.find("SYN11N0") != std::string::npos);

  const fs::path not_dicom = pacs.folder() / "not-dicom.dcm";
  std::ofstream(not_dicom) << "not a DICOM file";
  CHECK_THROWS_WITH_AS(pacs.upload(not_dicom), doctest::Contains("Orthanc refused"), std::runtime_error);
}

TEST_CASE("orthanc_server: with authentication, requests need the configured user") {
  orthanc_server_options options;
  options.authentication = true;
  orthanc_server pacs(options);
  CHECK(pacs.get("/system").status == 200);
  CHECK(pacs.get("/dicom-web/studies").status == 200);
  CHECK(raw_status_line(pacs.http_port(), "/system").find(" 401 ") != std::string::npos);
  CHECK(raw_status_line(pacs.http_port(), "/dicom-web/studies").find(" 401 ") != std::string::npos);
}

TEST_CASE("orthanc_server: stop and the destructor end the process and remove the folder") {
  fs::path folder;
  pid_t pid = 0;
  std::uint16_t port = 0;
  {
    orthanc_server pacs;
    folder = pacs.folder();
    pid = pacs.pid();
    port = pacs.http_port();
    REQUIRE(pid > 0);
    CHECK(can_connect(port));
    pacs.stop();
    CHECK_FALSE(pacs.running());
    CHECK(process_gone(pid));
    CHECK_FALSE(can_connect(port));
    pacs.stop();  // idempotent
    CHECK(fs::exists(folder));
  }
  CHECK_FALSE(fs::exists(folder));
}

TEST_CASE("orthanc_server: running() notices an Orthanc that died") {
  orthanc_server pacs;
  const pid_t pid = pacs.pid();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  CHECK(eventually([&] { return !pacs.running(); }, 10s));
  pacs.stop();  // reaps it
  CHECK(process_gone(pid));
  CHECK(pacs.pid() == -1);
}

TEST_CASE("orthanc_server: the watchdog cleans up after a test process that dies without destructors") {
  const crashed_fixture crashed = start_and_crash<orthanc_server>();
  const std::string& folder = crashed.folder;
  const long pid = crashed.pid;
  REQUIRE_MESSAGE(!folder.empty(), "the child could not start its server");
  REQUIRE(pid > 0);
  CHECK(eventually([&] { return process_gone(static_cast<pid_t>(pid)); }, 30s));
  CHECK(eventually([&] { return !fs::exists(folder); }, 30s));
}

TEST_CASE("orthanc_server: a missing binary fails clearly and leaves nothing behind") {
  ::setenv("RADBRIDGE_ORTHANC", "/nonexistent/Orthanc", 1);
  std::string message;
  try {
    orthanc_server pacs;
  } catch (const std::runtime_error& e) {
    message = e.what();
  }
  ::unsetenv("RADBRIDGE_ORTHANC");
  CHECK(message.find("no Orthanc at /nonexistent/Orthanc") != std::string::npos);
}
