// ingest/busy_poll: the listeners' event loop runs what run() would run,
// with or without spinning, wakes for work posted from another thread
// (while it spins or sleeps), asks may_spin only when it could spin, and
// returns when the io_context runs out of work or is stopped.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "ingest/busy_poll.hpp"

namespace asio = boost::asio;
using radbridge::ingest::run_busy_polling;
using radbridge::ingest::spin_pays;
using namespace std::chrono_literals;

namespace {

// Posts a chain of 10 handlers (each posts the next); the last arms a timer
// due 50 ms later, so that the loop then runs dry with work pending however
// slowly the chain ran (a timer armed up front could fall due before a slow
// chain ends, on a busy machine under the sanitizers). Returns how many
// handlers ran plus 1 for the timer, after the loop.
int run_chain_and_timer(std::chrono::microseconds spin, bool may, int& asked) {
  asio::io_context io(1);
  int ran = 0;
  asio::steady_timer timer(io);
  std::function<void(int)> step = [&](int left) {
    ++ran;
    if (left > 1) {
      asio::post(io, [&step, left] { step(left - 1); });
      return;
    }
    timer.expires_after(50ms);
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) ++ran;
    });
  };
  asio::post(io, [&step] { step(10); });
  run_busy_polling(io, spin, [&] {
    ++asked;
    return may;
  });
  CHECK_MESSAGE(io.stopped(), "the loop returned with work left");
  return ran;
}

}  // namespace

TEST_CASE("busy_poll: without a spin the loop is run(): everything runs, may_spin is never asked") {
  int asked = 0;
  CHECK(run_chain_and_timer(0us, true, asked) == 11);
  CHECK(asked == 0);
}

TEST_CASE("busy_poll: spinning or not, every handler and the timer run and the loop returns when out of work") {
  int asked_spinning = 0;
  CHECK(run_chain_and_timer(1000us, true, asked_spinning) == 11);
  // The timer is 50 ms away when the chain ends: the loop ran dry while waiting for it, asked, and spun.
  CHECK_MESSAGE(asked_spinning >= 1, "may_spin asked " << asked_spinning << " times");
  int asked_not = 0;
  CHECK(run_chain_and_timer(1000us, false, asked_not) == 11);
  CHECK_MESSAGE(asked_not >= 1, "may_spin asked " << asked_not << " times");
}

TEST_CASE("busy_poll: work posted from another thread runs, while the loop spins and after it sleeps") {
  for (const bool may : {true, false}) {
    CAPTURE(may);
    asio::io_context io(1);
    auto guard = asio::make_work_guard(io);
    std::atomic<int> ran{0};
    std::thread poster([&] {
      // One post during the first spin (if any), one long after it.
      std::this_thread::sleep_for(100us);
      asio::post(io, [&] { ++ran; });
      std::this_thread::sleep_for(20ms);
      asio::post(io, [&] {
        ++ran;
        guard.reset();  // nothing left: the loop returns
      });
    });
    run_busy_polling(io, 1000us, [may] { return may; });
    poster.join();
    CHECK(ran.load() == 2);
    CHECK(io.stopped());
  }
}

TEST_CASE("busy_poll: stop() from another thread ends a loop that has work but nothing ready") {
  asio::io_context io(1);
  auto guard = asio::make_work_guard(io);
  std::thread stopper([&] {
    std::this_thread::sleep_for(10ms);
    io.stop();
  });
  run_busy_polling(io, 1000us, [] { return true; });
  stopper.join();
  CHECK(io.stopped());
}

TEST_CASE("busy_poll: the engine spins only for a sole sender whose turnaround is at most half the spin") {
  CHECK_FALSE(spin_pays(std::nullopt, 500us));  // none or several senders, or too few rows yet
  CHECK(spin_pays(0us, 500us));
  CHECK(spin_pays(250us, 500us));
  CHECK_FALSE(spin_pays(251us, 500us));
  CHECK_FALSE(spin_pays(2ms, 500us));  // a paced feed: its next frame would outlast the spin
}
