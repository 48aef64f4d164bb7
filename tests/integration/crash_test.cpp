// The crash test: 10,000 messages over 8 connections while the engine is
// killed with SIGKILL several times and restarted; the replay tool resends
// what had no ACK. Afterwards every message that got an AA is stored exactly
// once, and nothing is stored twice. Real processes, a real PostgreSQL.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hl7/builder.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;

namespace {

bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void wait_until_listening(std::uint16_t port) {
  for (int i = 0; i < 500 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(accepts(port));
}

std::string order(int n) {
  radbridge::hl7::message_builder b;
  const std::string id = "CRASH" + std::to_string(100000 + n);
  b.add("MSH").set(3, "RIS").set(4, "GENHOSP").set(5, "RADBRIDGE").set(6, "AI").set(7, "20261123120000")
      .set_components(9, {"ORM", "O01"}).set(10, id).set(11, "P").set(12, "2.5.1");
  b.add("PID").set(1, "1").set(3, 1, 1, 1, "MRN" + std::to_string(n));
  b.add("ORC").set(1, "NW").set(2, "P" + std::to_string(n));
  b.add("OBR").set(1, "1").set(2, "P" + std::to_string(n)).set_components(4, {"CTHEADWO", "CT HEAD WO", "L"});
  return b.encode();
}

std::set<std::string> lines_to_set(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

}  // namespace

TEST_CASE("crash: kill -9 during a 10,000-message replay; every AA is stored exactly once") {
  using radbridge::test::child_process;
  radbridge::test::postgres_server pg;
  const radbridge::test::temp_folder folder("radbridge-crash");
  const fs::path& dir = folder.path();
  const std::string binary = RADBRIDGE_BINARY;
  const std::uint16_t port = radbridge::test::free_tcp_port();

  constexpr int total = 10000;
  {
    std::ofstream messages(dir / "messages.hl7", std::ios::binary);
    for (int i = 0; i < total; ++i) messages << order(i) << "\n";
  }
  {
    std::ofstream config(dir / "radbridge.json");
    config << R"({"interfaces": [{"name": "crash", "listen": "127.0.0.1:)" << port
           << R"(", "message_types": ["ORM^O01"]}], "admin": {"listen": "127.0.0.1:0"}})";
  }
  const std::vector<std::string> serve = {binary, "serve", "--config", (dir / "radbridge.json").string(), "--db",
                                          pg.conninfo()};
  // Output appended to a log file; a child left running at the end is killed.
  auto logged_to = [](const fs::path& log) {
    radbridge::test::spawn_options options;
    options.out = radbridge::test::stdio_target::append_to(log);
    options.err = radbridge::test::stdio_target::append_to(log);
    options.stop_grace = std::chrono::milliseconds(0);
    return options;
  };
  std::optional<child_process> engine(std::in_place, serve, logged_to(dir / "engine.log"));
  wait_until_listening(port);

  // Paced (about 4 s) so that the kills land throughout the run.
  child_process replay({binary, "replay", "--to", "127.0.0.1:" + std::to_string(port), "--connections", "8", "--rate",
                        "2500", "--give-up-s", "120", "--ack-log", (dir / "acks.log").string(),
                        (dir / "messages.hl7").string()},
                       logged_to(dir / "replay.log"));

  // Kill the engine at random moments while the replay runs, and restart it.
  std::mt19937 random(20261123);
  int kills = 0;
  for (int round = 0; round < 6; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250 + random() % 350));
    if (replay.wait_for(std::chrono::seconds(0))) break;  // done already
    engine->signal(SIGKILL);
    CHECK(engine->wait() == 128 + SIGKILL);
    ++kills;
    engine.emplace(serve, logged_to(dir / "engine.log"));
    wait_until_listening(port);
  }
  const int replay_exit = replay.wait_for(std::chrono::seconds(300)).value_or(-1);
  MESSAGE("engine killed " << kills << " times; replay log:\n" << radbridge::test::read_file(dir / "replay.log"));
  CHECK(kills >= 3);
  CHECK(replay_exit == 0);  // every message ended with an AA

  // Every message that got an AA is stored, once.
  std::set<std::string> acknowledged;
  std::istringstream acks(radbridge::test::read_file(dir / "acks.log"));
  for (std::string id, code, latency; acks >> id >> code >> latency;) {
    if (code == "AA") acknowledged.insert(id);
  }
  CHECK(acknowledged.size() == total);
  const std::set<std::string> stored = lines_to_set(pg.psql("SELECT control_id FROM inbound_messages"));
  for (const std::string& id : acknowledged) {
    if (stored.count(id) == 0) FAIL_CHECK("acknowledged but not stored: " << id);
  }
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == std::to_string(stored.size()));
  CHECK(pg.psql("SELECT count(*) FROM (SELECT control_id FROM inbound_messages GROUP BY 1 HAVING count(*) > 1) d") ==
        "0");
  CHECK(stored.size() == total);

  // A graceful stop ends the engine with exit code 0.
  engine->signal(SIGTERM);
  CHECK(engine->wait_for(std::chrono::seconds(30)).value_or(-1) == 0);
  engine.reset();
}
