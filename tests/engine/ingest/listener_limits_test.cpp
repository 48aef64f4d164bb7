// ingest/listener: what a peer cannot pin. Real sockets on 127.0.0.1 (and
// 127.0.0.2 as another peer), the shared real PostgreSQL, short timeouts
// set per interface. A slow sender cannot keep a frame open past the
// partial-frame timeout, stray bytes do not keep an idle connection open, a
// peer that stops reading is cut off at the write timeout, stop cancels
// what is still busy after the drain timeout, one address cannot take every
// connection, and running out of file descriptors makes accept back off.
// Each wait is bounded generously; where a count is checked against time it
// is an upper bound that a slow machine only makes easier to meet.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "listener_checks.hpp"
#include "listener_support.hpp"

namespace config = radbridge::config;
namespace ingest = radbridge::ingest;
namespace mllp = radbridge::mllp;
using namespace radbridge::test;  // NOLINT: test helpers
using outcome = mllp_test_client::outcome;

namespace {

// Sends `pieces` one after another, waiting 100 ms for an answer after each:
// the first answer or close (a send that fails is the server's close, with a
// reset), or a timeout when every piece went unanswered.
mllp_test_client::reply send_slowly(mllp_test_client& c, const std::vector<std::string>& pieces) {
  mllp_test_client::reply r;
  for (const std::string& piece : pieces) {
    if (const auto ec = c.send(piece)) return {outcome::closed, {}, ec};
    r = c.read_frame(100ms);
    if (r.what != outcome::timeout) break;
  }
  return r;
}

}  // namespace

TEST_CASE("listener: a frame must be complete within partial_frame_timeout of its first byte, however it trickles") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_trickle");
  iface.partial_frame_timeout = 1s;
  iface.idle_timeout = 60s;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // 40 pieces 100 ms apart: every gap a tenth of the timeout, the whole
  // frame four times as long. Each read used to re-arm the timeout, so the
  // frame completed and was acknowledged.
  const std::string framed = mllp::wrap(order("LT-TRICKLE", "TR-1"));
  constexpr std::size_t count = 40;
  std::vector<std::string> pieces;
  for (std::size_t p = 0; p < count; ++p) {
    const std::size_t from = framed.size() * p / count;
    const std::size_t to = framed.size() * (p + 1) / count;
    pieces.push_back(framed.substr(from, to - from));
  }
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  auto r = send_slowly(c, pieces);
  if (r.what == outcome::timeout) r = c.read_frame(20s);
  check_closed(r);
  CHECK(reaches(l.stats().timeouts, 1) == 1);
  CHECK(rows(pg, "lt_trickle") == "0");

  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().timeouts == 1);
  CHECK(l.stats().frames == 0);
}

TEST_CASE("listener: stray bytes outside frames do not keep an idle connection open") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_stray");
  iface.idle_timeout = 1s;
  iface.partial_frame_timeout = 60s;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // One stray byte every 100 ms for up to 10 s: the idle timeout (1 s, from
  // the connection's start) closes the connection while they still come.
  // (Once they stop, a timer re-armed by each byte would close it too: so
  // the close must come inside this loop.)
  mllp_test_client c;
  REQUIRE_FALSE(c.connect(ep));
  check_closed(send_slowly(c, std::vector<std::string>(100, "x")));
  CHECK(reaches(l.stats().timeouts, 1) == 1);

  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().timeouts == 1);
  CHECK(l.stats().discarded_bytes >= 1);
  CHECK(l.stats().frames == 0);
}

TEST_CASE("listener: a peer that stops reading is cut off at the write timeout, counted") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_noread");
  iface.write_timeout = 500ms;
  iface.max_frame_bytes = 12 * 1024 * 1024;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // A type the interface refuses, from an 8 MiB MSH-3: the AR echoes it in
  // its MSH-5, more than the server's send buffer (4 MiB at most) and this
  // client's receive buffer (shrunk to a few KiB) hold, and the client
  // never reads. The ACK cannot all go: the write must give up.
  const std::string sender(8 * 1024 * 1024, 'S');
  std::string siu = order(sender, "NR-1");
  siu.replace(siu.find("ORM^O01"), 7, "SIU^S12");
  mllp_test_client c;
  REQUIRE_FALSE(c.open({}, 4096));
  REQUIRE_FALSE(c.connect(ep));
  REQUIRE_FALSE(c.send_frame(siu));
  CHECK(reaches(l.stats().write_timeouts, 1, 30s) == 1);
  CHECK(l.stats().rejected == 1);
  // What the server had sent comes in, then the close: never a whole frame.
  check_closed(c.read_frame(30s));
  CHECK_MESSAGE(eventually([&] { return l.active_connections() == 0; }), "still open: ", l.active_connections());

  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().write_timeouts == 1);
}

TEST_CASE("listener: stop cancels a connection still in the middle of a frame after the drain timeout") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_drain");
  iface.partial_frame_timeout = 60s;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  // Half a frame behind a little garbage: once the server has counted the
  // garbage it has read the half frame too, and is waiting for the rest.
  const std::string noise = "noise";
  const std::string framed = mllp::wrap(order("LT-DRAIN", "DR-1"));
  mllp_test_client busy;
  REQUIRE_FALSE(busy.connect(ep));
  REQUIRE_FALSE(busy.send(noise + framed.substr(0, framed.size() / 2)));
  REQUIRE(reaches(l.stats().discarded_bytes, noise.size()) == noise.size());

  // The rest never comes: stop waits the drain timeout (300 ms), not the
  // partial-frame timeout (60 s), then cancels the connection.
  fx.request_stop(300ms);
  check_closed(busy.read_frame(20s));
  CHECK(fx.finished_within(20s));
  fx.join();
  CHECK(l.stats().cancelled_at_stop == 1);
  CHECK(l.stats().timeouts == 0);
  CHECK(rows(pg, "lt_drain") == "0");
}

TEST_CASE("listener: over max_connections_per_peer one address is refused; another address still gets in") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  auto iface = test_interface("lt_per_peer");
  iface.max_connections_per_peer = 2;
  ingest::listener& l = fx.add(iface);
  const auto ep = l.local_endpoint();
  fx.run();

  mllp_test_client a;
  mllp_test_client b;
  REQUIRE_FALSE(a.connect(ep));
  REQUIRE_FALSE(b.connect(ep));
  check_ack(a.exchange(order("LT-PER-PEER", "PP-1")), "AA", "PP-1");
  check_ack(b.exchange(order("LT-PER-PEER", "PP-2")), "AA", "PP-2");

  // A third from 127.0.0.1 is closed at once, and counted.
  mllp_test_client third;
  REQUIRE_FALSE(third.connect(ep));
  check_closed(third.read_frame(20s));
  CHECK(reaches(l.stats().refused_per_peer, 1) == 1);

  // 127.0.0.2 is another peer: it gets in (twice, its own cap).
  mllp_test_client other;
  mllp_test_client other2;
  REQUIRE_FALSE(other.open("127.0.0.2"));
  REQUIRE_FALSE(other.connect(ep));
  REQUIRE_FALSE(other2.open("127.0.0.2"));
  REQUIRE_FALSE(other2.connect(ep));
  check_ack(other.exchange(order("LT-PER-PEER", "PP-3")), "AA", "PP-3");
  check_ack(other2.exchange(order("LT-PER-PEER", "PP-4")), "AA", "PP-4");

  // When one of 127.0.0.1's leaves, it may have another (the listener
  // notices the close asynchronously, so a few attempts may be refused).
  a.close();
  check_ack(reply_on_new_connection(ep, order("LT-PER-PEER", "PP-5")), "AA", "PP-5");
  CHECK(rows(pg, "lt_per_peer") == "5");

  b.close();
  other.close();
  other2.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
  CHECK(l.stats().refused_connections == 0);
  CHECK(l.stats().refused_per_peer >= 1);
}

namespace {

// This process's open descriptors, filled up to a lowered soft limit, and
// given back (with the limit) on destruction.
class descriptors_exhausted {
 public:
  descriptors_exhausted() {
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    }
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest) + 16;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(null >= 0);
    held_.push_back(null);
    for (int fd; (fd = ::fcntl(null, F_DUPFD_CLOEXEC, 0)) >= 0;) held_.push_back(fd);
    REQUIRE(errno == EMFILE);
  }
  ~descriptors_exhausted() { release(); }
  descriptors_exhausted(const descriptors_exhausted&) = delete;
  descriptors_exhausted& operator=(const descriptors_exhausted&) = delete;

  void release() {
    for (const int fd : held_) ::close(fd);
    held_.clear();
    setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> held_;
};

// The most accept attempts that can fail within `span` of the first, with
// the listener's backoff: 10 ms, doubling, at most 1 s between tries (its
// timers only fire late, which makes fewer). 7 within a second; a retry
// loop without a backoff makes thousands, and logs each.
std::uint64_t most_failures_within(std::chrono::steady_clock::duration span) {
  std::uint64_t n = 1;
  std::chrono::milliseconds wait = 10ms;
  for (std::chrono::steady_clock::duration at = wait; at < span; at += wait) {
    ++n;
    wait = std::min(wait * 2, std::chrono::milliseconds(1s));
  }
  return n;
}

}  // namespace

TEST_CASE("listener: out of file descriptors, accept backs off instead of spinning, then accepts again") {
  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(test_interface("lt_emfile"));
  const auto ep = l.local_endpoint();
  fx.run();

  mllp_test_client c;
  REQUIRE_FALSE(c.open());  // its descriptor, before there are none left
  using clock = std::chrono::steady_clock;
  std::uint64_t errors_in_window = 0;
  clock::duration window{};         // about a second; longer on a busy machine
  clock::duration exhausted_for{};  // from before the first failure to the release
  {
    descriptors_exhausted exhausted;
    const auto start = clock::now();
    // The kernel completes the connection; the listener's accept fails (EMFILE).
    REQUIRE_FALSE(c.connect(ep));
    const bool failed = eventually([&] { return l.stats().accept_errors.load() >= 1; });
    const auto window_start = clock::now();
    const std::uint64_t before = l.stats().accept_errors;
    std::this_thread::sleep_for(1s);
    errors_in_window = l.stats().accept_errors - before;
    window = clock::now() - window_start;
    exhausted.release();
    exhausted_for = clock::now() - start;
    REQUIRE(failed);
  }
  // The bounds follow the time that really passed, so a slow machine cannot
  // make them fail; each allows one try more than the backoff does.
  INFO("accept errors in ", std::chrono::duration<double>(window).count(), " s: ", errors_in_window);
  INFO("out of descriptors for ", std::chrono::duration<double>(exhausted_for).count(), " s");
  CHECK(errors_in_window <= most_failures_within(window) + 1);
  CHECK(l.stats().accept_errors <= most_failures_within(exhausted_for) + 1);

  // Descriptors back: the waiting connection is accepted and served.
  check_ack(c.exchange(order("LT-EMFILE", "EM-1")), "AA", "EM-1");
  CHECK(l.stats().connections == 1);
  CHECK(rows(pg, "lt_emfile") == "1");

  c.close();
  fx.request_stop();
  REQUIRE(fx.finished_within(30s));
  fx.join();
}
