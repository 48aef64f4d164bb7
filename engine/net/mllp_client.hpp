// An MLLP client: one connection, over plain TCP or TLS, that sends a frame
// and waits for the frame that answers it (MLLP is synchronous: one message,
// one ACK). Used by `radbridge replay` and meant for the delivery stage.
//
// Boost.Asio C++20 coroutines, like the rest of the network code. Every
// operation has a deadline: connect (resolve, TCP connect, TLS handshake),
// exchange (send plus the wait for a complete answer frame) and shutdown. A
// deadline is a timer that cancels the socket; Boost 1.74 has neither
// awaitable operators nor cancellation slots.
//
// Errors are thrown as mllp_error with an mllp_errc, and the connection is
// closed first whenever its state is no longer known (every error except
// not_connected), so the caller reconnects before the next exchange. What
// the errors mean for a message that was being sent:
//   connect_failed, tls_handshake_failed: nothing was sent;
//   closed_by_peer, io_error: the message may or may not have arrived: resend
//     it (receivers dedupe on MSH-10; radbridge's ingest does);
//   timeout, framing_error: the peer is alive but gave no usable answer.
// Frames are read with mllp::framer (garbage between frames is skipped,
// framing errors are reported) and written with mllp::wrap. Frames the peer
// sends without being asked are queued and returned by the next exchange, in
// order; matching ACKs to messages (MSA-2) is the caller's business.
//
// Not thread-safe: one coroutine at a time per client, on one executor. The
// client must outlive the coroutines using it; the TLS context given to
// connect must outlive the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mllp/framer.hpp"
#include "net/asio.hpp"

namespace radbridge::net {

enum class mllp_errc {
  not_connected,         // exchange without a connection
  connect_failed,        // resolve or TCP connect failed or timed out
  tls_handshake_failed,  // the TLS handshake failed or timed out
  timeout,               // no complete answer frame before the deadline
  closed_by_peer,        // end of stream, reset or broken pipe
  framing_error,         // the framer reported an error in the answer
  io_error,              // any other socket error
};

// Stable snake_case names ("closed_by_peer") for logs and metrics.
std::string_view to_string(mllp_errc code) noexcept;

class mllp_error : public std::runtime_error {
 public:
  mllp_error(mllp_errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  mllp_errc code() const noexcept { return code_; }
  // True when a new connection (and a resend) is the answer: the peer went
  // away or could not be reached.
  bool connection_lost() const noexcept {
    return code_ == mllp_errc::connect_failed || code_ == mllp_errc::tls_handshake_failed ||
           code_ == mllp_errc::closed_by_peer || code_ == mllp_errc::io_error || code_ == mllp_errc::not_connected;
  }

 private:
  mllp_errc code_;
};

class mllp_client {
 public:
  explicit mllp_client(asio::any_io_executor executor, mllp::framer_options framing = {});
  ~mllp_client();
  mllp_client(const mllp_client&) = delete;
  mllp_client& operator=(const mllp_client&) = delete;

  // Connects (closing any previous connection). With `tls`, performs the
  // client handshake; SNI is set to `host` unless it is an IP address. The
  // error messages name host and port: "MLLP: cannot connect to
  // 127.0.0.1:2575: Connection refused".
  asio::awaitable<void> connect(std::string host, std::uint16_t port, asio::ssl::context* tls = nullptr,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Sends `payload` as one frame and returns the next complete frame's
  // payload. `timeout` covers the send and the wait. Exact error texts:
  // "MLLP: no ACK within N ms", "MLLP: connection closed by peer",
  // "MLLP: connection reset by peer", "MLLP: framing error in ACK: CODE".
  // `payload` must stay valid until the returned awaitable completes.
  asio::awaitable<std::string> exchange(std::string_view payload, std::chrono::milliseconds timeout);

  // Ends the connection politely (TLS close_notify, bounded by `timeout`) and
  // closes it; never throws.
  asio::awaitable<void> shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(1));

  // Closes at once, dropping any partial answer; never throws.
  void close() noexcept;
  bool is_open() const noexcept;

  // "host:port" of the current or last connection.
  const std::string& peer() const noexcept { return peer_; }

 private:
  void cancel_io() noexcept;
  asio::awaitable<std::size_t> read_some(boost::system::error_code& ec);
  asio::awaitable<void> write_all(std::string_view bytes, boost::system::error_code& ec);
  [[noreturn]] void fail(mllp_errc code, const std::string& what);

  asio::any_io_executor executor_;
  mllp::framer_options framing_;
  mllp::framer framer_;
  asio::steady_timer timer_;
  tcp::socket socket_;                                   // plain TCP
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls_;  // or TLS
  std::vector<char> buffer_;
  std::string peer_;
};

}  // namespace radbridge::net
