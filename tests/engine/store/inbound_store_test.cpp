// engine/store against a real private PostgreSQL (tests/support/postgres_server).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/store_error.hpp"
#include "inbound_rows.hpp"
#include "support.hpp"
#include "support/postgres_server.hpp"

namespace store = radbridge::store;
using radbridge::test::inbound_row;
using radbridge::test::postgres_server;

namespace {

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(digits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

}  // namespace

TEST_CASE("store: migrate applies every migration once and records it") {
  postgres_server pg;
  store::database db(pg.conninfo());
  CHECK(db.schema_version() == 0);
  const std::vector<std::string> first = db.migrate();
  REQUIRE(first.size() >= 1);
  CHECK(first.front() == "0001_inbound_messages");
  CHECK(db.schema_version() == static_cast<int>(first.size()));
  CHECK(db.migrate().empty());
  CHECK(pg.psql("SELECT string_agg(name, ',' ORDER BY version) FROM schema_version").starts_with("0001_inbound_messages"));
  // The dedupe key compares byte for byte, whatever the database's locale.
  CHECK(pg.psql("SELECT string_agg(collation_name, ',' ORDER BY column_name) FROM information_schema.columns"
                " WHERE table_name = 'inbound_messages' AND column_name IN"
                " ('interface', 'sending_application', 'sending_facility', 'control_id')") == "C,C,C,C");
  // The status column only takes the documented states.
  CHECK_THROWS(pg.psql("INSERT INTO inbound_messages "
                       "(interface, sending_application, sending_facility, control_id, message_type, trigger_event,"
                       " payload, payload_sha256, ack_code, ack, status) VALUES ('i','a','f','c','t','e','','','AA','',"
                       "'bogus')"));
}

TEST_CASE("store: a group is stored in one transaction; resends and conflicts are told apart") {
  postgres_server pg;
  store::database db(pg.conninfo());
  db.migrate();

  auto resent_in_group = inbound_row("C1", "payload one");
  resent_in_group.ack = "the ACK prepared for the resend, never sent";
  const std::vector<store::inbound_message> group = {inbound_row("C1", "payload one"), inbound_row("C2", "payload two"),
                                                     resent_in_group};
  const auto results = store::store_inbound(db, group);
  REQUIRE(results.size() == 3);
  CHECK(results[0].outcome == store::inbound_outcome::stored);
  CHECK(results[1].outcome == store::inbound_outcome::stored);
  // The same key and payload in the same group: a resend, answered with the first ACK.
  CHECK(results[2].outcome == store::inbound_outcome::duplicate);
  CHECK(results[2].id == results[0].id);
  CHECK(results[2].stored_ack == group[0].ack);
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == "2");
  CHECK(pg.psql("SELECT encode(ack, 'hex') FROM inbound_messages WHERE control_id = 'C1'") == hex(group[0].ack));

  // Later: same key and payload is a duplicate with the stored ACK byte for byte...
  auto resend = inbound_row("C2", "payload two");
  resend.ack = "a different ACK that must not be stored";
  const auto again = store::store_inbound(db, std::vector{resend});
  CHECK(again[0].outcome == store::inbound_outcome::duplicate);
  CHECK(again[0].stored_ack == group[1].ack);
  // ... and a different payload under the same key is a conflict, not stored.
  const auto clash = store::store_inbound(db, std::vector{inbound_row("C2", "another payload!")});
  CHECK(clash[0].outcome == store::inbound_outcome::conflict);
  CHECK(clash[0].stored_ack.empty());
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == "2");
  CHECK(pg.psql("SELECT status FROM inbound_messages WHERE control_id = 'C1'") == "received");
  // Raw bytes survive: the payload is bytea, not text.
  CHECK(pg.psql("SELECT encode(payload, 'hex') FROM inbound_messages WHERE control_id = 'C1'") == hex("payload one"));
}

TEST_CASE("store: a group holding a stored key stores the rest exactly once") {
  postgres_server pg;
  store::database db(pg.conninfo());
  db.migrate();
  store::store_inbound(db, std::vector{inbound_row("K1", "first")});
  // The plain INSERT of this group fails on K1 and stores nothing; the
  // second statement skips K1 and stores K2 and K3.
  const auto results =
      store::store_inbound(db, std::vector{inbound_row("K2", "second"), inbound_row("K1", "first"), inbound_row("K3", "third")});
  REQUIRE(results.size() == 3);
  CHECK(results[0].outcome == store::inbound_outcome::stored);
  CHECK(results[1].outcome == store::inbound_outcome::duplicate);
  CHECK(results[2].outcome == store::inbound_outcome::stored);
  CHECK(pg.psql("SELECT string_agg(control_id, ',' ORDER BY id) FROM inbound_messages") == "K1,K2,K3");
  CHECK(pg.psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM inbound_messages WHERE control_id <> 'K1'") ==
        std::to_string(results[0].id) + "," + std::to_string(results[2].id));
  // Groups of every size up to a few hundred rows (one statement each).
  for (std::size_t size : {1u, 2u, 7u, 64u, 256u}) {
    std::vector<store::inbound_message> group;
    for (std::size_t i = 0; i < size; ++i) group.push_back(inbound_row("G" + std::to_string(size) + "-" + std::to_string(i), "p"));
    const auto stored = store::store_inbound(db, group);
    REQUIRE(stored.size() == size);
    for (std::size_t i = 0; i < size; ++i) {
      CHECK(stored[i].outcome == store::inbound_outcome::stored);
      // Each message gets the id of its own row.
      if (size <= 7) {
        CHECK(pg.psql("SELECT control_id FROM inbound_messages WHERE id = " + std::to_string(stored[i].id)) ==
              group[i].control_id);
      }
    }
  }
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == std::to_string(3 + 1 + 2 + 7 + 64 + 256));
}

namespace {

// The schema as it was before 0011 (per-interface dedupe), from sql/.
void migrate_before_per_interface_key(const postgres_server& pg) {
  std::string older = "CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,"
                      " applied_at timestamptz NOT NULL DEFAULT now());\n";
  for (int version = 1; version <= 10; ++version) {
    for (const auto& entry : std::filesystem::directory_iterator(radbridge::test::source_dir() / "sql")) {
      const std::string name = entry.path().stem().string();
      if (entry.path().extension() != ".sql" || std::stoi(name.substr(0, 4)) != version) continue;
      older += radbridge::test::read_file(entry.path()) + "\n";
      older += "INSERT INTO schema_version (version, name) VALUES (" + std::to_string(version) + ", '" + name + "');\n";
    }
  }
  pg.psql(older);
}

}  // namespace

TEST_CASE("store: the dedupe key is per interface; rows stored before that migration still dedupe") {
  postgres_server pg;
  migrate_before_per_interface_key(pg);
  store::database db(pg.conninfo());
  REQUIRE(db.schema_version() == 10);
  const auto before = store::store_inbound(db, std::vector{inbound_row("OLD1", "stored before")});
  REQUIRE(before[0].outcome == store::inbound_outcome::stored);
  const std::vector<std::string> applied = db.migrate();
  REQUIRE_FALSE(applied.empty());
  CHECK(applied.front() == "0011_dedupe_per_interface");
  CHECK(pg.psql("SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM pg_constraint c,"
                " unnest(c.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attnum = k.attnum"
                " AND a.attrelid = 'inbound_messages'::regclass WHERE c.conname = 'inbound_messages_dedupe'") ==
        "control_id,interface,sending_application,sending_facility");
  // The row stored before keeps its id and is still found by its key.
  const auto after = store::store_inbound(db, std::vector{inbound_row("OLD1", "stored before")});
  CHECK(after[0].outcome == store::inbound_outcome::duplicate);
  CHECK(after[0].id == before[0].id);
  CHECK(store::store_inbound(db, std::vector{inbound_row("OLD1", "changed")})[0].outcome ==
        store::inbound_outcome::conflict);

  // The same MSH-3, MSH-4 and MSH-10 on interfaces a and b: two messages.
  auto on_a = inbound_row("SHARED1", "from the RIS on a");
  on_a.interface = "a";
  auto on_b = inbound_row("SHARED1", "from another peer on b");
  on_b.interface = "b";
  const auto first = store::store_inbound(db, std::vector{on_b});
  const auto second = store::store_inbound(db, std::vector{on_a});
  CHECK(first[0].outcome == store::inbound_outcome::stored);
  CHECK(second[0].outcome == store::inbound_outcome::stored);
  CHECK(pg.psql("SELECT string_agg(interface || ':' || encode(payload, 'escape'), ',' ORDER BY id) FROM inbound_messages"
                " WHERE control_id = 'SHARED1'") == "b:from another peer on b,a:from the RIS on a");
  // On a again: the same payload is a resend answered with a's ACK...
  auto resend = on_a;
  resend.ack = "not stored";
  const auto again = store::store_inbound(db, std::vector{resend});
  CHECK(again[0].outcome == store::inbound_outcome::duplicate);
  CHECK(again[0].id == second[0].id);
  CHECK(again[0].stored_ack == on_a.ack);
  // ... and another payload is the conflict answer, against a's row, not b's.
  auto clash = inbound_row("SHARED1", "yet another payload");
  clash.interface = "a";
  const auto conflict = store::store_inbound(db, std::vector{clash});
  CHECK(conflict[0].outcome == store::inbound_outcome::conflict);
  CHECK(conflict[0].id == second[0].id);
  // Within one group (the careful path, after the plain insert fails on
  // SHARED1): each key is matched on its own interface.
  auto new_on_c = inbound_row("SHARED1", "first on c");
  new_on_c.interface = "c";
  const auto mixed = store::store_inbound(db, std::vector{new_on_c, resend, clash});
  REQUIRE(mixed.size() == 3);
  CHECK(mixed[0].outcome == store::inbound_outcome::stored);
  CHECK(mixed[1].outcome == store::inbound_outcome::duplicate);
  CHECK(mixed[1].id == second[0].id);
  CHECK(mixed[2].outcome == store::inbound_outcome::conflict);
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages WHERE control_id = 'SHARED1'") == "3");
}

TEST_CASE("store: messages up to a page are kept inline and uncompressed; text and bytes arrive unchanged") {
  postgres_server pg;
  store::database db(pg.conninfo());
  db.migrate();
  CHECK(pg.psql("SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'inbound_messages'") ==
        "toast_tuple_target=8160");
  auto big = inbound_row("B1", std::string(6000, 'x'));
  big.sending_facility = "H\xc3\xb4pital \"Nord\", {1} \\";  // UTF-8, quotes, braces, a backslash
  store::store_inbound(db, std::vector{big});
  // A compressed 6000-byte run of 'x' would take well under 100 bytes.
  CHECK(pg.psql("SELECT pg_column_size(payload) >= 6000 FROM inbound_messages") == "t");
  CHECK(pg.psql("SELECT encode(convert_to(sending_facility, 'UTF8'), 'hex') FROM inbound_messages") ==
        hex(big.sending_facility));
}

TEST_CASE("store: a stopped database is a transient error, and the same object recovers") {
  postgres_server pg;
  store::database db(pg.conninfo());
  db.migrate();
  store::store_inbound(db, std::vector{inbound_row("D1", "x")});

  pg.stop();
  try {
    store::store_inbound(db, std::vector{inbound_row("D2", "y")});
    FAIL("store_inbound succeeded with the database stopped");
  } catch (const store::store_error& e) {
    CHECK(e.kind() == store::failure::transient);
  }
  pg.start();
  const auto results = store::store_inbound(db, std::vector{inbound_row("D2", "y")});
  CHECK(results[0].outcome == store::inbound_outcome::stored);
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == "2");
}

TEST_CASE("store: an unreachable database on first use is transient") {
  // A port nothing listens on: the private server's, after it is gone.
  std::string conninfo;
  {
    postgres_server pg;
    conninfo = pg.conninfo();
  }
  store::database db(conninfo);
  try {
    db.connect();
    FAIL("connected to a server that is not running");
  } catch (const store::store_error& e) {
    CHECK(e.kind() == store::failure::transient);
  }
}
