// Group commit: many connections' messages stored in one transaction.
//
// Sessions `submit` rows; the committer takes what has queued up (at most
// max_group rows), stores it as one transaction, and calls each row's
// completion after COMMIT, handing the row back with the verdict: the
// per-message cost of the fsync is shared, and the ACKs still only leave
// after their rows are durable.
// It runs on the listeners' io_context, on its thread: `submit` is called
// there, completions run there (never inside `submit`), and the database
// sockets are waited on there like the sessions' sockets, so a message
// crosses no thread between its frame and its ACK. Groups go out through
// store::inbound_pipeline (non-blocking), so the next group is on the wire
// while the previous one commits (at most two per connection) and the
// server goes from one to the next without waiting for us.
// Two things block, and run on one helper thread instead: connecting, and
// the careful path. A group the pipeline rejects (a key already stored, a
// bad row) goes through store_inbound on the helper's libpqxx connection,
// which resolves duplicates and conflicts; a permanent error there is
// retried row by row, so one bad row fails alone. There, as on the main
// path, a failure after the insert was sent reports `in_doubt` (the
// insert may have committed); only a failure to connect is `unavailable`.
// Groups hold at most max_group rows, itself at most
// config::max_commit_group_limit (PostgreSQL's bind-parameter limit).
// When to start a group while another is in flight: every row from a
// sender that may be about to send must have a chance to join it, or
// groups shrink and each commit carries fewer rows. So a second group
// starts only once the rows queued and in flight cover every active sender
// (one that submitted in the last 20 ms); otherwise the queue waits for
// the group in flight. With nothing in flight a group starts at once.
// Order per connection is kept because a connection has at most one
// message in flight (MLLP is synchronous).
// While the database is unreachable, completions report `unavailable` at
// once (no AA is possible) and the connection is retried with exponential
// backoff (100 ms doubling to 5 s) until it is back; groups in flight when
// a connection breaks report `in_doubt`.
// While rows are queued or in flight the committer keeps the io_context
// running, so a graceful stop still answers them.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "store/database.hpp"
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

// Read from any thread (the admin server's /metrics).
struct commit_stats {
  metrics::histogram group_rows{metrics::power_of_two_bounds(config::max_commit_group_limit)};  // per group sent
  metrics::histogram commit_seconds{metrics::latency_bounds()};  // a group sent → its verdicts (pipeline only)
  metrics::counter careful_groups;  // groups the pipeline rejected, stored on the careful path
};

class group_committer {
 public:
  using completion = std::function<void(commit_result)>;

  // `connections`: pipelines to the database, each with its own groups.
  group_committer(boost::asio::io_context& io, std::string conninfo, std::size_t max_group,
                  std::size_t connections = 1);
  ~group_committer();  // with the io_context no longer running
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  // On the io_context's thread. `sender` names the connection the row came
  // from (any stable number).
  void submit(std::uint64_t sender, store::inbound_message row, completion done);

  // Connections that submitted a row in the last 20 ms (sender_active_window).
  std::size_t active_senders(std::chrono::steady_clock::time_point now);
  // While exactly one connection is active: the longer of its last two
  // turnarounds, each the time from a row's verdict to its next submit (the
  // ACK written, read by the peer, its next frame sent and read). Empty
  // with none or several active, or before the connection's third row.
  std::optional<std::chrono::steady_clock::duration> sole_sender_turnaround(std::chrono::steady_clock::time_point now);

  const commit_stats& stats() const noexcept { return stats_; }

 private:
  struct pending {
    store::inbound_message row;
    completion done;
  };
  struct group {  // rows and completions, in the same order
    std::vector<store::inbound_message> rows;
    std::vector<completion> done;
    std::chrono::steady_clock::time_point sent_at{};
  };
  struct lane;  // one pipeline connection and the groups in it
  struct sender_times {
    std::chrono::steady_clock::time_point submitted;
    std::optional<std::chrono::steady_clock::time_point> answered;  // its last row's verdict, if not submitted since
    std::optional<std::chrono::steady_clock::duration> turnaround, previous_turnaround;
  };
  using verdicts = std::vector<std::pair<completion, commit_result>>;  // one group's, in order

  void pump();  // starts every group that may go now
  bool may_start_group(std::chrono::steady_clock::time_point now);
  group take(std::size_t n);  // the first n queued rows
  void send(lane& l, group g);
  enum class direction { read, write };
  void wait_for(lane& l, direction d);  // until the socket is readable (writable)
  void read_results(lane& l);  // every finished group, then a wait for more
  void write_rest(lane& l);    // flushes, or waits until the socket takes more
  void finish(lane& l, store::pipeline_outcome outcome);
  void connect(lane& l);
  void connected(lane& l, std::unique_ptr<store::inbound_pipeline> pipe);
  void connect_failed(const std::string& error);
  void fail_in_flight(lane& l, store::failure kind);
  void commit_carefully(group g);
  verdicts store_carefully(group& g, bool& database_failed);  // on the helper thread
  void left_flight(std::size_t groups, std::size_t rows);  // they are answered
  void mark(bool up);
  void fail_queue();  // the database is down: answer every queued row
  void fail_all(group& g, commit_status status);
  void complete(verdicts done);  // posted, never run inside submit
  void update_busy();

  boost::asio::io_context& io_;
  const std::string conninfo_;
  const std::size_t max_group_;
  std::deque<pending> queue_;
  std::size_t groups_in_flight_ = 0;  // in a pipeline or on the careful path
  std::size_t rows_in_flight_ = 0;
  std::unordered_map<std::uint64_t, sender_times> senders_;  // the active ones
  bool up_ = true;
  commit_stats stats_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  std::vector<std::unique_ptr<lane>> lanes_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> busy_;
  store::database careful_db_;  // used on the helper thread only
  boost::asio::thread_pool helper_{1};  // last: stopped first
};

}  // namespace radbridge::ingest
