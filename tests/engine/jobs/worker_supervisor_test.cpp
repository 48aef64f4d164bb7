// jobs::worker_supervisor with a stand-in worker (a shell script that lists
// its open descriptors): the worker inherits nothing of the engine's beyond
// standard input, output and error. A listening socket it inherited would
// keep serve's port bound after serve died (a restart fails with "Address
// already in use" until the worker is gone) and keep client connections open
// after the listener closed them. Its job events come back over fd 3.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "jobs/worker_supervisor.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_CASE("worker_supervisor: the worker inherits no descriptor of the engine's but 0, 1, 2 and its event socket") {
  const radbridge::test::temp_folder dir("radbridge-supervisor");
  // A listening socket opened as Boost.Asio opens them (no close-on-exec), at a number no shell uses.
  const int socket = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(socket >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(socket, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(socket, 4) == 0);
  REQUIRE(::dup2(socket, 100) == 100);
  ::close(socket);

  // The worker is run as `BINARY jobs --config FILE --supervised`: FILE is where the script writes.
  const fs::path script = dir.path() / "worker.sh";
  radbridge::test::write_file(script, "#!/bin/sh\nls /proc/$$/fd > \"$3.tmp\" && mv \"$3.tmp\" \"$3\"\nexec sleep 60\n");
  fs::permissions(script, fs::perms::owner_all);
  const fs::path listing = dir.path() / "fds.txt";
  {
    radbridge::jobs::worker_supervisor supervisor(script.string(), listing.string(),
                                                  "host=127.0.0.1 port=1 connect_timeout=1", 2s);
    supervisor.start();
    for (int i = 0; i < 600 && !fs::exists(listing); ++i) std::this_thread::sleep_for(50ms);
  }
  ::close(100);
  REQUIRE(fs::exists(listing));
  std::istringstream in(radbridge::test::read_file(listing));
  std::string fds = " ";
  for (std::string fd; in >> fd;) fds += fd + " ";
  // The shell's own descriptors (0-2, the script it reads at 10) may show; the engine's socket must not.
  CHECK_MESSAGE(fds.find(" 100 ") == std::string::npos, "the worker's descriptors: " << fds);
}

TEST_CASE("worker_supervisor: the worker's events arrive one packet each, as sent, from fd 3") {
  const radbridge::test::temp_folder dir("radbridge-supervisor");
  const fs::path script = dir.path() / "worker.sh";
  radbridge::test::write_file(script,
                              "#!/bin/sh\n"
                              "printf 'job\\tstroke\\tdone\\t' >&3\n"
                              "printf 'step\\tich_classifier\\tinference\\t12.5' >&3\n"
                              "printf 'fd=%s' \"$RADBRIDGE_EVENTS_FD\" >&3\n"
                              "exec sleep 60\n");
  fs::permissions(script, fs::perms::owner_all);
  std::mutex mutex;
  std::vector<std::string> packets;
  {
    radbridge::jobs::worker_supervisor supervisor(script.string(), "unused.json", "host=127.0.0.1 port=1 connect_timeout=1",
                                                  2s, [&](std::string_view packet) {
                                                    std::lock_guard lock(mutex);
                                                    packets.emplace_back(packet);
                                                  });
    supervisor.start();
    for (int i = 0; i < 600; ++i) {
      {
        std::lock_guard lock(mutex);
        if (packets.size() >= 3) break;
      }
      std::this_thread::sleep_for(50ms);
    }
  }
  std::lock_guard lock(mutex);
  CHECK(packets == std::vector<std::string>{"job\tstroke\tdone\t", "step\tich_classifier\tinference\t12.5", "fd=3"});
}
