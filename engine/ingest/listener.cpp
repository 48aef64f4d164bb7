#include "ingest/listener.hpp"

#include <array>
#include <functional>

#include "core/log.hpp"
#include "mllp/framer.hpp"

namespace radbridge::ingest {

namespace asio = net::asio;
using net::tcp;
using error_code = boost::system::error_code;

struct listener::session {
  std::uint64_t id = 0;
  std::string peer;
  bool busy = false;                 // a frame is being handled
  bool in_frame = false;             // a partial frame is buffered
  std::function<void()> cancel;      // aborts the pending read
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

// A deadline on one operation of `stream`: when it passes, the stream's
// pending operations are cancelled. timer.cancel() cannot recall a handler
// that had already been queued when the operation completed; such a late
// handler runs after the session may have moved on (or ended and destroyed
// the stream), so it must touch nothing but the shared state it owns.
struct deadline_state {
  bool finished = false;  // the operation completed: the handler must do nothing
  bool expired = false;   // the handler cancelled the operation
};

template <class Stream>
std::shared_ptr<deadline_state> arm(asio::steady_timer& timer, Stream& stream, std::chrono::milliseconds limit) {
  auto state = std::make_shared<deadline_state>();
  timer.expires_after(limit);
  timer.async_wait([&stream, state](error_code timer_ec) {
    if (timer_ec || state->finished) return;
    state->expired = true;
    error_code ignored;
    stream.lowest_layer().cancel(ignored);
  });
  return state;
}

// Returns whether the deadline had passed (and cancelled the operation).
inline bool disarm(asio::steady_timer& timer, deadline_state& state) {
  state.finished = true;
  timer.cancel();
  return state.expired;
}

// Reads some bytes; on the deadline, cancels the read and reports a timeout.
template <class Stream>
asio::awaitable<std::size_t> read_some(Stream& stream, asio::steady_timer& timer, std::chrono::milliseconds limit,
                                       asio::mutable_buffer buffer, error_code& ec, bool& timed_out) {
  const auto deadline = arm(timer, stream, limit);
  const std::size_t n = co_await stream.async_read_some(buffer, asio::redirect_error(asio::use_awaitable, ec));
  // Bytes that arrived as the deadline passed are not a timeout: keep them.
  timed_out = disarm(timer, *deadline) && n == 0;
  co_return n;
}

}  // namespace

listener::listener(asio::io_context& io, config::interface_settings iface, group_committer& committer,
                   std::string application_name, asio::ssl::context* tls)
    : io_(io),
      iface_(std::move(iface)),
      committer_(committer),
      application_name_(std::move(application_name)),
      tls_(tls),
      acceptor_(io, tcp::endpoint(asio::ip::make_address(iface_.host), iface_.port)) {}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::start() {
  log::info("listening", {{"interface", iface_.name},
                          {"address", local_endpoint().address().to_string()},
                          {"port", local_endpoint().port()},
                          {"tls", tls_ != nullptr ? "on" : "off"}});
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void listener::stop() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (const auto& s : sessions_) {
    if (!s->busy && !s->in_frame && s->cancel) s->cancel();
  }
}

asio::awaitable<void> listener::accept_loop() {
  while (!stopping_) {
    error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      log::warn("accept_failed", {{"interface", iface_.name}, {"error", ec.message()}});
      continue;
    }
    if (sessions_.size() >= iface_.max_connections) {
      ++stats_.refused_connections;
      log::warn("connection_refused", {{"interface", iface_.name}, {"reason", "max_connections"}});
      socket.close(ec);
      continue;
    }
    auto s = std::make_shared<session>();
    s->id = next_session_id++;
    const auto remote = socket.remote_endpoint(ec);
    s->peer = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
    sessions_.push_back(s);
    ++stats_.connections;
    asio::co_spawn(io_, run_session(std::move(socket), s), asio::detached);
  }
}

asio::awaitable<void> listener::run_session(tcp::socket socket, std::shared_ptr<session> s) {
  log::info("connection_opened", {{"interface", iface_.name}, {"connection", s->id}, {"peer", s->peer}});
  try {
    if (tls_ == nullptr) {
      co_await serve(socket, s);
    } else {
      asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls_);
      asio::steady_timer timer(io_);
      const auto handshake_deadline = arm(timer, stream, iface_.partial_frame_timeout);
      s->cancel = [&stream] { stream.lowest_layer().cancel(); };
      error_code ec;
      co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
      disarm(timer, *handshake_deadline);
      if (ec) {
        ++stats_.tls_failures;
        log::warn("tls_handshake_failed", {{"interface", iface_.name}, {"connection", s->id}, {"error", ec.message()}});
      } else {
        co_await serve(stream, s);
        // async_shutdown waits for the peer's close_notify, which a peer that
        // is not reading never sends: without a deadline the session (and a
        // graceful stop) would hang.
        const auto shutdown_deadline = arm(timer, stream, iface_.partial_frame_timeout);
        co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
        disarm(timer, *shutdown_deadline);
      }
    }
  } catch (const std::exception& e) {
    log::error("connection_failed", {{"interface", iface_.name}, {"connection", s->id}, {"error", e.what()}});
  }
  sessions_.remove(s);
  log::info("connection_closed", {{"interface", iface_.name}, {"connection", s->id}});
}

template <class Stream>
asio::awaitable<void> listener::serve(Stream& stream, std::shared_ptr<session> s) {
  mllp::framer_options options;
  options.max_frame_bytes = iface_.max_frame_bytes;
  options.lenient_end = iface_.lenient_end_block;
  mllp::framer framer(options);
  asio::steady_timer timer(io_);
  std::array<char, 64 * 1024> buffer{};
  s->cancel = [&stream] {
    error_code ignored;
    stream.lowest_layer().cancel(ignored);
  };
  std::size_t discarded_seen = 0;
  while (!(stopping_ && !framer.in_frame())) {
    error_code ec;
    bool timed_out = false;
    const auto limit = framer.in_frame() ? iface_.partial_frame_timeout : iface_.idle_timeout;
    const std::size_t n = co_await read_some(stream, timer, limit, asio::buffer(buffer), ec, timed_out);
    if (timed_out) {
      ++stats_.timeouts;
      log::info("connection_timeout", {{"interface", iface_.name},
                                       {"connection", s->id},
                                       {"partial_frame", framer.in_frame() ? "yes" : "no"}});
      co_return;
    }
    if (ec) co_return;  // peer closed, reset, or cancelled by stop()
    framer.feed(std::span<const char>(buffer.data(), n));
    s->in_frame = framer.in_frame();
    while (auto event = framer.next()) {
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
      std::string payload = std::move(*event).payload();
      const std::size_t bytes = payload.size();
      decision d = decide(iface_, std::move(payload), stamp_, application_name_);
      std::string reply;
      if (d.what == action::reply) {
        ++stats_.rejected;
        reply = std::move(d.reply);
        log::info("message_rejected", {{"interface", iface_.name}, {"connection", s->id},
                                       {"control_id", d.control_id}, {"ack", d.ack_code}, {"reason", d.reason},
                                       {"bytes", bytes}});
      } else if (d.what == action::ignore) {
        log::info("message_ignored", {{"interface", iface_.name}, {"connection", s->id},
                                      {"control_id", d.control_id}, {"reason", d.reason}});
      } else {
        const std::string type = d.row.message_type + "^" + d.row.trigger_event;
        const commit_result r = co_await commit(committer_, s->id, std::move(d.row));
        switch (r.status) {
          case commit_status::stored:
          case commit_status::duplicate:
          case commit_status::conflict:
            reply = after_commit(iface_, r.row, r.stored, stamp_, application_name_);
            if (r.status == commit_status::stored) ++stats_.stored;
            if (r.status == commit_status::duplicate) ++stats_.duplicates;
            if (r.status == commit_status::conflict) ++stats_.rejected;
            log::info("message_received", {{"interface", iface_.name}, {"connection", s->id},
                                           {"control_id", d.control_id}, {"type", type},
                                           {"outcome", to_string(r.status)}, {"id", r.stored.id},
                                           {"bytes", bytes}});
            break;
          case commit_status::failed:
            ++stats_.rejected;
            reply = error_reply(iface_, r.row, hl7::ack_code::error, "message could not be stored", stamp_,
                                application_name_);
            break;
          case commit_status::unavailable:
          case commit_status::in_doubt:
            ++stats_.unacknowledged;
            log::warn("message_not_acknowledged", {{"interface", iface_.name}, {"connection", s->id},
                                                   {"control_id", d.control_id}, {"reason", to_string(r.status)}});
            if (r.status == commit_status::unavailable &&
                iface_.on_database_down == config::database_down_policy::reject) {
              reply = error_reply(iface_, r.row, hl7::ack_code::reject, "database unavailable, send again later", stamp_,
                                  application_name_);
              break;
            }
            co_return;  // no ACK: the sender keeps the message and retries
        }
      }
      if (!reply.empty()) {
        co_await asio::async_write(stream, asio::buffer(mllp::wrap(reply)), asio::use_awaitable);
      }
      s->busy = false;
    }
    s->in_frame = framer.in_frame();
    stats_.discarded_bytes += framer.discarded_bytes() - discarded_seen;
    discarded_seen = framer.discarded_bytes();
  }
}

}  // namespace radbridge::ingest
