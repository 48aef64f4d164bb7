#include "ingest/listener.hpp"

#include <array>
#include <functional>
#include <optional>

#include "core/log.hpp"
#include "ingest/deadline.hpp"
#include "mllp/framer.hpp"
#include "net/accept_backoff.hpp"

namespace radbridge::ingest {

namespace asio = net::asio;
using net::tcp;
using error_code = boost::system::error_code;

struct listener::session {
  std::uint64_t id = 0;
  std::string address;               // the remote address, for max_connections_per_peer
  std::string peer;                  // address:port, for logs
  bool busy = false;                 // a frame is being handled
  bool in_frame = false;             // a partial frame is buffered
  bool cancelled = false;            // by stop: end without another read or write
  bool abandoned = false;            // an ACK write timed out: no TLS close either
  bool close_without_ack = false;    // the database is down or the commit in doubt
  std::function<void()> cancel;      // aborts the pending read or write
  std::optional<client_grant> client;  // TLS: what its certificate may send as
};

namespace {

std::atomic<std::uint64_t> next_session_id{1};

// Hands the row to the committer and resumes with the verdict: at once when
// the completion runs on our executor (the committer runs on the listeners'
// io_context), else through a post.
asio::awaitable<commit_result> commit(group_committer& committer, std::uint64_t sender, store::inbound_message row) {
  auto initiate = [&committer, sender, &row](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    auto executor = asio::get_associated_executor(*shared);
    committer.submit(sender, std::move(row), [shared, executor](commit_result r) {
      asio::dispatch(executor, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(commit_result)>(initiate,
                                                                                             asio::use_awaitable);
}

}  // namespace

listener::listener(asio::io_context& io, config::interface_settings iface, group_committer& committer,
                   std::string application_name, asio::ssl::context* tls)
    : io_(io),
      iface_(std::move(iface)),
      committer_(committer),
      application_name_(std::move(application_name)),
      tls_(tls),
      acceptor_(io, tcp::endpoint(asio::ip::make_address(iface_.host), iface_.port)),
      accept_retry_(io),
      drain_(io) {}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::start() {
  log::info("listening", {{"interface", iface_.name},
                          {"address", local_endpoint().address().to_string()},
                          {"port", local_endpoint().port()},
                          {"tls", tls_ != nullptr ? "on" : "off"}});
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void listener::stop(std::chrono::milliseconds drain_timeout) {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  bool busy = false;
  for (const auto& s : sessions_) {
    if (!s->busy && !s->in_frame && s->cancel) {
      s->cancel();
    } else {
      busy = true;
    }
  }
  if (!busy) return;
  // Cancelled when the last session ends, so it never holds the io_context up.
  drain_.expires_after(drain_timeout);
  drain_.async_wait([this](error_code ec) {
    if (!ec) cancel_busy();
  });
}

void listener::cancel_busy() {
  for (const auto& s : sessions_) {
    if (s->cancelled) continue;
    s->cancelled = true;
    ++stats_.cancelled_at_stop;
    log::warn("connection_cancelled", {{"interface", iface_.name}, {"connection", s->id}, {"reason", "drain_timeout"},
                                       {"partial_frame", s->in_frame ? "yes" : "no"}});
    if (s->cancel) s->cancel();
  }
}

asio::awaitable<void> listener::accept_loop() {
  std::chrono::milliseconds backoff{0};
  while (!stopping_) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors (EMFILE, ENFILE) or memory: the pending
      // connection stays queued, so retrying at once would spin. Wait.
      ++stats_.accept_errors;
      backoff = net::next_accept_backoff(backoff);
      log::warn("accept_failed", {{"interface", iface_.name}, {"error", ec.message()}, {"retry_ms", backoff.count()}});
      accept_retry_.expires_after(backoff);
      co_await accept_retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    backoff = std::chrono::milliseconds{0};
    auto s = std::make_shared<session>();
    if (!admit(socket, *s)) continue;
    s->id = next_session_id++;
    sessions_.push_back(s);
    ++stats_.connections;
    ++stats_.open_connections;
    asio::co_spawn(io_, run_session(std::move(socket), s), asio::detached);
  }
}

bool listener::admit(tcp::socket& socket, session& s) {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  s.address = ec ? "unknown" : remote.address().to_string();
  s.peer = ec ? "unknown" : s.address + ":" + std::to_string(remote.port());
  const char* refused = nullptr;
  if (sessions_.size() >= iface_.max_connections) {
    ++stats_.refused_connections;
    refused = "max_connections";
  } else if (per_peer_[s.address] >= iface_.max_connections_per_peer) {
    ++stats_.refused_per_peer;
    refused = "max_connections_per_peer";
  }
  if (refused == nullptr) {
    ++per_peer_[s.address];
    return true;
  }
  if (per_peer_[s.address] == 0) per_peer_.erase(s.address);
  log::warn("connection_refused", {{"interface", iface_.name}, {"reason", refused}, {"peer", s.address}});
  socket.close(ec);
  return false;
}

asio::awaitable<void> listener::run_session(tcp::socket socket, std::shared_ptr<session> s) {
  log::info("connection_opened", {{"interface", iface_.name}, {"connection", s->id}, {"peer", s->peer}});
  try {
    if (tls_ == nullptr) {
      co_await serve(socket, s);
    } else {
      asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
      stream_deadline deadline(io_, stream);
      deadline.begin(stream_deadline::clock::now() + iface_.partial_frame_timeout);
      s->cancel = [&stream] {
        error_code ignored;
        stream.lowest_layer().cancel(ignored);
      };
      error_code ec;
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      deadline.end();
      if (ec) {
        ++stats_.tls_failures;
        log::warn("tls_handshake_failed", {{"interface", iface_.name}, {"connection", s->id}, {"error", ec.message()}});
        if (const auto r = net::refusal_of(stream.native_handle(), ec)) {
          log_security_event({r->kind, iface_.name, s->id, s->peer, r->subject, r->detail, {}});
        }
      } else if (const auto id = net::peer_identity(stream.native_handle());
                 (s->client = grant_for(iface_.tls, id)) == std::nullopt) {
        // The handshake checks the allow-list; this is the net under it.
        ++stats_.tls_failures;
        log_security_event({"client_cert_not_allowed", iface_.name, s->id, s->peer, id ? id->subject : "",
                            "not on the allow-list", {}});
      } else {
        co_await serve(stream, s);
        // async_shutdown waits for the peer's close_notify, which a peer that
        // is not reading never sends: without a deadline the session (and a
        // graceful stop) would hang. A peer that did not take its ACK, or a
        // session cancelled at stop, gets no close_notify at all.
        if (!s->cancelled && !s->abandoned) {
          deadline.begin(stream_deadline::clock::now() + iface_.partial_frame_timeout);
          co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
          deadline.end();
        }
      }
    }
  } catch (const std::exception& e) {
    log::error("connection_failed", {{"interface", iface_.name}, {"connection", s->id}, {"error", e.what()}});
  }
  sessions_.remove(s);
  --stats_.open_connections;
  if (--per_peer_[s->address] == 0) per_peer_.erase(s->address);
  if (stopping_ && sessions_.empty()) drain_.cancel();
  log::info("connection_closed", {{"interface", iface_.name}, {"connection", s->id}});
}

template <class Stream>
asio::awaitable<void> listener::serve(Stream& stream, std::shared_ptr<session> s) {
  using clock = std::chrono::steady_clock;
  mllp::framer_options options;
  options.max_frame_bytes = iface_.max_frame_bytes;
  options.lenient_end = iface_.lenient_end_block;
  mllp::framer framer(options);
  stream_deadline deadline(io_, stream);
  std::array<char, 64 * 1024> buffer{};
  s->cancel = [&stream] {
    error_code ignored;
    stream.lowest_layer().cancel(ignored);
  };
  std::size_t discarded_seen = 0;
  // The idle timeout runs from the connection's start and from each frame
  // handled; the partial-frame timeout from the first byte of the frame in
  // progress. Neither is moved by bytes that complete no frame.
  clock::time_point idle_since = clock::now();
  clock::time_point frame_began{};
  while (!s->cancelled && !(stopping_ && !framer.in_frame())) {
    const bool in_frame = framer.in_frame();
    const auto due = in_frame ? frame_began + iface_.partial_frame_timeout : idle_since + iface_.idle_timeout;
    error_code ec;
    bool timed_out = clock::now() >= due;
    std::size_t n = 0;
    if (!timed_out) n = co_await read_some(stream, deadline, due, asio::buffer(buffer), ec, timed_out);
    if (timed_out) {
      ++stats_.timeouts;
      log::info("connection_timeout", {{"interface", iface_.name},
                                       {"connection", s->id},
                                       {"partial_frame", in_frame ? "yes" : "no"}});
      co_return;
    }
    if (ec) co_return;  // peer closed, reset, or cancelled by stop()
    framer.feed(std::span<const char>(buffer.data(), n));
    s->in_frame = framer.in_frame();
    bool frame_ended = false;
    while (auto event = framer.next()) {
      frame_ended = true;
      if (event->is_error()) {
        if (event->error() == mllp::framer_errc::frame_too_large) {
          ++stats_.oversize_frames;
          log::warn("frame_too_large", {{"interface", iface_.name}, {"connection", s->id},
                                        {"limit", iface_.max_frame_bytes}});
          co_return;
        }
        log::warn("framing_error", {{"interface", iface_.name}, {"connection", s->id},
                                    {"error", mllp::to_string(event->error())}});
        continue;
      }
      ++stats_.frames;
      s->busy = true;
      const auto frame_read = clock::now();
      std::string type_label;
      const std::string reply = co_await handle_frame(std::move(*event).payload(), *s, type_label);
      stats_.messages.at({std::move(type_label), reply.empty() ? "none" : std::string(hl7::ack_code_of(reply))}).add();
      // Stopped while the frame was being stored: no ACK. The message may be
      // stored; the sender's resend is resolved by the dedupe key.
      if (s->cancelled || s->close_without_ack) co_return;
      if (!reply.empty()) {
        const std::string framed = mllp::wrap(reply);
        bool write_timed_out = false;
        co_await write_all(stream, deadline, iface_.write_timeout, asio::buffer(framed), ec, write_timed_out);
        if (write_timed_out) {
          ++stats_.write_timeouts;
          s->abandoned = true;
          log::warn("write_timeout", {{"interface", iface_.name}, {"connection", s->id},
                                      {"bytes", framed.size()}, {"limit_ms", iface_.write_timeout.count()}});
          co_return;
        }
        if (ec) {
          log::info("write_failed", {{"interface", iface_.name}, {"connection", s->id}, {"error", ec.message()}});
          co_return;
        }
        stats_.ack_seconds.observe(std::chrono::duration<double>(clock::now() - frame_read).count());
      }
      s->busy = false;
      idle_since = clock::now();
    }
    // A frame that began in this read (or after one that ended in it) is
    // timed from now: the time spent storing the one before is not its own.
    if (framer.in_frame() && (!in_frame || frame_ended)) frame_began = clock::now();
    s->in_frame = framer.in_frame();
    stats_.discarded_bytes += framer.discarded_bytes() - discarded_seen;
    discarded_seen = framer.discarded_bytes();
  }
}

asio::awaitable<std::string> listener::handle_frame(std::string payload, session& s, std::string& type_label) {
  const std::size_t bytes = payload.size();
  decision d = decide(iface_, std::move(payload), stamp_, application_name_, s.client ? &*s.client : nullptr);
  type_label = std::move(d.type);
  if (d.security_event) log_security_event({d.reason, iface_.name, s.id, s.peer, s.client->subject, "", d.control_id});
  if (d.what == action::reply) {
    ++stats_.rejected;
    log::info("message_rejected", {{"interface", iface_.name}, {"connection", s.id}, {"control_id", d.control_id},
                                   {"ack", d.ack_code}, {"reason", d.reason}, {"bytes", bytes}});
    co_return std::move(d.reply);
  }
  if (d.what == action::ignore) {
    log::info("message_ignored", {{"interface", iface_.name}, {"connection", s.id}, {"control_id", d.control_id},
                                  {"reason", d.reason}});
    co_return std::string();
  }
  const std::string type = d.row.message_type + "^" + d.row.trigger_event;
  const commit_result r = co_await commit(committer_, s.id, std::move(d.row));
  switch (r.status) {
    case commit_status::stored:
    case commit_status::duplicate:
    case commit_status::conflict:
      if (r.status == commit_status::stored) ++stats_.stored;
      if (r.status == commit_status::duplicate) ++stats_.duplicates;
      if (r.status == commit_status::conflict) ++stats_.rejected;
      log::info("message_received", {{"interface", iface_.name}, {"connection", s.id}, {"control_id", d.control_id},
                                     {"type", type}, {"outcome", to_string(r.status)}, {"id", r.stored.id},
                                     {"bytes", bytes}});
      co_return after_commit(iface_, r.row, r.stored, stamp_, application_name_);
    case commit_status::failed:
      ++stats_.rejected;
      co_return error_reply(iface_, r.row, hl7::ack_code::error, "message could not be stored", stamp_,
                            application_name_);
    case commit_status::unavailable:
    case commit_status::in_doubt:
      break;
  }
  ++stats_.unacknowledged;
  log::warn("message_not_acknowledged", {{"interface", iface_.name}, {"connection", s.id},
                                         {"control_id", d.control_id}, {"reason", to_string(r.status)}});
  if (r.status == commit_status::unavailable && iface_.on_database_down == config::database_down_policy::reject) {
    co_return error_reply(iface_, r.row, hl7::ack_code::reject, "database unavailable, send again later", stamp_,
                          application_name_);
  }
  s.close_without_ack = true;  // the sender keeps the message and retries
  co_return std::string();
}

}  // namespace radbridge::ingest
