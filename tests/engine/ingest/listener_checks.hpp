// What the listener's tests share beyond the client and fixture
// (listener_support.hpp): the shared, migrated PostgreSQL, an ORM^O01 under
// a given MSH-3 (and MSH-4) and control id, row counts, the doctest checks
// of an ACK or a close, and a sender's retry on new connections.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "listener_support.hpp"
#include "store/database.hpp"
#include "support/postgres_server.hpp"

namespace radbridge::test {

// The shared server, migrated once.
inline postgres_server& shared_db() {
  postgres_server& pg = shared_postgres();
  static const bool migrated = [&pg] {
    store::database(pg.conninfo()).migrate();
    return true;
  }();
  (void)migrated;
  return pg;
}

// An ORM^O01 sent as MSH-3 `app`, MSH-4 `facility`, with an NTE when `note` is given.
inline std::string order_as(const std::string& app, const std::string& facility, const std::string& control_id,
                            const std::string& note = "") {
  std::string m = "MSH|^~\\&|" + app + "|" + facility + "|RADBRIDGE|AI|20261123120000||ORM^O01|" + control_id +
                  "|P|2.5.1\r"
                  "PID|1||MRN1^^^GENHOSP^MR||TESTPATIENT^ALPHA\r"
                  "ORC|NW|" +
                  control_id + "\r";
  if (!note.empty()) m += "NTE|1||" + note + "\r";
  return m;
}

// The same from facility GENHOSP.
inline std::string order(const std::string& app, const std::string& control_id, const std::string& note = "") {
  return order_as(app, "GENHOSP", control_id, note);
}

inline std::string rows(const postgres_server& pg, const std::string& iface, const std::string& where = "true") {
  return pg.psql("SELECT count(*) FROM inbound_messages WHERE interface = '" + iface + "' AND (" + where + ")");
}

inline std::string stored_payload_hex(const postgres_server& pg, const std::string& iface,
                                      const std::string& control_id) {
  return pg.psql("SELECT encode(payload, 'hex') FROM inbound_messages WHERE interface = '" + iface +
                 "' AND control_id = '" + control_id + "'");
}

// Checks that `r` is an ACK with MSA-1 `code` answering `control_id`.
inline void check_ack(const mllp_test_client::reply& r, const std::string& code, const std::string& control_id) {
  CAPTURE(control_id);
  REQUIRE_MESSAGE(r.what == mllp_test_client::outcome::frame, "got ", to_string(r.what), " (", r.ec.message(),
                  ") instead of an ACK");
  CHECK(hl7_value(r.payload, "MSH-9.1") == "ACK");
  CHECK(hl7_value(r.payload, "MSA-1") == code);
  CHECK(hl7_value(r.payload, "MSA-2") == control_id);
}

inline void check_closed(const mllp_test_client::reply& r) {
  CHECK_MESSAGE(r.what == mllp_test_client::outcome::closed, "expected the server to close the connection, got ",
                to_string(r.what),
                r.what == mllp_test_client::outcome::frame ? " with MSA-1 " + hl7_value(r.payload, "MSA-1")
                                                           : std::string{});
}

// What a sender that retries does: `message` on a new connection to `to`,
// again every `pause` while the listener closes the connection without an
// answer (a freed slot, a database back: it notices asynchronously), for up
// to `limit`. The first answer, or the last close; `attempts` counts tries.
inline mllp_test_client::reply reply_on_new_connection(const tcp::endpoint& to, const std::string& message,
                                                        std::chrono::milliseconds limit = 20s,
                                                        std::chrono::milliseconds pause = 50ms,
                                                        int* attempts = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (int n = 1;; ++n) {
    if (attempts != nullptr) *attempts = n;
    mllp_test_client c;
    REQUIRE_FALSE(c.connect(to));
    mllp_test_client::reply r = c.exchange(message);
    if (r.what == mllp_test_client::outcome::frame || std::chrono::steady_clock::now() >= deadline) return r;
    REQUIRE_MESSAGE(r.what == mllp_test_client::outcome::closed, "neither an answer nor a close: ", to_string(r.what));
    std::this_thread::sleep_for(pause);
  }
}

}  // namespace radbridge::test
