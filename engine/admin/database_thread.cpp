#include "admin/database_thread.hpp"

#include <memory>
#include <utility>

#include <fmt/format.h>

namespace radbridge::admin {

namespace asio = net::asio;

database_thread::database_thread(asio::io_context& io, std::string conninfo) : io_(io), db_(std::move(conninfo)) {}

database_thread::~database_thread() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<call_result> database_thread::run(const std::function<void(store::database&)>& f,
                                                  std::chrono::milliseconds timeout) {
  if (queued_ >= max_queued) {
    co_return call_result{false, fmt::format("the database is busy ({} calls waiting)", queued_), std::nullopt};
  }
  ++queued_;
  struct waiting {
    explicit waiting(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::optional<call_result> result;
  };
  auto w = std::make_shared<waiting>(io_);
  w->timer.expires_after(timeout);
  asio::post(pool_, [this, w, f] {
    call_result r;
    try {
      f(db_);
      r.ok = true;
    } catch (const store::store_error& e) {
      r.error = e.what();
      r.kind = e.kind();
    }
    asio::post(io_, [this, w, r = std::move(r)]() mutable {
      --queued_;
      w->result = std::move(r);
      w->timer.cancel();
    });
  });
  boost::system::error_code ec;
  co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (w->result) co_return std::move(*w->result);
  co_return call_result{false, fmt::format("no answer from the database within {} ms", timeout.count()), std::nullopt};
}

asio::awaitable<database_state> database_thread::read_state(std::chrono::milliseconds timeout,
                                                            const drift_reader& drift) {
  auto state = std::make_shared<database_state>();
  const std::function<void(store::database&)> read = [state, drift](store::database& db) {
    state->schema_version = db.schema_version();
    if (state->schema_version != store::latest_schema_version()) return;
    state->backlog = store::read_backlog(db);
    if (drift) state->drift = drift(db);
  };
  const call_result r = co_await run(read, timeout);
  database_state out;
  if (r.ok) {
    out = *state;
    out.reachable = true;
  } else {
    out.error = r.error;
  }
  co_return out;
}

}  // namespace radbridge::admin
