// The MLLP listener of one inbound interface: TCP or TLS, one coroutine per
// connection, store-then-ACK.
//
// Each connection has its own framer, and every read and write a deadline:
// a connection is closed when no frame has completed for the idle timeout
// since it opened or since its last frame (stray bytes outside frames do not
// count), when a frame is not complete within the partial-frame timeout of
// its first byte (which also bounds the TLS handshake), and when an ACK has
// not been written within the write timeout (a peer that stops reading).
// Frames are handled in order per connection (MLLP is synchronous):
// frame_handler decides, group_committer stores, and only then is the ACK
// written. When the database is unreachable the connection is closed without
// an ACK (or, per interface, answered AR with ERR-3 207); an in-doubt commit
// also closes without an ACK, and the sender's resend is resolved by the
// dedupe key. A frame over the size limit closes the connection; bytes
// outside frames are discarded and counted. Connections over max_connections,
// or over max_connections_per_peer from one remote address, are closed at
// once. Accept errors (out of file descriptors) are retried after a backoff
// (deadline.hpp). `stop` stops accepting, closes idle connections, lets busy
// ones finish the frame in hand and cancels those still busy after the drain
// timeout. A TLS close waits for the peer's close_notify at most the
// partial-frame timeout. With TLS, the interface's client allow-list and
// MSH-3/MSH-4 bindings apply (client_policy.hpp), and every refused
// handshake, certificate or sender is a `security_event` log line. The
// listener runs on one io_context thread; all
// blocking work is on the committer's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "ingest/frame_handler.hpp"
#include "ingest/group_committer.hpp"
#include "net/asio.hpp"

namespace radbridge::ingest {

struct listener_stats {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> refused_connections{0};  // over max_connections
  std::atomic<std::uint64_t> refused_per_peer{0};     // over max_connections_per_peer
  std::atomic<std::uint64_t> accept_errors{0};        // each followed by a backoff
  std::atomic<std::uint64_t> frames{0};
  std::atomic<std::uint64_t> stored{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};       // answered with an error or reject ACK
  std::atomic<std::uint64_t> unacknowledged{0}; // database down or in doubt: no ACK sent
  std::atomic<std::uint64_t> discarded_bytes{0};
  std::atomic<std::uint64_t> timeouts{0};        // idle or partial frame
  std::atomic<std::uint64_t> write_timeouts{0};  // an ACK not taken within write_timeout
  std::atomic<std::uint64_t> cancelled_at_stop{0};  // still busy when the drain timeout passed
  std::atomic<std::uint64_t> oversize_frames{0};
  std::atomic<std::uint64_t> tls_failures{0};
  std::atomic<std::int64_t> open_connections{0};
  // Frames by MSH-9 (type^event, letters, digits and '_' only, "invalid"
  // otherwise) and the ACK code sent ("none": no ACK).
  metrics::labelled<metrics::counter> messages;
  // From a frame's last byte read to its ACK written (frames answered with one).
  metrics::histogram ack_seconds{metrics::latency_bounds()};
};

class listener {
 public:
  // Binds and listens at once (so the port is known); `tls` may be null.
  listener(net::asio::io_context& io, config::interface_settings iface, group_committer& committer,
           std::string application_name, net::asio::ssl::context* tls);

  net::tcp::endpoint local_endpoint() const;
  const std::string& name() const noexcept { return iface_.name; }
  void start();
  // Stops accepting and closes idle connections at once; a connection in the
  // middle of a frame may finish it (and get its ACK) for `drain_timeout`,
  // then it is cancelled too.
  void stop(std::chrono::milliseconds drain_timeout);
  std::size_t active_connections() const noexcept { return sessions_.size(); }
  const listener_stats& stats() const noexcept { return stats_; }

 private:
  struct session;

  net::asio::awaitable<void> accept_loop();
  template <class Stream>
  net::asio::awaitable<void> serve(Stream& stream, std::shared_ptr<session> s);
  // The reply to one frame (empty: none), after storing it when it is to be
  // stored; sets session::close_without_ack when no ACK may be sent, and
  // `type_label` to the frame's MSH-9 for the metrics (decision::type).
  net::asio::awaitable<std::string> handle_frame(std::string payload, session& s, std::string& type_label);
  net::asio::awaitable<void> run_session(net::tcp::socket socket, std::shared_ptr<session> s);
  bool admit(net::tcp::socket& socket, session& s);  // the connection caps
  void cancel_busy();  // the drain timeout has passed

  net::asio::io_context& io_;
  const config::interface_settings iface_;
  group_committer& committer_;
  const std::string application_name_;
  net::asio::ssl::context* tls_;
  net::tcp::acceptor acceptor_;
  clock_stamp stamp_;
  listener_stats stats_;
  std::list<std::shared_ptr<session>> sessions_;
  std::map<std::string, std::size_t> per_peer_;  // open connections by remote address
  net::asio::steady_timer accept_retry_;
  net::asio::steady_timer drain_;
  bool stopping_ = false;
};

}  // namespace radbridge::ingest
