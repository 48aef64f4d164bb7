// engine/store against a real private PostgreSQL (tests/support/postgres_server).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "store/database.hpp"
#include "store/inbound_store.hpp"
#include "store/store_error.hpp"
#include "support/postgres_server.hpp"

namespace store = radbridge::store;
using radbridge::test::postgres_server;

namespace {

store::inbound_message message(std::string control_id, std::string payload) {
  store::inbound_message m;
  m.interface = "ris";
  m.sending_application = "RIS";
  m.sending_facility = "GENHOSP";
  m.control_id = std::move(control_id);
  m.message_type = "ORM";
  m.trigger_event = "O01";
  m.payload = std::move(payload);
  m.payload_sha256 = std::string(32, static_cast<char>(m.payload.size()));  // distinct per payload length
  m.ack_code = "AA";
  m.ack = "MSH|^~\\&|RADBRIDGE||RIS|GENHOSP|20261123||ACK^O01^ACK|A-" + m.control_id + "|P|2.5\rMSA|AA|" +
          m.control_id + "\r";
  return m;
}

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

  auto resent_in_group = message("C1", "payload one");
  resent_in_group.ack = "the ACK prepared for the resend, never sent";
  const std::vector<store::inbound_message> group = {message("C1", "payload one"), message("C2", "payload two"),
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
  auto resend = message("C2", "payload two");
  resend.ack = "a different ACK that must not be stored";
  const auto again = store::store_inbound(db, std::vector{resend});
  CHECK(again[0].outcome == store::inbound_outcome::duplicate);
  CHECK(again[0].stored_ack == group[1].ack);
  // ... and a different payload under the same key is a conflict, not stored.
  const auto clash = store::store_inbound(db, std::vector{message("C2", "another payload!")});
  CHECK(clash[0].outcome == store::inbound_outcome::conflict);
  CHECK(clash[0].stored_ack.empty());
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == "2");
  CHECK(pg.psql("SELECT status FROM inbound_messages WHERE control_id = 'C1'") == "received");
  // Raw bytes survive: the payload is bytea, not text.
  CHECK(pg.psql("SELECT encode(payload, 'hex') FROM inbound_messages WHERE control_id = 'C1'") == hex("payload one"));
}

TEST_CASE("store: a stopped database is a transient error, and the same object recovers") {
  postgres_server pg;
  store::database db(pg.conninfo());
  db.migrate();
  store::store_inbound(db, std::vector{message("D1", "x")});

  pg.stop();
  try {
    store::store_inbound(db, std::vector{message("D2", "y")});
    FAIL("store_inbound succeeded with the database stopped");
  } catch (const store::store_error& e) {
    CHECK(e.kind() == store::failure::transient);
  }
  pg.start();
  const auto results = store::store_inbound(db, std::vector{message("D2", "y")});
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
