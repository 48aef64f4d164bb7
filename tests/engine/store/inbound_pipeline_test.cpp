// store::inbound_pipeline against a real private PostgreSQL: groups in
// flight together, each its own transaction, rejected groups, lost
// connections.
#include <doctest/doctest.h>
#include <poll.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"
#include "store/inbound_pipeline.hpp"
#include "store/store_error.hpp"
#include "inbound_rows.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"

namespace store = radbridge::store;
using radbridge::test::inbound_row;
using radbridge::test::postgres_server;
using namespace std::chrono_literals;

namespace {

// The next finished group, waiting for it on the connection's socket.
store::pipeline_outcome next_outcome(store::inbound_pipeline& pipe) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    if (auto outcome = pipe.finished()) return *outcome;
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    pollfd fd{pipe.socket(), POLLIN, 0};
    ::poll(&fd, 1, 100);
  }
}

std::string id_of(const postgres_server& pg, const std::string& control_id) {
  return pg.psql("SELECT id FROM inbound_messages WHERE control_id = '" + control_id + "'");
}

// Waits until `sql` (one value) returns `expected`.
void wait_for(const postgres_server& pg, const std::string& sql, const std::string& expected) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (pg.psql(sql) != expected) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(20ms);
  }
}

// A psql session (application_name=holder) that holds inbound_messages in
// ACCESS EXCLUSIVE mode for 60 s, once the lock is granted; terminate its
// backend to let go.
radbridge::test::child_process hold_table(const postgres_server& pg) {
  radbridge::test::spawn_options quiet;
  quiet.out = radbridge::test::stdio_target::dev_null();
  radbridge::test::child_process holder(
      {"/usr/bin/psql", "-X", "-q", "-w", "-d", pg.conninfo() + " application_name=holder", "-c",
       "BEGIN; LOCK TABLE inbound_messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)"},
      quiet);
  wait_for(pg,
           "SELECT count(*) FROM pg_locks WHERE relation = 'inbound_messages'::regclass"
           " AND mode = 'AccessExclusiveLock' AND granted",
           "1");
  return holder;
}

}  // namespace

TEST_CASE("pipeline: groups sent back to back commit in order, each with its rows' ids") {
  postgres_server pg;
  store::database(pg.conninfo()).migrate();
  store::inbound_pipeline pipe(pg.conninfo());

  pipe.send(std::vector{inbound_row("P1"), inbound_row("P2"), inbound_row("P3")});
  pipe.send(std::vector{inbound_row("P4"), inbound_row("P5")});
  CHECK(pipe.in_flight() == 2);

  const store::pipeline_outcome first = next_outcome(pipe);
  CHECK(first.stored);
  CHECK(first.sqlstate.empty());
  REQUIRE(first.ids.size() == 3);
  CHECK(std::to_string(first.ids[0]) == id_of(pg, "P1"));
  CHECK(std::to_string(first.ids[1]) == id_of(pg, "P2"));
  CHECK(std::to_string(first.ids[2]) == id_of(pg, "P3"));
  const store::pipeline_outcome second = next_outcome(pipe);
  CHECK(second.stored);
  REQUIRE(second.ids.size() == 2);
  CHECK(std::to_string(second.ids[0]) == id_of(pg, "P4"));
  CHECK(std::to_string(second.ids[1]) == id_of(pg, "P5"));
  CHECK(pipe.in_flight() == 0);
  CHECK_FALSE(pipe.finished().has_value());
  // Two transactions: the groups are committed apart.
  CHECK(pg.psql("SELECT count(DISTINCT xmin::text) FROM inbound_messages") == "2");
  CHECK(pg.psql("SELECT position(convert_to('MSA|AA|P2' || chr(13), 'UTF8') IN ack) > 0 FROM inbound_messages"
                " WHERE control_id = 'P2'") == "t");
}

TEST_CASE("pipeline: a group larger than the socket takes goes out in parts through flush") {
  postgres_server pg;
  store::database(pg.conninfo()).migrate();
  store::inbound_pipeline pipe(pg.conninfo());
  pipe.connect();

  // Another session holds the table, so the server stops reading after the
  // first group; the second, 16 rows of 1 MB, is more than the socket
  // buffers take (send buffer at most 4 MB, receive 128 KB when unread).
  radbridge::test::child_process holder = hold_table(pg);
  pipe.send(std::vector{inbound_row("W1")});
  wait_for(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'", "1");
  std::vector<store::inbound_message> large;
  for (int i = 0; i < 16; ++i) {
    const std::string id = "F" + std::to_string(10 + i);
    large.push_back(inbound_row(id, "MSH|^~\\&|RIS|GENHOSP|||20261203||ORM^O01|" + id + "|P|2.5\r" +
                                        std::string(1024 * 1024, static_cast<char>('a' + i))));
  }
  pipe.send(large);  // returns without waiting for the socket
  std::this_thread::sleep_for(200ms);
  CHECK_FALSE(pipe.flush());
  CHECK(pipe.in_flight() == 2);

  // The lock goes, the server reads on, and flush() gets the rest out.
  pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'");
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  while (!pipe.flush()) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    pollfd fd{pipe.socket(), POLLOUT, 0};
    ::poll(&fd, 1, 100);
  }
  CHECK(next_outcome(pipe).stored);
  const store::pipeline_outcome outcome = next_outcome(pipe);
  CHECK(outcome.stored);
  REQUIRE(outcome.ids.size() == 16);
  CHECK(std::to_string(outcome.ids[15]) == id_of(pg, "F25"));
  CHECK(pg.psql("SELECT sum(length(payload)) FROM inbound_messages WHERE control_id LIKE 'F%'") ==
        std::to_string(16 * large[0].payload.size()));
}

TEST_CASE("pipeline: a group holding a stored key is rejected whole; the group behind it commits") {
  postgres_server pg;
  store::database(pg.conninfo()).migrate();
  store::inbound_pipeline pipe(pg.conninfo());
  pipe.send(std::vector{inbound_row("K1")});
  REQUIRE(next_outcome(pipe).stored);

  // The rejected group is the first of two rows: it also prepares the
  // two-row statement, which must still work afterwards.
  pipe.send(std::vector{inbound_row("K2"), inbound_row("K1")});
  pipe.send(std::vector{inbound_row("K3")});
  const store::pipeline_outcome rejected = next_outcome(pipe);
  CHECK_FALSE(rejected.stored);
  CHECK(rejected.sqlstate == "23505");  // unique_violation
  CHECK(rejected.ids.empty());
  const store::pipeline_outcome behind = next_outcome(pipe);
  CHECK(behind.stored);
  CHECK(behind.ids.size() == 1);
  CHECK(pg.psql("SELECT string_agg(control_id, ',' ORDER BY id) FROM inbound_messages") == "K1,K3");

  pipe.send(std::vector{inbound_row("K4"), inbound_row("K5")});
  const store::pipeline_outcome two = next_outcome(pipe);
  CHECK(two.stored);
  CHECK(two.ids.size() == 2);
  CHECK(pg.psql("SELECT string_agg(control_id, ',' ORDER BY id) FROM inbound_messages") == "K1,K3,K4,K5");

  // The key is per interface: K1 from another interface is a message of its own.
  auto elsewhere = inbound_row("K1");
  elsewhere.interface = "other";
  pipe.send(std::vector{elsewhere});
  CHECK(next_outcome(pipe).stored);
  CHECK(pg.psql("SELECT string_agg(interface, ',' ORDER BY id) FROM inbound_messages WHERE control_id = 'K1'") ==
        "ris,other");
}

TEST_CASE("pipeline: a connection lost with a group in flight is in doubt; the next send reconnects") {
  postgres_server pg;
  store::database(pg.conninfo()).migrate();
  store::inbound_pipeline pipe(pg.conninfo());
  pipe.send(std::vector{inbound_row("L1")});
  REQUIRE(next_outcome(pipe).stored);

  {
    // Another session holds the table, so the next group waits on the server.
    radbridge::test::child_process holder = hold_table(pg);
    pipe.send(std::vector{inbound_row("L2")});
    wait_for(pg, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'", "1");
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
    try {
      next_outcome(pipe);
      FAIL("a group came back from a terminated connection");
    } catch (const store::store_error& e) {
      CHECK(e.kind() == store::failure::in_doubt);
    }
    CHECK(pipe.in_flight() == 0);
    CHECK(pipe.socket() == -1);
    // Its backend would sleep on after psql is gone.
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'");
  }

  pipe.send(std::vector{inbound_row("L2")});
  CHECK(next_outcome(pipe).stored);
  CHECK(pg.psql("SELECT string_agg(control_id, ',' ORDER BY id) FROM inbound_messages") == "L1,L2");
}

TEST_CASE("pipeline: a stopped database is a transient error on send") {
  postgres_server pg;
  store::database(pg.conninfo()).migrate();
  store::inbound_pipeline pipe(pg.conninfo());
  pg.stop();
  try {
    pipe.send(std::vector{inbound_row("S1")});
    FAIL("sent a group to a stopped server");
  } catch (const store::store_error& e) {
    CHECK(e.kind() == store::failure::transient);
    CHECK(std::string(e.what()).starts_with("database connection failed: "));
  }
  CHECK(pipe.in_flight() == 0);
  pg.start();
  pipe.send(std::vector{inbound_row("S1")});
  CHECK(next_outcome(pipe).stored);
}
