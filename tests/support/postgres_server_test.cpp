#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture_checks.hpp"
#include "support/postgres_server.hpp"

namespace {

using radbridge::test::postgres_server;
using radbridge::test::shared_postgres;
namespace fs = std::filesystem;
using radbridge::test::can_connect;
using radbridge::test::crashed_fixture;
using radbridge::test::eventually;
using radbridge::test::process_gone;
using radbridge::test::start_and_crash;
using namespace std::chrono_literals;

struct listener {
  std::string local_address;  // as /proc/net/tcp{,6} writes it: hex address ":" hex port
  std::string file;
};

// Every TCP socket in LISTEN state (st 0A) on this port, from /proc/net/tcp and tcp6.
std::vector<listener> tcp_listeners(std::uint16_t port) {
  char hex_port[8];
  std::snprintf(hex_port, sizeof hex_port, "%04X", static_cast<unsigned>(port));
  std::vector<listener> found;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      if (state == "0A" && local.size() > 5 && local.substr(local.size() - 4) == hex_port)
        found.push_back({local, file});
    }
  }
  return found;
}

std::string exception_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("postgres_server: the shared server answers over its conninfo") {
  postgres_server& pg = shared_postgres();
  CHECK(pg.running());
  CHECK(pg.port() != 0);
  CHECK(pg.conninfo() == "host=127.0.0.1 port=" + std::to_string(pg.port()) +
                             " dbname=radbridge user=radbridge connect_timeout=5");
  CHECK(pg.psql("select 1") == "1");
  CHECK(pg.psql("select current_database(), current_user") == "radbridge|radbridge");
  CHECK(pg.psql("select rolsuper from pg_roles where rolname = current_user") == "t");
  CHECK(&shared_postgres() == &pg);
}

TEST_CASE("postgres_server: listens on 127.0.0.1 and its private socket only") {
  postgres_server& pg = shared_postgres();
  CHECK(pg.psql("show listen_addresses") == "127.0.0.1");
  CHECK(pg.psql("show unix_socket_directories") == pg.folder().string());
  CHECK(pg.psql("show port") == std::to_string(pg.port()));

  const auto listeners = tcp_listeners(pg.port());
  REQUIRE(listeners.size() == 1);
  CHECK(listeners[0].file == std::string("/proc/net/tcp"));
  CHECK(listeners[0].local_address.substr(0, 8) == "0100007F");  // 127.0.0.1, little-endian hex

  CHECK(fs::is_socket(pg.folder() / (".s.PGSQL." + std::to_string(pg.port()))));
  CHECK((fs::status(pg.folder()).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  // The server's sockets as its postmaster sees them: no other address.
  CHECK(pg.psql("select count(*) from pg_hba_file_rules where address is not null and address <> '127.0.0.1'") ==
        "0");
}

TEST_CASE("postgres_server: durability settings are the production defaults") {
  postgres_server& pg = shared_postgres();
  CHECK(pg.psql("show fsync") == "on");
  CHECK(pg.psql("show synchronous_commit") == "on");
  CHECK(pg.psql("show full_page_writes") == "on");
  CHECK(pg.psql("show shared_buffers") == "32MB");
  CHECK(pg.psql("show max_connections") == "100");
}

TEST_CASE("postgres_server: psql reports SQL errors with the server's message") {
  postgres_server& pg = shared_postgres();
  const std::string error = exception_text([&] { pg.psql("select * from no_such_table_anywhere"); });
  CHECK(error.find("no_such_table_anywhere") != std::string::npos);
  CHECK(error.find("does not exist") != std::string::npos);
  // Several statements and rows; later statements still run in autocommit.
  CHECK(pg.psql("create temporary table t(x int); insert into t values (1), (2); select x from t order by x") ==
        "1\n2");
}

TEST_CASE("postgres_server: stop, start on the same port, committed data survives") {
  postgres_server pg;
  const std::uint16_t port = pg.port();
  pg.psql("create table survivors(id int primary key, name text); insert into survivors values (1, 'ada'), (2, 'bob')");
  pg.psql("alter system set listen_addresses = '*'");  // must not survive the restart

  pg.stop();
  CHECK_FALSE(pg.running());
  CHECK(pg.pid() == 0);
  CHECK_FALSE(can_connect(port));
  CHECK_THROWS_AS(pg.psql("select 1"), std::runtime_error);
  const std::string down = exception_text([&] { pg.psql("select 1"); });
  CHECK(down.find("psql failed") != std::string::npos);
  pg.stop();  // idempotent
  CHECK_FALSE(pg.running());

  pg.start();
  CHECK(pg.running());
  CHECK(pg.port() == port);
  CHECK(pg.psql("show port") == std::to_string(port));
  CHECK(pg.psql("show listen_addresses") == "127.0.0.1");
  CHECK(tcp_listeners(port).size() == 1);
  CHECK(pg.psql("select name from survivors order by id") == "ada\nbob");
  pg.start();  // a no-op while running
  CHECK(pg.psql("select count(*) from survivors") == "2");
}

TEST_CASE("postgres_server: kill -9 of the postmaster, then start() recovers committed rows") {
  postgres_server pg;
  pg.psql("create table crash(id int); insert into crash select generate_series(1, 1000)");
  const pid_t postmaster = pg.pid();
  REQUIRE(postmaster > 0);
  REQUIRE(::kill(postmaster, SIGKILL) == 0);
  CHECK(eventually([&] { return !pg.running(); }, 10s));
  CHECK_THROWS(pg.psql("select 1"));

  pg.start();
  CHECK(pg.pid() != postmaster);
  CHECK(pg.psql("select count(*) from crash") == "1000");
}

TEST_CASE("postgres_server: restarting on a port taken meanwhile fails clearly") {
  postgres_server pg;
  const std::uint16_t port = pg.port();
  pg.stop();

  const int squatter = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  // The server's old connections may leave the port in TIME_WAIT for a while;
  // SO_REUSEADDR lets the squatter bind anyway (a listener still excludes others).
  const int one = 1;
  REQUIRE(::setsockopt(squatter, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  REQUIRE(::bind(squatter, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(squatter, 1) == 0);
  const std::string error = exception_text([&] { pg.start(); });
  ::close(squatter);
  CHECK(error.find("has been taken") != std::string::npos);
  CHECK(error.find("server log") != std::string::npos);
  CHECK_FALSE(pg.running());

  pg.start();
  CHECK(pg.psql("select 1") == "1");
}

TEST_CASE("postgres_server: a server that cannot start throws with the log tail and leaves nothing behind") {
  const std::string error =
      exception_text([] { postgres_server pg(radbridge::test::postgres_server_options{{"shared_buffers = 'lots'"}}); });
  REQUIRE_FALSE(error.empty());
  CHECK(error.find("did not start") != std::string::npos);
  CHECK(error.find("shared_buffers") != std::string::npos);  // from the server log's tail
  const auto from = error.find("--- server log ");
  REQUIRE(from != std::string::npos);
  const auto path_start = from + std::string("--- server log ").size();
  const fs::path log = error.substr(path_start, error.find(' ', path_start) - path_start);
  CHECK(log.filename() == "postgres.log");
  CHECK_FALSE(fs::exists(log.parent_path()));
}

TEST_CASE("postgres_server: the destructor stops the server and removes the folder") {
  fs::path folder;
  pid_t postmaster = 0;
  std::uint16_t port = 0;
  {
    postgres_server pg;
    folder = pg.folder();
    postmaster = pg.pid();
    port = pg.port();
    REQUIRE(fs::exists(folder));
    REQUIRE(postmaster > 0);
  }
  CHECK_FALSE(fs::exists(folder));
  CHECK(eventually([&] { return process_gone(postmaster); }, 10s));
  CHECK_FALSE(can_connect(port));
}

TEST_CASE("postgres_server: the watchdog cleans up after a test process that dies without destructors") {
  const crashed_fixture crashed = start_and_crash<postgres_server>();
  const std::string& folder = crashed.folder;
  const long postmaster = crashed.pid;
  REQUIRE_MESSAGE(!folder.empty(), "the child could not start its server");
  REQUIRE(postmaster > 0);
  CHECK(eventually([&] { return process_gone(static_cast<pid_t>(postmaster)); }, 60s));
  CHECK(eventually([&] { return !fs::exists(folder); }, 60s));
}
