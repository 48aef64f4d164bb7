// A tiny MLLP server for tests, on 127.0.0.1 (port 0 = any free port), with
// its own io_context on its own thread, plain TCP or TLS.
//
// For every complete frame it receives it asks a responder (called on the
// server thread) what to do: write some raw bytes (each write a separate
// send, 20 ms apart, so a test can split an ACK frame), optionally close the
// connection afterwards, or stay silent. It counts connections, frames and
// TLS handshake failures, and remembers the last TLS version, client
// certificate subject and handshake error, so TLS tests can look at the
// server's side. run_sync() drives one client coroutine to completion on a
// test's own io_context. stop() (or destruction) closes the listening socket and
// every connection: clients see the connection closed and new connections
// refused, as when a server process dies.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "hl7/ack.hpp"
#include "hl7/peek.hpp"
#include "mllp/framer.hpp"
#include "net/asio.hpp"

namespace radbridge::test {

struct mllp_reply {
  std::vector<std::string> writes;  // raw bytes, one send each
  bool close = false;               // close the connection after the writes

  static mllp_reply frame(std::string_view payload) { return {{mllp::wrap(payload)}, false}; }
  static mllp_reply silence() { return {}; }
  static mllp_reply hang_up() { return {{}, true}; }
};

using mllp_responder = std::function<mllp_reply(const std::string& frame)>;

// The ACK for `frame` (original mode unless the frame asks for enhanced),
// built by the codec under test elsewhere; MSA-2 echoes MSH-10.
inline std::string ack_for(std::string_view frame, hl7::ack_code code = hl7::ack_code::accept) {
  const hl7::msh_peek original = hl7::peek_msh(frame);
  hl7::ack_request request;
  request.code = code;
  request.control_id = "ACK" + std::string(original.control_id());
  request.timestamp = "20260101000000";
  if (code != hl7::ack_code::accept) {
    hl7::ack_error e;
    e.code = hl7::err::internal_error;
    e.text = "test server says no";
    request.errors.push_back(e);
  }
  return hl7::build_ack(original, request).value_or(std::string{});
}

inline mllp_reply answer_aa(const std::string& frame) { return mllp_reply::frame(ack_for(frame)); }

// Runs one client operation to completion on `io`, rethrowing its exception.
template <class T>
T run_sync(net::asio::io_context& io, net::asio::awaitable<T> operation) {
  std::optional<T> result;
  std::exception_ptr failure;
  net::asio::co_spawn(io, std::move(operation), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result = std::move(value);
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

inline void run_sync(net::asio::io_context& io, net::asio::awaitable<void> operation) {
  std::exception_ptr failure;
  net::asio::co_spawn(io, std::move(operation), [&](std::exception_ptr e) { failure = e; });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
}

class mllp_test_server {
 public:
  explicit mllp_test_server(mllp_responder responder, net::asio::ssl::context* tls = nullptr, std::uint16_t port = 0)
      : responder_(std::move(responder)),
        tls_(tls),
        acceptor_(io_, net::tcp::endpoint(net::asio::ip::make_address("127.0.0.1"), port)) {
    port_ = acceptor_.local_endpoint().port();
    net::asio::co_spawn(io_, accept_loop(), net::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~mllp_test_server() { stop(); }
  mllp_test_server(const mllp_test_server&) = delete;
  mllp_test_server& operator=(const mllp_test_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::size_t connections() const noexcept { return connections_; }
  std::size_t frames() const noexcept { return frames_; }
  std::size_t handshake_failures() const noexcept { return handshake_failures_; }
  std::string last_handshake_error() const { return locked(last_handshake_error_); }
  std::string last_tls_version() const { return locked(last_tls_version_); }
  std::string last_client_subject() const { return locked(last_client_subject_); }
  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // Waits (up to `limit`) until `done()` holds; for counters updated by the server thread.
  template <class Predicate>
  static bool eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Closes the listening socket and every connection, then joins the thread; idempotent.
  void stop() {
    if (!thread_.joinable()) return;
    net::asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      for (net::tcp::socket* s : open_) s->close(ignored);
    });
    thread_.join();
  }

 private:
  std::string locked(const std::string& s) const {
    std::lock_guard lock(mutex_);
    return s;
  }

  net::asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      net::tcp::socket socket =
          co_await acceptor_.async_accept(net::asio::redirect_error(net::asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections_;
      socket.set_option(net::tcp::no_delay(true), ec);
      net::asio::co_spawn(io_, session(std::move(socket)), net::asio::detached);
    }
  }

  // Keeps a session's socket in open_ while the session runs (server thread only).
  struct registration {
    std::set<net::tcp::socket*>& open;
    net::tcp::socket* socket;
    registration(std::set<net::tcp::socket*>& o, net::tcp::socket& s) : open(o), socket(&s) { open.insert(socket); }
    ~registration() { open.erase(socket); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
  };

  net::asio::awaitable<void> session(net::tcp::socket socket) {
    if (tls_ == nullptr) {
      registration r(open_, socket);
      co_await serve(socket);
      co_return;
    }
    net::asio::ssl::stream<net::tcp::socket> stream(std::move(socket), *tls_);
    registration r(open_, stream.next_layer());
    boost::system::error_code ec;
    co_await stream.async_handshake(net::asio::ssl::stream_base::server,
                                    net::asio::redirect_error(net::asio::use_awaitable, ec));
    if (ec) {
      std::lock_guard lock(mutex_);
      last_handshake_error_ = ec.message();
      ++handshake_failures_;
      co_return;
    }
    {
      std::lock_guard lock(mutex_);
      last_tls_version_ = SSL_get_version(stream.native_handle());
      last_client_subject_.clear();
      if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
        std::array<char, 256> name{};
        X509_NAME_oneline(X509_get_subject_name(peer), name.data(), static_cast<int>(name.size()));
        last_client_subject_ = name.data();
        X509_free(peer);
      }
    }
    co_await serve(stream);
  }

  template <class Stream>
  net::asio::awaitable<void> serve(Stream& stream) {
    mllp::framer framer;
    std::array<char, 4096> buffer{};
    net::asio::steady_timer pause(io_);
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = co_await stream.async_read_some(net::asio::buffer(buffer),
                                                            net::asio::redirect_error(net::asio::use_awaitable, ec));
      if (ec) co_return;
      framer.feed(std::span<const char>(buffer.data(), n));
      while (auto event = framer.next()) {
        if (!event->is_frame()) continue;
        {
          std::lock_guard lock(mutex_);
          received_.push_back(event->payload());
        }
        ++frames_;
        const mllp_reply reply = responder_(event->payload());
        for (std::size_t i = 0; i < reply.writes.size(); ++i) {
          if (i > 0) {
            pause.expires_after(std::chrono::milliseconds(20));
            co_await pause.async_wait(net::asio::redirect_error(net::asio::use_awaitable, ec));
          }
          co_await net::asio::async_write(stream, net::asio::buffer(reply.writes[i]),
                                          net::asio::redirect_error(net::asio::use_awaitable, ec));
          if (ec) co_return;
        }
        if (reply.close) co_return;
      }
    }
  }

  mllp_responder responder_;
  net::asio::ssl::context* tls_;
  net::asio::io_context io_;
  net::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::set<net::tcp::socket*> open_;
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
  std::string last_handshake_error_, last_tls_version_, last_client_subject_;
  std::atomic<std::size_t> connections_{0}, frames_{0}, handshake_failures_{0};
};

}  // namespace radbridge::test
