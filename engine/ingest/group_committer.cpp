#include "ingest/group_committer.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <vector>

#include "core/log.hpp"
#include "store/store_error.hpp"

namespace radbridge::ingest {

namespace {
constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
// A sender that submitted this recently may be about to send again.
constexpr std::chrono::milliseconds sender_active_window{20};
// Groups one connection may have in flight: one committing, one queued
// behind it on the server.
constexpr std::size_t groups_per_connection = 2;
}  // namespace

std::string_view to_string(commit_status s) noexcept {
  switch (s) {
    case commit_status::stored: return "stored";
    case commit_status::duplicate: return "duplicate";
    case commit_status::conflict: return "conflict";
    case commit_status::unavailable: return "unavailable";
    case commit_status::in_doubt: return "in_doubt";
    case commit_status::failed: return "failed";
  }
  return "failed";
}

struct group_committer::worker {
  explicit worker(const std::string& conninfo) : db(conninfo), pipe(conninfo) {}
  store::database db;            // the careful path: store_inbound
  store::inbound_pipeline pipe;  // the fast path
  std::deque<group> sent;        // groups in the pipe, oldest first
};

group_committer::group_committer(std::string conninfo, std::size_t max_group, std::size_t workers,
                                 dispatcher dispatch)
    : max_group_(std::max<std::size_t>(max_group, 1)), dispatch_(std::move(dispatch)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  workers = std::max<std::size_t>(workers, 1);
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<worker>(conninfo));
  for (auto& w : workers_) threads_.emplace_back([this, &w = *w] { run(w); });
}

group_committer::~group_committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_sleepers();
  for (std::thread& t : threads_) t.join();
  ::close(wake_fd_);
}

void group_committer::wake_sleepers() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = ::write(wake_fd_, &one, sizeof one);
}

void group_committer::submit(std::uint64_t sender, store::inbound_message row, completion done) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    last_submit_[sender] = now;
    queue_.push_back({std::move(row), std::move(done)});
    // A write to the eventfd only when a waiting worker may now start a
    // group, not for every row while the rest of a group is still coming.
    wake = sleepers_ > 0 && may_start_group(now);
  }
  if (wake) wake_sleepers();
}

bool group_committer::may_start_group(std::chrono::steady_clock::time_point now) {
  if (queue_.empty()) return false;
  if (stopping_ || !up_ || groups_in_flight_ == 0 || queue_.size() >= max_group_) return true;
  std::size_t active = 0;
  for (auto it = last_submit_.begin(); it != last_submit_.end();) {
    if (now - it->second > sender_active_window) {
      it = last_submit_.erase(it);
    } else {
      ++active;
      ++it;
    }
  }
  return queue_.size() + rows_in_flight_ >= active;
}

void group_committer::complete(verdicts done) {
  auto run_all = [done = std::move(done)]() mutable {
    for (auto& [callback, result] : done) callback(std::move(result));
  };
  if (dispatch_) {
    dispatch_(std::move(run_all));
  } else {
    run_all();
  }
}

void group_committer::fail_all(group& g, commit_status status) {
  verdicts done;
  done.reserve(g.done.size());
  for (std::size_t i = 0; i < g.done.size(); ++i) {
    done.emplace_back(std::move(g.done[i]), commit_result{status, {}, std::move(g.rows[i])});
  }
  complete(std::move(done));
}

void group_committer::mark(bool up) {
  std::lock_guard lock(mutex_);
  if (up) {
    if (!up_) log::info("database_reconnected");
    up_ = true;
    backoff_ = std::chrono::milliseconds{0};
  } else {
    up_ = false;
    backoff_ = std::min(max_backoff, backoff_ == std::chrono::milliseconds{0} ? first_backoff : backoff_ * 2);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
  }
}

void group_committer::run(worker& w) {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Start every group that may go now.
    while (w.sent.size() < groups_per_connection && may_start_group(std::chrono::steady_clock::now())) {
      const bool waiting_for_db = !up_ && std::chrono::steady_clock::now() < next_attempt_;
      // No AA possible now: let every sender know at once.
      group g = take(waiting_for_db ? queue_.size() : std::min(queue_.size(), max_group_));
      if (waiting_for_db) {
        lock.unlock();
        fail_all(g, commit_status::unavailable);
        lock.lock();
        continue;
      }
      const std::size_t n = g.rows.size();
      ++groups_in_flight_;
      rows_in_flight_ += n;
      lock.unlock();
      send(w, std::move(g));
      lock.lock();
    }
    if (w.sent.empty() && stopping_ && queue_.empty()) {
      lock.unlock();
      wake_sleepers();  // pass the word on to the next worker
      return;
    }

    // Wait for results, or for rows that may start a group.
    const bool may_send = w.sent.size() < groups_per_connection;
    if (may_send) ++sleepers_;
    lock.unlock();
    // A worker that may not send now leaves the wake-ups to one that may
    // (poll skips a negative descriptor).
    std::array<pollfd, 2> fds{pollfd{may_send ? wake_fd_ : -1, POLLIN, 0}, pollfd{w.pipe.socket(), POLLIN, 0}};
    const nfds_t count = w.sent.empty() || fds[1].fd < 0 ? 1 : 2;
    if (::poll(fds.data(), count, -1) > 0) {
      if ((fds[0].revents & POLLIN) != 0) {
        std::uint64_t ignored = 0;
        [[maybe_unused]] const ssize_t got = ::read(wake_fd_, &ignored, sizeof ignored);
      }
      if (count == 2 && fds[1].revents != 0) {
        try {
          while (auto outcome = w.pipe.finished()) finish(w, std::move(*outcome));
        } catch (const store::store_error& e) {
          log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"error", e.what()}});
          fail_in_flight(w, e.kind());
        }
      }
    }
    lock.lock();
    if (may_send) --sleepers_;
  }
}

group_committer::group group_committer::take(std::size_t n) {
  group g;
  g.rows.reserve(n);
  g.done.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    g.rows.push_back(std::move(queue_.front().row));
    g.done.push_back(std::move(queue_.front().done));
    queue_.pop_front();
  }
  return g;
}

void group_committer::send(worker& w, group g) {
  try {
    w.pipe.send(g.rows);
    w.sent.push_back(std::move(g));
  } catch (const store::store_error& e) {
    // Not sent: nothing of this group can be stored; what was in flight may be.
    log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}, {"error", e.what()}});
    fail_all(g, commit_status::unavailable);
    left_flight(1, g.rows.size());
    fail_in_flight(w, e.kind());
  }
}

void group_committer::fail_in_flight(worker& w, store::failure kind) {
  mark(false);
  std::size_t rows = 0;
  const std::size_t groups = w.sent.size();
  for (group& g : w.sent) {
    rows += g.rows.size();
    fail_all(g, kind == store::failure::in_doubt ? commit_status::in_doubt : commit_status::unavailable);
  }
  w.sent.clear();
  left_flight(groups, rows);
}

void group_committer::left_flight(std::size_t groups, std::size_t rows) {
  std::lock_guard lock(mutex_);
  groups_in_flight_ -= groups;
  rows_in_flight_ -= rows;
}

void group_committer::finish(worker& w, store::pipeline_outcome outcome) {
  group g = std::move(w.sent.front());
  w.sent.pop_front();
  const std::size_t n = g.rows.size();
  if (outcome.stored && outcome.ids.size() == n) {
    mark(true);
    verdicts done;
    done.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      done.emplace_back(std::move(g.done[i]),
                        commit_result{commit_status::stored, {store::inbound_outcome::stored, outcome.ids[i], {}},
                                      std::move(g.rows[i])});
    }
    complete(std::move(done));
  } else {
    // Rejected (a key already stored, a bad row), or stored with the rows
    // returned in another order: store_inbound sorts it out (for the
    // latter it finds every key stored, with this group's own ACKs).
    commit(w.db, g);
  }
  left_flight(1, n);
}

void group_committer::commit(store::database& db, group& g) {
  try {
    std::vector<store::inbound_result> results;
    try {
      results = store::store_inbound(db, g.rows);
    } catch (const store::store_error& e) {
      // Another connection's uncommitted insert of the same key can
      // deadlock with this one (PostgreSQL aborts one, a transient error),
      // and a connection can have gone stale: one immediate retry before
      // calling the database down.
      if (e.kind() != store::failure::transient) throw;
      results = store::store_inbound(db, g.rows);
    }
    mark(true);
    verdicts done;
    done.reserve(g.done.size());
    for (std::size_t i = 0; i < g.done.size(); ++i) {
      const auto status = results[i].outcome == store::inbound_outcome::stored      ? commit_status::stored
                          : results[i].outcome == store::inbound_outcome::duplicate ? commit_status::duplicate
                                                                                     : commit_status::conflict;
      done.emplace_back(std::move(g.done[i]), commit_result{status, std::move(results[i]), std::move(g.rows[i])});
    }
    complete(std::move(done));
  } catch (const store::store_error& e) {
    if (e.kind() == store::failure::permanent && g.rows.size() > 1) {
      // One bad row must not fail its neighbours: store them one by one.
      for (std::size_t i = 0; i < g.rows.size(); ++i) {
        group one;
        one.rows.push_back(std::move(g.rows[i]));
        one.done.push_back(std::move(g.done[i]));
        commit(db, one);
      }
      return;
    }
    const bool database_failure = e.kind() != store::failure::permanent;
    if (database_failure) mark(false);
    // A permanent error's text may quote row values; only connection-level
    // failures are safe (and useful) to log verbatim.
    if (database_failure) {
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}, {"error", e.what()}});
    } else {
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}});
    }
    fail_all(g, e.kind() == store::failure::in_doubt   ? commit_status::in_doubt
                : e.kind() == store::failure::transient ? commit_status::unavailable
                                                        : commit_status::failed);
  }
}

}  // namespace radbridge::ingest
