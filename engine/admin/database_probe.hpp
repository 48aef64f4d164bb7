// The admin server's view of the database: reachable or not, the schema's
// version, and the backlog (store/backlog_store.hpp) when the schema is the
// one this build knows. libpqxx blocks, so
// each read runs on the probe's own thread while the admin thread awaits
// it, at most `timeout`; only one read runs at a time, and a read asked for
// while one is still running (a database that hangs) fails at once instead
// of queueing behind it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/thread_pool.hpp>

#include "net/asio.hpp"
#include "store/backlog_store.hpp"
#include "store/database.hpp"

namespace radbridge::admin {

struct database_state {
  bool reachable = false;
  std::string error;  // when not reachable (or timed out)
  int schema_version = 0;
  std::optional<store::backlog> backlog;  // read when the schema is this build's
};

class database_probe {
 public:
  database_probe(net::asio::io_context& io, std::string conninfo);
  ~database_probe();
  database_probe(const database_probe&) = delete;
  database_probe& operator=(const database_probe&) = delete;

  // On the io_context's thread.
  net::asio::awaitable<database_state> read(std::chrono::milliseconds timeout);

 private:
  net::asio::io_context& io_;
  store::database db_;  // on the pool's thread only
  bool running_ = false;  // on the io_context's thread only
  boost::asio::thread_pool pool_{1};  // last: joined first
};

}  // namespace radbridge::admin
