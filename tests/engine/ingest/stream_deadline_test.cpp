// ingest/deadline.hpp's stream_deadline on a real loopback TCP connection:
// a read past its due time is cancelled and reported as a timeout; a read
// whose due time is later than the timer was set for is not cancelled when
// the timer fires (it waits again); a due time earlier than the timer's is
// honoured (the timer is re-armed). Ordering comes from asio's timer queue
// (timers expire in due-time order), not from sleeps; the only wall-clock
// bound is a 30 s watchdog against a hang.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>

#include "ingest/deadline.hpp"
#include "net/asio.hpp"

namespace asio = radbridge::net::asio;
using radbridge::ingest::stream_deadline;
using radbridge::net::tcp;
using namespace std::chrono_literals;

namespace {

struct socket_pair {
  asio::io_context io{1};
  tcp::socket client{io};
  tcp::socket server{io};

  socket_pair() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
};

struct read_outcome {
  std::size_t bytes = 0;
  bool timed_out = false;
  std::string error;  // empty: none
};

// One read_some on `pair.server` due at `due`, driven to its end; the
// watchdog closes the socket if it has not ended within 30 s.
read_outcome read_once(socket_pair& pair, stream_deadline& deadline, stream_deadline::clock::time_point due) {
  std::optional<read_outcome> outcome;
  char buffer[64];
  asio::co_spawn(
      pair.io,
      [&]() -> asio::awaitable<void> {
        boost::system::error_code ec;
        read_outcome r;
        r.bytes = co_await radbridge::ingest::read_some(pair.server, deadline, due, asio::buffer(buffer), ec,
                                                        r.timed_out);
        if (ec) r.error = ec.message();
        outcome = r;
      },
      asio::detached);
  asio::steady_timer watchdog(pair.io, 30s);
  watchdog.async_wait([&](boost::system::error_code ec) {
    if (!ec && !outcome) pair.server.close();
  });
  while (!outcome && pair.io.run_one() > 0) {
  }
  watchdog.cancel();
  pair.io.restart();
  pair.io.poll();
  REQUIRE(outcome.has_value());
  return *outcome;
}

// What a read that the deadline cancelled reports.
void check_timed_out(const read_outcome& r, const char* which) {
  INFO(which);
  CHECK(r.timed_out == true);
  CHECK(r.bytes == 0);
  CHECK(r.error == asio::error::make_error_code(asio::error::operation_aborted).message());
}

}  // namespace

TEST_CASE("a read still pending at its due time is cancelled and reported as a timeout") {
  socket_pair pair;
  stream_deadline deadline(pair.io, pair.server);
  check_timed_out(read_once(pair, deadline, stream_deadline::clock::now() + 50ms), "the read due in 50 ms");
}

TEST_CASE("a read due later than the timer was set for is not cancelled when the timer fires") {
  socket_pair pair;
  stream_deadline deadline(pair.io, pair.server);
  // An earlier operation armed the timer for 20 ms from now, and ended at once.
  deadline.begin(stream_deadline::clock::now() + 20ms);
  CHECK(deadline.end() == false);
  // The peer writes only when a timer due after that one fires: by then the
  // deadline's timer has fired and found the read not yet due.
  asio::steady_timer later(pair.io, 200ms);
  later.async_wait([&](boost::system::error_code ec) {
    if (!ec) asio::write(pair.client, asio::buffer(std::string("x")));
  });
  const read_outcome r = read_once(pair, deadline, stream_deadline::clock::now() + 10min);
  CHECK(r.timed_out == false);
  CHECK(r.bytes == 1);
  CHECK(r.error == "");
}

TEST_CASE("a due time earlier than the timer's re-arms it") {
  socket_pair pair;
  stream_deadline deadline(pair.io, pair.server);
  // The first read is due in 10 minutes (the timer is set for then) and gets its byte.
  asio::write(pair.client, asio::buffer(std::string("x")));
  const read_outcome first = read_once(pair, deadline, stream_deadline::clock::now() + 10min);
  CHECK(first.bytes == 1);
  CHECK(first.timed_out == false);
  // The second is due in 50 ms: it must end then, not in 10 minutes (the
  // watchdog would end it after 30 s with "Bad file descriptor", not a timeout).
  check_timed_out(read_once(pair, deadline, stream_deadline::clock::now() + 50ms), "the second read, due in 50 ms");
}

TEST_CASE("a deadline destroyed while its timer's handler is queued leaves the stream alone") {
  socket_pair pair;
  std::optional<stream_deadline> deadline(std::in_place, pair.io, pair.server);
  const auto now = stream_deadline::clock::now();
  deadline->begin(now + 2ms);
  // Due before the deadline's timer: its handler runs first and destroys the deadline.
  asio::steady_timer first(pair.io, now + 1ms);
  first.async_wait([&](boost::system::error_code ec) {
    if (!ec) deadline.reset();
  });
  std::optional<boost::system::error_code> read_error;
  std::size_t read_bytes = 0;
  char byte = 0;
  pair.server.async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code ec, std::size_t n) {
    read_error = ec;
    read_bytes = n;
  });
  // Both timers have expired before the io_context looks, so their handlers
  // are queued together: `first`'s, then the deadline's, which must find the
  // deadline gone and leave the pending read alone.
  std::this_thread::sleep_for(20ms);
  pair.io.poll();
  CHECK_MESSAGE(deadline.has_value() == false, "the first timer's handler did not run");
  asio::write(pair.client, asio::buffer(std::string("y")));
  while (!read_error && pair.io.run_one() > 0) {
  }
  REQUIRE(read_error.has_value());
  CHECK(read_error->message() == boost::system::error_code().message());
  CHECK(read_bytes == 1);
  CHECK(byte == 'y');
}
