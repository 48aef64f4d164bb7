// Deadlines on a connection's stream operations (the listener's reads,
// writes, TLS handshake and shutdown).
//
// `stream_deadline` bounds one operation at a time: `begin(due)` before the
// operation, `end()` after it (returns whether the deadline passed and
// cancelled it). One timer serves every operation and is re-armed only
// when an operation's due time is earlier than the time it is set for; when
// it fires before the due time (a later operation moved it), it waits again
// for the rest. So the steady flow of reads and ACKs that finish in time
// costs no timer system call and no allocation: the timer fires about once
// per timeout. timer.cancel() cannot recall a handler that was already
// queued; the handler owns the shared state it touches and does nothing
// once the deadline has been destroyed (the stream may be gone).
// `read_some` and `write_all` wrap one read or one whole write in it.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

#include "net/asio.hpp"

namespace radbridge::ingest {

class stream_deadline {
 public:
  using clock = std::chrono::steady_clock;

  template <class Stream>
  stream_deadline(net::asio::io_context& io, Stream& stream) : state_(std::make_shared<state>(io)) {
    state_->cancel = [&stream] {
      boost::system::error_code ignored;
      stream.lowest_layer().cancel(ignored);
    };
  }
  ~stream_deadline() {
    state_->cancel = nullptr;  // a handler already queued must not touch the stream
    state_->timer.cancel();
  }
  stream_deadline(const stream_deadline&) = delete;
  stream_deadline& operator=(const stream_deadline&) = delete;

  // The operation about to start must end by `due`.
  void begin(clock::time_point due) {
    state_->due = due;
    state_->expired = false;
    if (due < state_->armed) arm(state_, due);
  }

  // The operation has ended; returns whether the deadline had cancelled it.
  bool end() {
    state_->due = clock::time_point::max();
    return state_->expired;
  }

 private:
  struct state {
    explicit state(net::asio::io_context& io) : timer(io) {}
    net::asio::steady_timer timer;
    std::function<void()> cancel;                     // null once the deadline is gone
    clock::time_point due = clock::time_point::max();    // max: no operation pending
    clock::time_point armed = clock::time_point::max();  // the timer's expiry; max: not waiting
    bool expired = false;                             // the pending operation was cancelled
  };

  static void arm(const std::shared_ptr<state>& s, clock::time_point at) {
    s->armed = at;
    s->timer.expires_at(at);  // cancels a wait in progress: its handler returns at once
    s->timer.async_wait([s](boost::system::error_code ec) {
      if (ec || !s->cancel) return;
      s->armed = clock::time_point::max();
      if (s->due == clock::time_point::max()) return;  // idle: the next begin arms it
      if (clock::now() < s->due) {
        arm(s, s->due);  // the operation began after the timer was set: wait for the rest
        return;
      }
      s->expired = true;
      s->cancel();
    });
  }

  std::shared_ptr<state> state_;
};

// Reads some bytes; on the deadline, cancels the read and reports a timeout.
template <class Stream>
net::asio::awaitable<std::size_t> read_some(Stream& stream, stream_deadline& deadline,
                                            stream_deadline::clock::time_point due, net::asio::mutable_buffer buffer,
                                            boost::system::error_code& ec, bool& timed_out) {
  deadline.begin(due);
  const std::size_t n =
      co_await stream.async_read_some(buffer, net::asio::redirect_error(net::asio::use_awaitable, ec));
  // Bytes that arrived as the deadline passed are not a timeout: keep them.
  timed_out = deadline.end() && n == 0;
  co_return n;
}

// Writes all of `bytes`; on the deadline, cancels the write (part of it may
// have gone) and reports a timeout.
template <class Stream>
net::asio::awaitable<void> write_all(Stream& stream, stream_deadline& deadline, std::chrono::milliseconds limit,
                                     net::asio::const_buffer bytes, boost::system::error_code& ec, bool& timed_out) {
  deadline.begin(stream_deadline::clock::now() + limit);
  co_await net::asio::async_write(stream, bytes, net::asio::redirect_error(net::asio::use_awaitable, ec));
  // A write that completed as the deadline passed is not a timeout.
  timed_out = deadline.end() && ec;
}

}  // namespace radbridge::ingest
