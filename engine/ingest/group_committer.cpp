#include "ingest/group_committer.hpp"

#include <algorithm>
#include <vector>

#include "core/log.hpp"
#include "store/store_error.hpp"

namespace radbridge::ingest {

namespace {
constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
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

group_committer::group_committer(std::string conninfo, std::size_t max_group, std::size_t workers,
                                 dispatcher dispatch)
    : max_group_(std::max<std::size_t>(max_group, 1)), dispatch_(std::move(dispatch)) {
  workers = std::max<std::size_t>(workers, 1);
  for (std::size_t i = 0; i < workers; ++i) databases_.emplace_back(conninfo);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this, i] { run(databases_[i]); });
}

group_committer::~group_committer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void group_committer::submit(store::inbound_message row, completion done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(row), std::move(done)});
  }
  wake_.notify_one();
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

void group_committer::fail_all(std::deque<pending>& group, commit_status status) {
  verdicts done;
  done.reserve(group.size());
  for (pending& p : group) done.emplace_back(std::move(p.done), commit_result{status, {}});
  group.clear();
  complete(std::move(done));
}

void group_committer::run(store::database& db) {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::deque<pending> group;
    const bool waiting_for_db = !up_ && std::chrono::steady_clock::now() < next_attempt_;
    if (waiting_for_db) {
      group.swap(queue_);  // no AA possible now: let every sender know at once
      lock.unlock();
      fail_all(group, commit_status::unavailable);
      lock.lock();
      continue;
    }
    const std::size_t n = std::min(queue_.size(), max_group_);
    std::move(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(group));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    commit(db, group);
    lock.lock();
  }
}

void group_committer::commit(store::database& db, std::deque<pending>& group) {
  std::vector<store::inbound_message> rows;
  rows.reserve(group.size());
  for (pending& p : group) rows.push_back(std::move(p.row));
  auto mark = [&](bool up) {
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
  };
  try {
    std::vector<store::inbound_result> results;
    try {
      results = store::store_inbound(db, rows);
    } catch (const store::store_error& e) {
      // Workers commit in parallel, so two groups can deadlock on the dedupe
      // index (PostgreSQL aborts one, a transient error) and a connection can
      // have gone stale: one immediate retry before calling the database down.
      if (e.kind() != store::failure::transient) throw;
      results = store::store_inbound(db, rows);
    }
    mark(true);
    verdicts done;
    done.reserve(group.size());
    for (std::size_t i = 0; i < group.size(); ++i) {
      const auto status = results[i].outcome == store::inbound_outcome::stored      ? commit_status::stored
                          : results[i].outcome == store::inbound_outcome::duplicate ? commit_status::duplicate
                                                                                     : commit_status::conflict;
      done.emplace_back(std::move(group[i].done), commit_result{status, std::move(results[i])});
    }
    group.clear();
    complete(std::move(done));
  } catch (const store::store_error& e) {
    if (e.kind() == store::failure::permanent && group.size() > 1) {
      // One bad row must not fail its neighbours: store them one by one.
      for (std::size_t i = 0; i < group.size(); ++i) {
        std::deque<pending> one;
        one.push_back({std::move(rows[i]), std::move(group[i].done)});
        commit(db, one);
      }
      group.clear();
      return;
    }
    const bool database_failure = e.kind() != store::failure::permanent;
    if (database_failure) mark(false);
    // A permanent error's text may quote row values; only connection-level
    // failures are safe (and useful) to log verbatim.
    if (database_failure) {
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", group.size()}, {"error", e.what()}});
    } else {
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", group.size()}});
    }
    fail_all(group, e.kind() == store::failure::in_doubt   ? commit_status::in_doubt
                    : e.kind() == store::failure::transient ? commit_status::unavailable
                                                            : commit_status::failed);
  }
}

}  // namespace radbridge::ingest
