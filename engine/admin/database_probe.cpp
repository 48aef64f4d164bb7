#include "admin/database_probe.hpp"

#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "store/store_error.hpp"

namespace radbridge::admin {

namespace asio = net::asio;

database_probe::database_probe(asio::io_context& io, std::string conninfo) : io_(io), db_(std::move(conninfo)) {}

database_probe::~database_probe() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<database_state> database_probe::read(std::chrono::milliseconds timeout) {
  if (running_) co_return database_state{false, "the previous database check has not finished", 0, {}};
  running_ = true;
  struct waiting {
    explicit waiting(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    std::optional<database_state> state;
  };
  auto w = std::make_shared<waiting>(io_);
  w->timer.expires_after(timeout);
  asio::post(pool_, [this, w] {
    database_state s;
    try {
      s.schema_version = db_.schema_version();
      if (s.schema_version == store::latest_schema_version()) s.backlog = store::read_backlog(db_);
      s.reachable = true;
    } catch (const store::store_error& e) {
      s.error = e.what();
    }
    asio::post(io_, [this, w, s = std::move(s)]() mutable {
      running_ = false;
      w->state = std::move(s);
      w->timer.cancel();
    });
  });
  boost::system::error_code ec;
  co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (w->state) co_return std::move(*w->state);
  co_return database_state{false, fmt::format("no answer from the database within {} ms", timeout.count()), 0, {}};
}

}  // namespace radbridge::admin
