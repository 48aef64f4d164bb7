// Group commit: many connections' messages stored in one transaction.
//
// Sessions `submit` rows; each of `workers` threads (each with its own
// database connections) takes what has queued up (at most max_group rows)
// and stores it as one transaction, and calls each row's completion after
// COMMIT, handing the row back with the verdict: the per-message cost of
// the fsync is shared, and the ACKs still only leave after their rows are
// durable. Groups go out through
// store::inbound_pipeline, so a worker can put the next group on the wire
// while the previous one commits (at most two per connection) and the
// server goes from one to the next without waiting for us. A group the
// pipeline rejects (a key already stored, a bad row) goes again through
// store_inbound on the worker's second, libpqxx connection, which resolves
// duplicates and conflicts; a permanent error there is retried row by row,
// so one bad row fails alone.
// When to start a group while another is in flight: every row from a
// sender that may be about to send must have a chance to join it, or
// groups shrink and each commit carries fewer rows. So a second group
// starts only once the rows queued and in flight cover every active sender
// (one that submitted in the last 20 ms); otherwise the queue waits for
// the group in flight, as with a single committer. With nothing in flight
// a group starts at once.
// Order per connection is kept because a connection has at most one
// message in flight (MLLP is synchronous).
// While the database is unreachable, completions report `unavailable` at
// once (no AA is possible) and the worker retries the connection with
// exponential backoff (100 ms doubling to 5 s) until it is back; groups in
// flight when a connection breaks report `in_doubt`.
// A group's completions are handed over together, as one job, to the
// `dispatch` given at construction (serve posts it to the listeners'
// io_context: one wake-up per group, not one per message); without one they
// run on the worker thread, so keep them short.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/inbound_pipeline.hpp"
#include "store/inbound_store.hpp"
#include "store/store_error.hpp"

namespace radbridge::ingest {

enum class commit_status { stored, duplicate, conflict, unavailable, in_doubt, failed };

std::string_view to_string(commit_status s) noexcept;

struct commit_result {
  commit_status status = commit_status::failed;
  store::inbound_result stored;  // valid for stored, duplicate, conflict
  store::inbound_message row;    // the row submitted, handed back
};

class group_committer {
 public:
  using completion = std::function<void(commit_result)>;
  using dispatcher = std::function<void(std::function<void()>)>;

  group_committer(std::string conninfo, std::size_t max_group, std::size_t workers = 1, dispatcher dispatch = {});
  ~group_committer();  // finishes what is queued, then stops
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  // `sender` names the connection the row came from (any stable number).
  void submit(std::uint64_t sender, store::inbound_message row, completion done);

 private:
  struct pending {
    store::inbound_message row;
    completion done;
  };

  struct group {  // rows and completions, in the same order
    std::vector<store::inbound_message> rows;
    std::vector<completion> done;
  };
  struct worker;

  group take(std::size_t n);  // the first n queued rows; mutex_ held

  void run(worker& w);
  bool may_start_group(std::chrono::steady_clock::time_point now);
  void send(worker& w, group g);
  void finish(worker& w, store::pipeline_outcome outcome);
  void fail_in_flight(worker& w, store::failure kind);
  void left_flight(std::size_t groups, std::size_t rows);  // they are answered
  void commit(store::database& db, group& g);
  void mark(bool up);
  void wake_sleepers();
  void fail_all(group& g, commit_status status);
  using verdicts = std::vector<std::pair<completion, commit_result>>;  // one group's, in order
  void complete(verdicts done);

  const std::size_t max_group_;
  const dispatcher dispatch_;
  mutable std::mutex mutex_;
  std::deque<pending> queue_;
  std::size_t groups_in_flight_ = 0;
  std::size_t rows_in_flight_ = 0;
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point> last_submit_;  // by sender
  std::size_t sleepers_ = 0;  // workers waiting in poll that could start a group
  int wake_fd_ = -1;          // eventfd: a group may start, or stop
  bool stopping_ = false;
  bool up_ = true;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;  // last: started after every member they use exists
};

}  // namespace radbridge::ingest
