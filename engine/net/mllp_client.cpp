#include "net/mllp_client.hpp"

#include <openssl/ssl.h>

#include <functional>
#include <span>
#include <utility>

#include <fmt/format.h>

namespace radbridge::net {

namespace {

using boost::system::error_code;

constexpr std::size_t read_chunk = 64 * 1024;

// A deadline for one operation: when the timer fires first, `on_fire` runs
// (it cancels the I/O, which then completes with operation_aborted) and
// fired() becomes true. Destroying the deadline disarms it, so a timer that
// expired just as the operation finished cannot cancel the next operation.
class deadline {
 public:
  deadline(asio::steady_timer& timer, std::chrono::milliseconds timeout, std::function<void()> on_fire)
      : timer_(timer), state_(std::make_shared<state>()) {
    timer_.expires_after(timeout);
    timer_.async_wait([st = state_, fire = std::move(on_fire)](const error_code& ec) {
      if (ec || !st->armed) return;
      st->fired = true;
      fire();
    });
  }
  ~deadline() {
    state_->armed = false;
    timer_.cancel();
  }
  deadline(const deadline&) = delete;
  deadline& operator=(const deadline&) = delete;

  bool fired() const noexcept { return state_->fired; }

 private:
  struct state {
    bool armed = true;
    bool fired = false;
  };
  asio::steady_timer& timer_;
  std::shared_ptr<state> state_;
};

bool peer_closed(const error_code& ec) { return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated; }

}  // namespace

std::string_view to_string(mllp_errc code) noexcept {
  switch (code) {
    case mllp_errc::not_connected:
      return "not_connected";
    case mllp_errc::connect_failed:
      return "connect_failed";
    case mllp_errc::tls_handshake_failed:
      return "tls_handshake_failed";
    case mllp_errc::timeout:
      return "timeout";
    case mllp_errc::closed_by_peer:
      return "closed_by_peer";
    case mllp_errc::framing_error:
      return "framing_error";
    case mllp_errc::io_error:
      return "io_error";
  }
  return "unknown";
}

mllp_client::mllp_client(asio::any_io_executor executor, mllp::framer_options framing)
    : executor_(executor),
      framing_(framing),
      framer_(framing),
      timer_(executor),
      socket_(executor),
      buffer_(read_chunk) {}

mllp_client::~mllp_client() { close(); }

bool mllp_client::is_open() const noexcept { return tls_ ? tls_->lowest_layer().is_open() : socket_.is_open(); }

void mllp_client::cancel_io() noexcept {
  error_code ignored;
  if (tls_) {
    tls_->lowest_layer().cancel(ignored);
  } else {
    socket_.cancel(ignored);
  }
}

void mllp_client::close() noexcept {
  error_code ignored;
  if (tls_) {
    tls_->lowest_layer().close(ignored);
    tls_.reset();
  }
  socket_.close(ignored);
  framer_ = mllp::framer(framing_);
}

void mllp_client::fail(mllp_errc code, const std::string& what) {
  close();
  throw mllp_error(code, what);
}

asio::awaitable<void> mllp_client::connect(std::string host, std::uint16_t port, asio::ssl::context* tls,
                                           std::chrono::milliseconds timeout) {
  close();
  peer_ = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
  if (tls != nullptr) tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(executor_, *tls);
  tcp::socket& socket = tls_ ? tls_->next_layer() : socket_;
  const std::string timed_out = fmt::format("timed out after {} ms", timeout.count());

  tcp::resolver resolver(executor_);
  deadline d(timer_, timeout, [&resolver, this] {
    resolver.cancel();
    cancel_io();
  });
  error_code ec;
  const auto endpoints =
      co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
  if (d.fired()) fail(mllp_errc::connect_failed, fmt::format("MLLP: cannot connect to {}: {}", peer_, timed_out));
  if (ec) fail(mllp_errc::connect_failed, fmt::format("MLLP: cannot resolve {}: {}", host, ec.message()));

  co_await asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (d.fired()) fail(mllp_errc::connect_failed, fmt::format("MLLP: cannot connect to {}: {}", peer_, timed_out));
  if (ec) fail(mllp_errc::connect_failed, fmt::format("MLLP: cannot connect to {}: {}", peer_, ec.message()));
  socket.set_option(tcp::no_delay(true), ec);  // one small frame at a time: no Nagle delay

  if (!tls_) co_return;
  error_code not_ip;
  (void)asio::ip::make_address(host, not_ip);
  if (not_ip) SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
  co_await tls_->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
  if (d.fired() || ec) {
    fail(mllp_errc::tls_handshake_failed,
         fmt::format("MLLP: TLS handshake with {} failed: {}", peer_, d.fired() ? timed_out : ec.message()));
  }
}

asio::awaitable<std::size_t> mllp_client::read_some(error_code& ec) {
  if (tls_) {
    co_return co_await tls_->async_read_some(asio::buffer(buffer_), asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return co_await socket_.async_read_some(asio::buffer(buffer_), asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> mllp_client::write_all(std::string_view bytes, error_code& ec) {
  if (tls_) {
    co_await asio::async_write(*tls_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(socket_, asio::buffer(bytes), asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<std::string> mllp_client::exchange(std::string_view payload, std::chrono::milliseconds timeout) {
  if (!is_open()) throw mllp_error(mllp_errc::not_connected, "MLLP: not connected");
  auto no_ack = [timeout] { return fmt::format("MLLP: no ACK within {} ms", timeout.count()); };
  deadline d(timer_, timeout, [this] { cancel_io(); });

  const std::string frame = mllp::wrap(payload);
  error_code ec;
  co_await write_all(frame, ec);
  if (d.fired()) fail(mllp_errc::timeout, no_ack());
  if (ec) {
    if (peer_closed(ec) || ec == asio::error::broken_pipe) {
      fail(mllp_errc::closed_by_peer, "MLLP: connection closed by peer");
    }
    if (ec == asio::error::connection_reset) fail(mllp_errc::closed_by_peer, "MLLP: connection reset by peer");
    fail(mllp_errc::io_error, fmt::format("MLLP: send failed: {}", ec.message()));
  }

  for (;;) {
    if (auto event = framer_.next()) {
      if (event->is_frame()) co_return std::move(*event).payload();
      fail(mllp_errc::framing_error, fmt::format("MLLP: framing error in ACK: {}", mllp::to_string(event->error())));
    }
    const std::size_t n = co_await read_some(ec);
    if (d.fired()) fail(mllp_errc::timeout, no_ack());
    if (n > 0) framer_.feed(std::span<const char>(buffer_.data(), n));
    if (ec) {
      // Bytes that came with the error still count: an ACK followed by a close is an ACK.
      if (auto event = framer_.next()) {
        if (event->is_frame()) {
          std::string ack = std::move(*event).payload();
          close();
          co_return ack;
        }
      }
      if (peer_closed(ec)) fail(mllp_errc::closed_by_peer, "MLLP: connection closed by peer");
      if (ec == asio::error::connection_reset) fail(mllp_errc::closed_by_peer, "MLLP: connection reset by peer");
      fail(mllp_errc::io_error, fmt::format("MLLP: receive failed: {}", ec.message()));
    }
  }
}

asio::awaitable<void> mllp_client::shutdown(std::chrono::milliseconds timeout) {
  if (tls_ && is_open()) {
    deadline d(timer_, timeout, [this] { cancel_io(); });
    error_code ignored;
    co_await tls_->async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
  } else if (socket_.is_open()) {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }
  close();
}

}  // namespace radbridge::net
