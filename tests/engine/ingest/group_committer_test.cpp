// ingest/group_committer against a real PostgreSQL: the careful (fallback)
// path's verdicts when its connection is lost, and the largest group. The
// committer runs on an io_context driven by the test thread.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "ingest/group_committer.hpp"
#include "net/asio.hpp"
#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/statements.hpp"
#include "support/postgres_server.hpp"

namespace ingest = radbridge::ingest;
namespace store = radbridge::store;
using radbridge::test::postgres_server;
using namespace std::chrono_literals;

namespace {

store::inbound_message row(const std::string& control_id, const std::string& interface = "gc_careful") {
  store::inbound_message m;
  m.interface = interface;
  m.sending_application = "GC-CAREFUL";
  m.sending_facility = "GENHOSP";
  m.control_id = control_id;
  m.message_type = "ORM";
  m.trigger_event = "O01";
  m.payload = "MSH|^~\\&|GC-CAREFUL|GENHOSP|||20261203||ORM^O01|" + control_id + "|P|2.5\r";
  m.payload_sha256 = std::string(32, static_cast<char>(m.payload.size()));
  m.ack_code = "AA";
  m.ack = "MSH|^~\\&|RADBRIDGE||GC-CAREFUL|GENHOSP|20261203||ACK^O01^ACK|A-" + control_id + "|P|2.5\rMSA|AA|" +
          control_id + "\r";
  return m;
}

// Runs `io` on this thread until every verdict is in (or 30 s have passed).
void run_until(radbridge::net::asio::io_context& io, const std::vector<std::optional<ingest::commit_result>>& verdicts) {
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  auto all_in = [&] {
    for (const auto& v : verdicts) {
      if (!v) return false;
    }
    return true;
  };
  io.restart();
  while (!all_in() && std::chrono::steady_clock::now() < give_up) io.run_one_for(100ms);
}

}  // namespace

TEST_CASE("group_committer: a connection lost on the careful path is in doubt, never unavailable") {
  postgres_server& pg = radbridge::test::shared_postgres();
  store::database db(pg.conninfo());
  db.migrate();
  // GC-1 is stored already, so a group that starts with it is refused by
  // the pipeline (its plain insert stops at GC-1's key, before any later row)
  // and goes the careful way. There, the insert that skips stored keys
  // reaches GC-KILL, whose trigger terminates its own backend: the
  // connection is lost while the insert is in flight, on the first try and
  // on the retry. The committer cannot know whether such an insert
  // committed, so it must not answer `unavailable` (which may become AR).
  CHECK(store::store_inbound(db, std::vector{row("GC-1")}).at(0).outcome == store::inbound_outcome::stored);
  pg.psql(
      "CREATE FUNCTION gc_kill_backend() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.control_id = 'GC-KILL' THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(10); "
      "END IF; RETURN NEW; END $$; "
      "CREATE TRIGGER gc_kill_backend BEFORE INSERT ON inbound_messages FOR EACH ROW "
      "EXECUTE FUNCTION gc_kill_backend()");

  radbridge::net::asio::io_context io;
  std::vector<std::optional<ingest::commit_result>> verdicts(2);
  {
    ingest::group_committer committer(io, pg.conninfo(), 64);
    // Both are queued before the committer has connected: they go as one group.
    committer.submit(1, row("GC-1"), [&](ingest::commit_result r) { verdicts[0] = std::move(r); });
    committer.submit(2, row("GC-KILL"), [&](ingest::commit_result r) { verdicts[1] = std::move(r); });
    run_until(io, verdicts);
    pg.psql("DROP TRIGGER gc_kill_backend ON inbound_messages; DROP FUNCTION gc_kill_backend()");
    REQUIRE(verdicts[0].has_value());
    REQUIRE(verdicts[1].has_value());
    CHECK(ingest::to_string(verdicts[0]->status) == "in_doubt");
    CHECK(ingest::to_string(verdicts[1]->status) == "in_doubt");
    CHECK(verdicts[1]->row.control_id == "GC-KILL");
  }
  // Two backends were terminated (the first try and the retry); nothing of GC-KILL was stored.
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages WHERE interface = 'gc_careful'") == "1");
}

// The configuration bounds max_commit_group with this count (core cannot see the store).
static_assert(store::inbound_insert_columns == radbridge::config::inbound_parameters_per_row,
              "config::max_commit_group_limit is computed from another number of parameters per row");

TEST_CASE("group_committer: a larger max_group is cut to max_commit_group_limit, so no group exceeds 65535 parameters") {
  postgres_server& pg = radbridge::test::shared_postgres();
  store::database(pg.conninfo()).migrate();
  radbridge::net::asio::io_context io;
  // One row more than the largest group: queued before the committer has
  // connected, they go as the largest group (65530 parameters) and one more.
  const std::size_t rows = radbridge::config::max_commit_group_limit + 1;
  std::vector<std::optional<ingest::commit_result>> verdicts(rows);
  ingest::group_committer committer(io, pg.conninfo(), 10000);
  for (std::size_t i = 0; i < rows; ++i) {
    committer.submit(i, row("GC-MAX-" + std::to_string(i), "gc_max"),
                     [&verdicts, i](ingest::commit_result r) { verdicts[i] = std::move(r); });
  }
  run_until(io, verdicts);
  std::size_t stored = 0;
  std::string other;
  for (const auto& v : verdicts) {
    if (v && v->status == ingest::commit_status::stored) {
      ++stored;
    } else if (other.empty()) {
      other = v ? std::string(ingest::to_string(v->status)) : "no verdict";
    }
  }
  CHECK_MESSAGE(stored == rows, "the first row not stored was ", other);
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages WHERE interface = 'gc_max'") == std::to_string(rows));
  // Two transactions: the largest group, then the one row left.
  CHECK(pg.psql("SELECT count(DISTINCT xmin::text) FROM inbound_messages WHERE interface = 'gc_max'") == "2");
}

TEST_CASE("group_committer: active senders are the connections that submitted in the last 20 ms") {
  postgres_server& pg = radbridge::test::shared_postgres();
  store::database(pg.conninfo()).migrate();
  radbridge::net::asio::io_context io;
  ingest::group_committer committer(io, pg.conninfo(), 256);
  const auto before = std::chrono::steady_clock::now();
  CHECK(committer.active_senders(before) == 0);
  std::vector<std::optional<ingest::commit_result>> verdicts(3);
  const std::uint64_t senders[] = {7, 7, 9};
  for (std::size_t i = 0; i < 3; ++i) {
    committer.submit(senders[i], row("GC-ACTIVE-" + std::to_string(i), "gc_active"),
                     [&verdicts, i](ingest::commit_result r) { verdicts[i] = std::move(r); });
  }
  const auto after = std::chrono::steady_clock::now();
  // Each submit was between `before` and `after`: still active 20 ms after
  // `before`, no longer 21 ms after `after`.
  CHECK(committer.active_senders(before + 20ms) == 2);
  CHECK(committer.active_senders(after + 21ms) == 0);
  run_until(io, verdicts);
  CHECK(std::count_if(verdicts.begin(), verdicts.end(), [](const auto& v) { return v.has_value(); }) == 3);
}

TEST_CASE("group_committer: a sole sender's turnaround is the longer of its last two, from verdict to next submit") {
  postgres_server& pg = radbridge::test::shared_postgres();
  store::database(pg.conninfo()).migrate();
  radbridge::net::asio::io_context io;
  ingest::group_committer committer(io, pg.conninfo(), 256);
  using clock = std::chrono::steady_clock;
  std::vector<std::optional<ingest::commit_result>> verdicts(10);
  std::size_t sent = 0;
  // Submits the next row for `sender`; returns the time just before, so
  // that a query at that time counts every sender that submitted since,
  // however long the machine takes between two statements.
  auto send = [&](std::uint64_t sender) {
    const std::size_t i = sent++;
    REQUIRE(i < verdicts.size());
    const auto before = clock::now();
    committer.submit(sender, row("GC-TURN-" + std::to_string(i), "gc_turn"),
                     [&verdicts, i](ingest::commit_result r) { verdicts[i] = std::move(r); });
    return before;
  };
  // Runs the io_context until every row sent has its verdict; returns when it began.
  auto answer_all = [&] {
    const auto began = clock::now();
    auto all_in = [&] {
      return std::all_of(verdicts.begin(), verdicts.begin() + static_cast<std::ptrdiff_t>(sent),
                         [](const auto& v) { return v.has_value(); });
    };
    io.restart();
    while (!all_in() && clock::now() < began + 30s) io.run_one_for(100ms);
    REQUIRE_MESSAGE(all_in(), "not every one of " << sent << " rows had its verdict within 30 s");
    return began;
  };
  using ms = std::chrono::duration<double, std::milli>;
  auto turnaround_ms = [&](clock::time_point now) {
    const auto t = committer.sole_sender_turnaround(now);
    return t ? ms(*t).count() : -1.0;
  };

  // Sole sender 7: nothing before its third row.
  CHECK(turnaround_ms(send(7)) == -1.0);
  const auto first_wait = answer_all();
  std::this_thread::sleep_for(5ms);  // a slow turnaround...
  CHECK(turnaround_ms(send(7)) == -1.0);
  answer_all();
  // ...then a quick one: the slow one still counts. At most the time since
  // the first verdict's wait began.
  double t = turnaround_ms(send(7));
  CHECK_MESSAGE(t >= 5.0, "turnaround " << t << " ms");
  CHECK_MESSAGE(t <= ms(clock::now() - first_wait).count(), "turnaround " << t << " ms");
  answer_all();
  // Quick, then slow: the slow one counts.
  std::this_thread::sleep_for(5ms);
  const auto last = send(7);
  t = turnaround_ms(last);
  CHECK_MESSAGE(t >= 5.0, "turnaround " << t << " ms");
  // Quiet for longer than the active window: none.
  CHECK(turnaround_ms(last + 21ms) == -1.0);
  answer_all();

  // Senders 7 and 9 side by side, each with two turnarounds: no sole sender.
  clock::time_point round_start;
  for (int round = 0; round < 3; ++round) {
    round_start = send(7);
    send(9);
    answer_all();
  }
  CHECK(committer.active_senders(round_start) == 2);
  CHECK(turnaround_ms(round_start) == -1.0);
  CHECK(std::count_if(verdicts.begin(), verdicts.end(),
                      [](const auto& v) { return v && v->status == ingest::commit_status::stored; }) == 10);
}
