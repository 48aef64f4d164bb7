// Helpers for the listener's integration tests: a listener running on its own
// io_context thread against a real group_committer, and a blocking MLLP test
// client (plain TCP or TLS) whose every read has a deadline.
//
// The client is deliberately independent of the engine's own network code
// (net/mllp_client): it only uses Boost.Asio and the MLLP framer, so a bug in
// the engine's client cannot hide the same bug in the listener. Each client has
// a private io_context that only runs inside its own calls, on the test thread.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>

#include "core/config.hpp"
#include "hl7/message.hpp"
#include "ingest/group_committer.hpp"
#include "ingest/listener.hpp"
#include "mllp/framer.hpp"
#include "net/asio.hpp"

namespace radbridge::test {

namespace asio = net::asio;
using net::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

// Polls `done` every 10 ms until it holds or `limit` has passed.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Polls `counter` until it reads `want` or `limit` has passed, and returns
// what it read last: `CHECK(reaches(stats.timeouts, 1) == 1)` shows the count.
template <class T>
T reaches(const std::atomic<T>& counter, std::type_identity_t<T> want, std::chrono::milliseconds limit = 15s) {
  T seen = counter.load();
  eventually([&] { return (seen = counter.load()) == want; }, limit);
  return seen;
}

// A value of an HL7 message at a path ("MSA-2", "ERR-3.1"), or a marker that
// says why there is none, so a failed CHECK shows something readable.
inline std::string hl7_value(const std::string& text, std::string_view path) {
  auto parsed = hl7::message::parse(std::string_view(text));
  if (!parsed) return "<unparsable: " + parsed.error().to_string() + ">";
  auto v = parsed->value(path);
  if (!v) return "<no value: " + v.error().to_string() + ">";
  return *v;
}

inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

// An inbound interface for tests: loopback, an ephemeral port.
inline config::interface_settings test_interface(std::string name) {
  config::interface_settings i;
  i.name = std::move(name);
  i.host = "127.0.0.1";
  i.port = 0;
  i.message_types = {"ORM^O01", "ADT^*"};
  return i;
}

// One committer, one io_context thread and any number of listeners on it.
// Destruction order: the io thread is stopped and joined first, then the
// listeners go, then the committer (after every listener that submits to
// it), then the io_context they were all built on.
class listener_fixture {
 public:
  explicit listener_fixture(const std::string& conninfo, std::size_t max_group = 64)
      : committer_(io_, conninfo, max_group) {}
  ~listener_fixture() {
    request_stop();
    join();
  }
  listener_fixture(const listener_fixture&) = delete;
  listener_fixture& operator=(const listener_fixture&) = delete;

  // Before run(): binds at once, so endpoint() is known.
  ingest::listener& add(config::interface_settings iface, asio::ssl::context* tls = nullptr) {
    return listeners_.emplace_back(io_, std::move(iface), committer_, "RADBRIDGE", tls);
  }

  void run() {
    for (ingest::listener& l : listeners_) l.start();
    thread_ = std::thread([this] {
      try {
        io_.run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "listener_fixture: io_context::run threw: %s\n", e.what());
        failed_ = true;
      }
      finished_ = true;
    });
  }

  // What SIGTERM does in `serve`: stop() on the listeners' own thread, with
  // serve's default drain timeout unless told otherwise.
  void request_stop(std::chrono::milliseconds drain_timeout = config::engine_settings{}.drain_timeout) {
    if (!thread_.joinable() || stop_requested_) return;
    stop_requested_ = true;
    asio::post(io_, [this, drain_timeout] {
      for (ingest::listener& l : listeners_) l.stop(drain_timeout);
    });
  }

  // Whether the io thread ran out of work (every session ended) within `limit`.
  bool finished_within(std::chrono::milliseconds limit) {
    return eventually([this] { return finished_.load(); }, limit);
  }

  void join() {
    if (thread_.joinable()) thread_.join();
  }

  bool io_failed() const noexcept { return failed_; }
  ingest::group_committer& committer() noexcept { return committer_; }

 private:
  asio::io_context io_;                // first: outlives the committer
  ingest::group_committer committer_;  // outlives every listener
  std::list<ingest::listener> listeners_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> failed_{false};
  bool stop_requested_ = false;
};

// A blocking MLLP client with deadlines, over TCP or TLS.
class mllp_test_client {
 public:
  enum class outcome { frame, closed, timeout };
  struct reply {
    outcome what = outcome::timeout;
    std::string payload;  // outcome::frame
    error_code ec;        // outcome::closed: eof, reset, truncated...
  };

  mllp_test_client() = default;
  mllp_test_client(const mllp_test_client&) = delete;
  mllp_test_client& operator=(const mllp_test_client&) = delete;

  // Opens the socket without connecting: to bind it to another local
  // address (127.0.0.2 reaches a listener on 127.0.0.1 as another peer), to
  // shrink its receive buffer (a peer whose window fills at once), or to
  // hold its descriptor before the process runs out of them.
  error_code open(const std::string& from_address = {}, int receive_buffer = 0) {
    error_code ec;
    socket().open(tcp::v4(), ec);
    if (!ec && receive_buffer > 0) socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer), ec);
    if (!ec && !from_address.empty()) socket().bind(tcp::endpoint(asio::ip::make_address(from_address), 0), ec);
    return ec;
  }

  // Connects (the socket opened by open(), if it was called).
  error_code connect(const tcp::endpoint& to) {
    error_code ec;
    socket().connect(to, ec);
    if (!ec) socket().set_option(tcp::no_delay(true), ec);
    return ec;
  }

  // TCP connect, then the client side of the TLS handshake within `limit`.
  error_code connect_tls(const tcp::endpoint& to, asio::ssl::context& ctx, std::chrono::milliseconds limit = 15s) {
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(io_, ctx);
    if (error_code ec = connect(to)) return ec;
    bool done = false;
    error_code result;
    tls_->async_handshake(asio::ssl::stream_base::client, [&](error_code ec) {
      result = ec;
      done = true;
    });
    if (!run_until_done(done, limit)) return asio::error::timed_out;
    return result;
  }

  // The negotiated protocol (TLS1_2_VERSION, TLS1_3_VERSION), 0 without TLS.
  int tls_version() const { return tls_ ? SSL_version(tls_->native_handle()) : 0; }

  error_code send(std::string_view bytes) {
    error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(bytes.data(), bytes.size()), ec);
    } else {
      asio::write(socket(), asio::buffer(bytes.data(), bytes.size()), ec);
    }
    return ec;
  }
  error_code send_frame(std::string_view payload) { return send(mllp::wrap(payload)); }

  // The next complete frame, or why there is none: the server closed the
  // connection (or reset it), or nothing complete came within `limit`.
  reply read_frame(std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      while (auto event = framer_.next()) {
        if (event->is_frame()) return {outcome::frame, std::move(*event).payload(), {}};
      }
      if (closed_) return {outcome::closed, {}, close_reason_};
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return {outcome::timeout, {}, {}};
      bool done = false;
      error_code ec;
      std::size_t n = 0;
      auto on_read = [&](error_code e, std::size_t k) {
        ec = e;
        n = k;
        done = true;
      };
      if (tls_) {
        tls_->async_read_some(asio::buffer(buffer_), on_read);
      } else {
        socket().async_read_some(asio::buffer(buffer_), on_read);
      }
      const bool in_time = run_until_done(done, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      if (n > 0) framer_.feed(std::span<const char>(buffer_.data(), n));
      if (!in_time) {
        while (auto event = framer_.next()) {
          if (event->is_frame()) return {outcome::frame, std::move(*event).payload(), {}};
        }
        return {outcome::timeout, {}, {}};
      }
      if (ec) {
        closed_ = true;
        close_reason_ = ec;
      }
    }
  }

  // Sends one frame and waits for the answer.
  reply exchange(std::string_view payload, std::chrono::milliseconds limit = 15s) {
    if (error_code ec = send_frame(payload)) return {outcome::closed, {}, ec};
    return read_frame(limit);
  }

  void close() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : plain_; }

  // Runs this client's io_context until `done` or the deadline; on the
  // deadline cancels the socket and waits for the cancelled operation.
  bool run_until_done(const bool& done, std::chrono::milliseconds limit) {
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done) {
      if (io_.run_one_until(deadline) == 0) break;
    }
    if (done) return true;
    error_code ignored;
    socket().cancel(ignored);
    io_.restart();
    while (!done) io_.run_one();
    return false;
  }

  asio::io_context io_;
  tcp::socket plain_{io_};
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;
  mllp::framer framer_;
  std::array<char, 16 * 1024> buffer_{};
  bool closed_ = false;
  error_code close_reason_;
};

inline std::string_view to_string(mllp_test_client::outcome o) {
  switch (o) {
    case mllp_test_client::outcome::frame: return "frame";
    case mllp_test_client::outcome::closed: return "closed";
    case mllp_test_client::outcome::timeout: return "timeout";
  }
  return "?";
}

}  // namespace radbridge::test
