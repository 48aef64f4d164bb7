#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <string>

#include "engine/net/mllp_test_server.hpp"
#include "net/mllp_client.hpp"

namespace asio = radbridge::net::asio;
using radbridge::net::mllp_client;
using radbridge::net::mllp_errc;
using radbridge::net::mllp_error;
using radbridge::test::mllp_reply;
using radbridge::test::mllp_test_server;
using radbridge::test::run_sync;
using namespace std::chrono_literals;

namespace {

const std::string order =
    "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|GENHOSP|20260101120000||ORM^O01|CTL0001|P|2.5\r"
    "PID|1||MRN1^^^GENHOSP^MR\r";

// The mllp_error an exchange throws, or nullopt when it succeeds.
std::optional<mllp_error> exchange_error(asio::io_context& io, mllp_client& client, const std::string& payload,
                                         std::chrono::milliseconds timeout) {
  try {
    (void)run_sync(io, client.exchange(payload, timeout));
  } catch (const mllp_error& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("mllp_client: exchange sends one frame and returns the ACK payload") {
  mllp_test_server server(radbridge::test::answer_aa);
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  CHECK(client.is_open());
  CHECK(client.peer() == "127.0.0.1:" + std::to_string(server.port()));

  const std::string ack = run_sync(io, client.exchange(order, 5s));
  CHECK(ack.starts_with("MSH|^~\\&|RADBRIDGE|GENHOSP|RIS|GENHOSP|20260101000000||ACK"));
  CHECK(ack.find("\rMSA|AA|CTL0001") != std::string::npos);
  REQUIRE(server.received().size() == 1);
  CHECK(server.received()[0] == order);
}

TEST_CASE("mllp_client: several exchanges share one connection") {
  mllp_test_server server(radbridge::test::answer_aa);
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  for (int i = 0; i < 3; ++i) {
    const std::string ack = run_sync(io, client.exchange(order, 5s));
    CHECK(ack.find("MSA|AA|CTL0001") != std::string::npos);
  }
  CHECK(server.connections() == 1);
  CHECK(server.frames() == 3);
}

TEST_CASE("mllp_client: an ACK split over several writes, after garbage, comes out whole") {
  const std::string ack = "MSH|^~\\&|R|F|S|F|20260101||ACK|A1|P|2.5\rMSA|AA|CTL0001\r";
  mllp_test_server server([&](const std::string&) {
    return mllp_reply{
        {"noise\r\n", std::string("\x0b") + ack.substr(0, 10), ack.substr(10, 20), ack.substr(30) + "\x1c", "\r"},
        false};
  });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  CHECK(run_sync(io, client.exchange(order, 5s)) == ack);
  // The connection is still usable afterwards.
  CHECK(run_sync(io, client.exchange(order, 5s)) == ack);
}

TEST_CASE("mllp_client: two frames in one write are returned by two exchanges, in order") {
  mllp_test_server server([](const std::string&) {
    return mllp_reply{{radbridge::mllp::wrap("FIRST") + radbridge::mllp::wrap("SECOND")}, false};
  });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  CHECK(run_sync(io, client.exchange(order, 5s)) == "FIRST");
  CHECK(run_sync(io, client.exchange(order, 5s)) == "SECOND");
}

TEST_CASE("mllp_client: no ACK before the deadline is a timeout, and the connection is closed") {
  mllp_test_server server([](const std::string&) { return mllp_reply::silence(); });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  const auto error = exchange_error(io, client, order, 200ms);
  REQUIRE(error);
  CHECK(error->code() == mllp_errc::timeout);
  CHECK(std::string(error->what()) == "MLLP: no ACK within 200 ms");
  CHECK_FALSE(error->connection_lost());
  CHECK_FALSE(client.is_open());
  CHECK(to_string(mllp_errc::timeout) == "timeout");
}

TEST_CASE("mllp_client: a timeout also covers an ACK that never finishes") {
  mllp_test_server server([](const std::string&) { return mllp_reply{{"\x0bMSH|^~\\&|half an ACK"}, false}; });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  const auto error = exchange_error(io, client, order, 200ms);
  REQUIRE(error);
  CHECK(std::string(error->what()) == "MLLP: no ACK within 200 ms");
}

TEST_CASE("mllp_client: the peer closing without an ACK is closed_by_peer") {
  mllp_test_server server([](const std::string&) { return mllp_reply::hang_up(); });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  const auto error = exchange_error(io, client, order, 5s);
  REQUIRE(error);
  CHECK(error->code() == mllp_errc::closed_by_peer);
  CHECK(std::string(error->what()) == "MLLP: connection closed by peer");
  CHECK(error->connection_lost());
  CHECK_FALSE(client.is_open());

  // Reconnecting works, and an exchange without a connection says so.
  const auto again = exchange_error(io, client, order, 5s);
  REQUIRE(again);
  CHECK(again->code() == mllp_errc::not_connected);
  CHECK(std::string(again->what()) == "MLLP: not connected");
  run_sync(io, client.connect("127.0.0.1", server.port()));
  CHECK(client.is_open());
  CHECK(mllp_test_server::eventually([&] { return server.connections() == 2; }));
}

TEST_CASE("mllp_client: an ACK followed at once by a close is still the ACK") {
  mllp_test_server server([](const std::string& frame) {
    return mllp_reply{{radbridge::mllp::wrap(radbridge::test::ack_for(frame))}, true};
  });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  CHECK(run_sync(io, client.exchange(order, 5s)).find("MSA|AA|CTL0001") != std::string::npos);
  const auto error = exchange_error(io, client, order, 5s);
  REQUIRE(error);
  CHECK(error->connection_lost());
}

TEST_CASE("mllp_client: a framing error in the answer is reported with the framer's code") {
  mllp_test_server server([](const std::string&) { return mllp_reply{{"\x0bMSH|^~\\&|X\x1cZ"}, false}; });
  asio::io_context io;
  mllp_client client(io.get_executor());
  run_sync(io, client.connect("127.0.0.1", server.port()));
  const auto error = exchange_error(io, client, order, 5s);
  REQUIRE(error);
  CHECK(error->code() == mllp_errc::framing_error);
  CHECK(std::string(error->what()) == "MLLP: framing error in ACK: missing_end_cr");
  CHECK_FALSE(client.is_open());
}

TEST_CASE("mllp_client: a refused connection names host and port") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    // A port that was free a moment ago and has nothing listening now.
    radbridge::net::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  mllp_client client(io.get_executor());
  try {
    run_sync(io, client.connect("127.0.0.1", port));
    FAIL("connect succeeded");
  } catch (const mllp_error& e) {
    CHECK(e.code() == mllp_errc::connect_failed);
    CHECK(std::string(e.what()) ==
          "MLLP: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    CHECK(e.connection_lost());
  }
  CHECK_FALSE(client.is_open());
}
