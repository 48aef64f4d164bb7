// Deadlines on one operation of a connection's stream (the listener's reads,
// writes, TLS handshake and shutdown).
//
// `arm` starts a timer that cancels the stream's pending operations when it
// passes; `disarm` stops it once the operation has completed and says
// whether the deadline had cancelled it. timer.cancel() cannot recall a
// handler that was already queued when the operation completed; such a late
// handler runs after the session may have moved on (or ended and destroyed
// the stream), so it touches nothing but the shared state it owns.
// `read_some` and `write_all` wrap one read or one whole write in a deadline.
// `backoff` is the accept loop's retry delay after an error (out of file
// descriptors): exponential, reset by the caller on success.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>

#include "net/asio.hpp"

namespace radbridge::ingest {

struct deadline_state {
  bool finished = false;  // the operation completed: the handler must do nothing
  bool expired = false;   // the handler cancelled the operation
};

template <class Stream>
std::shared_ptr<deadline_state> arm(net::asio::steady_timer& timer, Stream& stream, std::chrono::milliseconds limit) {
  auto state = std::make_shared<deadline_state>();
  timer.expires_after(limit);
  timer.async_wait([&stream, state](boost::system::error_code timer_ec) {
    if (timer_ec || state->finished) return;
    state->expired = true;
    boost::system::error_code ignored;
    stream.lowest_layer().cancel(ignored);
  });
  return state;
}

// Returns whether the deadline had passed (and cancelled the operation).
inline bool disarm(net::asio::steady_timer& timer, deadline_state& state) {
  state.finished = true;
  timer.cancel();
  return state.expired;
}

// Reads some bytes; on the deadline, cancels the read and reports a timeout.
template <class Stream>
net::asio::awaitable<std::size_t> read_some(Stream& stream, net::asio::steady_timer& timer,
                                            std::chrono::milliseconds limit, net::asio::mutable_buffer buffer,
                                            boost::system::error_code& ec, bool& timed_out) {
  const auto deadline = arm(timer, stream, limit);
  const std::size_t n =
      co_await stream.async_read_some(buffer, net::asio::redirect_error(net::asio::use_awaitable, ec));
  // Bytes that arrived as the deadline passed are not a timeout: keep them.
  timed_out = disarm(timer, *deadline) && n == 0;
  co_return n;
}

// Writes all of `bytes`; on the deadline, cancels the write (part of it may
// have gone) and reports a timeout.
template <class Stream>
net::asio::awaitable<void> write_all(Stream& stream, net::asio::steady_timer& timer, std::chrono::milliseconds limit,
                                     net::asio::const_buffer bytes, boost::system::error_code& ec, bool& timed_out) {
  const auto deadline = arm(timer, stream, limit);
  co_await net::asio::async_write(stream, bytes, net::asio::redirect_error(net::asio::use_awaitable, ec));
  // A write that completed as the deadline passed is not a timeout.
  timed_out = disarm(timer, *deadline) && ec;
}

// The time left until `deadline`, at least zero.
inline std::chrono::milliseconds time_left(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds{0});
}

// The accept loop's next wait after an error: 10 ms, doubled per error in a
// row, at most 1 s.
inline std::chrono::milliseconds next_accept_backoff(std::chrono::milliseconds previous) {
  constexpr std::chrono::milliseconds first{10};
  constexpr std::chrono::milliseconds most{1000};
  return previous < first ? first : std::min(previous * 2, most);
}

}  // namespace radbridge::ingest
