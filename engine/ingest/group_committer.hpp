// Group commit: many connections' messages stored in one transaction.
//
// Sessions `submit` rows; each of `workers` threads (each with its own
// database connection) takes whatever has queued up (at most max_group rows),
// stores it with store_inbound in one transaction and calls each row's
// completion after COMMIT — so the per-message cost of the fsync is shared,
// and the ACKs still only leave after their rows are durable. With one
// worker (the default) every row that arrives during a commit joins the
// next group, so groups grow with the load and the disk's latency; more
// workers overlap one group's fsync with the next group's insert, which
// pays only where inserting costs more than syncing (on two cores it
// halved the group size and lost throughput, see the README's benchmark).
// Order per connection is kept because a connection has at most one
// message in flight (MLLP is synchronous).
// While the database is unreachable, completions report `unavailable` at
// once (no AA is possible), and the worker retries the connection with
// exponential backoff (100 ms doubling to 5 s) until it is back. A permanent
// error on a group is retried row by row so one bad row fails alone.
// A group's completions are handed over together, as one job, to the
// `dispatch` given at construction (serve posts it to the listeners'
// io_context: one wake-up per group, not one per message); without one they
// run on the worker thread, so keep them short.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/inbound_store.hpp"

namespace radbridge::ingest {

enum class commit_status { stored, duplicate, conflict, unavailable, in_doubt, failed };

std::string_view to_string(commit_status s) noexcept;

struct commit_result {
  commit_status status = commit_status::failed;
  store::inbound_result stored;  // valid for stored, duplicate, conflict
};

class group_committer {
 public:
  using completion = std::function<void(commit_result)>;
  using dispatcher = std::function<void(std::function<void()>)>;

  group_committer(std::string conninfo, std::size_t max_group, std::size_t workers = 1, dispatcher dispatch = {});
  ~group_committer();  // finishes what is queued, then stops
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  void submit(store::inbound_message row, completion done);

 private:
  struct pending {
    store::inbound_message row;
    completion done;
  };

  void run(store::database& db);
  void commit(store::database& db, std::deque<pending>& group);
  void fail_all(std::deque<pending>& group, commit_status status);
  using verdicts = std::vector<std::pair<completion, commit_result>>;  // one group's, in order
  void complete(verdicts done);

  const std::size_t max_group_;
  const dispatcher dispatch_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  bool up_ = true;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::vector<store::database> databases_;  // one connection per worker
  std::vector<std::thread> workers_;        // last: started after every member they use exists
};

}  // namespace radbridge::ingest
