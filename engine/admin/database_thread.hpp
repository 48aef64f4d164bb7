// The admin server's database connection, on a thread of its own: libpqxx
// blocks, the admin thread must not. `run` queues a function for that
// thread and awaits it at most `timeout`; a function still running then is
// left to finish (its result dropped), and while `max_queued` calls are
// waiting a new one fails at once instead of queueing behind a database
// that hangs. Store errors come back as values, with their kind.
//
// `read_state` is what /readyz and /metrics need: reachable or not, the
// schema's version, and the backlog (store/backlog_store.hpp) and the
// routes' drift monitors (`drift`, when given) when the schema is the one
// this build knows.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "net/asio.hpp"
#include "store/backlog_store.hpp"
#include "store/database.hpp"
#include "store/store_error.hpp"

namespace radbridge::admin {

struct call_result {
  bool ok = false;
  std::string error;  // when not ok: the store's message, or why it did not run
  std::optional<store::failure> kind;  // empty: it did not run (busy) or did not finish in time
};

// One model of a route as its drift monitor sees it (review/drift.hpp).
struct drift_status {
  std::string route;
  std::string model;
  std::string state;  // "ok", "drift", "not enough data"
  std::vector<std::pair<std::string, double>> ratios;  // feature -> score / threshold (over 1: drifting)
};
using drift_reader = std::function<std::vector<drift_status>(store::database&)>;

struct database_state {
  bool reachable = false;
  std::string error;  // when not reachable (or timed out)
  int schema_version = 0;
  std::optional<store::backlog> backlog;
  std::vector<drift_status> drift;
};

class database_thread {
 public:
  static constexpr std::size_t max_queued = 8;

  database_thread(net::asio::io_context& io, std::string conninfo);
  ~database_thread();
  database_thread(const database_thread&) = delete;
  database_thread& operator=(const database_thread&) = delete;

  // On the io_context's thread. A copy of `f` runs on the database thread;
  // what it writes must outlive the call (capture shared state). Callers
  // pass a named function, not a temporary: g++ 12 destroys temporaries of
  // a co_await's full expression twice.
  net::asio::awaitable<call_result> run(const std::function<void(store::database&)>& f,
                                        std::chrono::milliseconds timeout);

  net::asio::awaitable<database_state> read_state(std::chrono::milliseconds timeout, const drift_reader& drift = {});

 private:
  net::asio::io_context& io_;
  store::database db_;      // on the pool's thread only
  std::size_t queued_ = 0;  // on the io_context's thread only
  boost::asio::thread_pool pool_{1};  // last: joined first
};

}  // namespace radbridge::admin
