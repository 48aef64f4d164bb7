#include "ingest/group_committer.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/config.hpp"
#include "core/log.hpp"

namespace radbridge::ingest {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

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

struct group_committer::lane {
  explicit lane(asio::io_context& io) : socket(io) {}
  std::unique_ptr<store::inbound_pipeline> pipe;  // null: not connected
  bool connecting = false;                        // on the helper thread
  asio::posix::stream_descriptor socket;          // a duplicate of the pipeline's, to wait on
  unsigned generation = 0;                        // waits of an older connection do nothing
  bool reading = false;
  bool writing = false;
  std::deque<group> sent;  // groups in the pipe, oldest first
};

group_committer::group_committer(asio::io_context& io, std::string conninfo, std::size_t max_group,
                                 std::size_t connections)
    : io_(io),
      conninfo_(std::move(conninfo)),
      // A group is one statement: its bind parameters must stay within PostgreSQL's limit.
      max_group_(std::clamp<std::size_t>(max_group, 1, config::max_commit_group_limit)),
      careful_db_(conninfo_) {
  connections = std::max<std::size_t>(connections, 1);
  for (std::size_t i = 0; i < connections; ++i) lanes_.push_back(std::make_unique<lane>(io_));
}

group_committer::~group_committer() {
  // A connect or careful commit still running posts to io_, which no longer
  // runs: those jobs are dropped with it.
  helper_.stop();
  helper_.join();
}

void group_committer::submit(std::uint64_t sender, store::inbound_message row, completion done) {
  const auto now = clock::now();
  sender_times& times = senders_[sender];
  times.submitted = now;
  if (times.answered) {
    times.previous_turnaround = std::exchange(times.turnaround, now - *std::exchange(times.answered, std::nullopt));
  }
  queue_.push_back({std::move(row), [this, sender, done = std::move(done)](commit_result r) {
                      if (const auto it = senders_.find(sender); it != senders_.end()) it->second.answered = clock::now();
                      done(std::move(r));
                    }});
  if (!up_ && now < next_attempt_) {
    fail_queue();  // no AA possible now: let the sender know at once
    return;
  }
  pump();
}

bool group_committer::may_start_group(clock::time_point now) {
  if (queue_.empty()) return false;
  if (groups_in_flight_ == 0 || queue_.size() >= max_group_) return true;
  return queue_.size() + rows_in_flight_ >= active_senders(now);
}

std::size_t group_committer::active_senders(clock::time_point now) {
  std::erase_if(senders_, [now](const auto& sender) { return now - sender.second.submitted > sender_active_window; });
  return senders_.size();
}

std::optional<clock::duration> group_committer::sole_sender_turnaround(clock::time_point now) {
  if (active_senders(now) != 1) return std::nullopt;
  const sender_times& times = senders_.begin()->second;
  if (!times.turnaround || !times.previous_turnaround) return std::nullopt;
  return std::max(*times.turnaround, *times.previous_turnaround);
}

void group_committer::pump() {
  const auto now = clock::now();
  while (may_start_group(now)) {
    lane* best = nullptr;
    for (auto& l : lanes_) {
      if (l->pipe && l->sent.size() < groups_per_connection && (best == nullptr || l->sent.size() < best->sent.size())) {
        best = l.get();
      }
    }
    if (best == nullptr) {
      for (auto& l : lanes_) {
        if (!l->pipe && !l->connecting) connect(*l);
      }
      break;
    }
    send(*best, take(std::min(queue_.size(), max_group_)));
  }
  update_busy();
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

void group_committer::send(lane& l, group g) {
  g.sent_at = clock::now();
  stats_.group_rows.observe(static_cast<double>(g.rows.size()));
  try {
    l.pipe->send(g.rows);
  } catch (const store::store_error& e) {
    // Not sent: nothing of this group can be stored; what was in flight may be.
    log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}, {"error", e.what()}});
    fail_all(g, commit_status::unavailable);
    fail_in_flight(l, e.kind());
    return;
  }
  ++groups_in_flight_;
  rows_in_flight_ += g.rows.size();
  l.sent.push_back(std::move(g));
  if (!l.reading) wait_for(l, direction::read);  // no answer can be there yet
  write_rest(l);
}

// The io_context's readiness is edge-triggered: bytes that arrive between
// the last read and the start of a wait would only be seen with the next
// packet. So every wait starts before one more look (a read or a flush).
void group_committer::wait_for(lane& l, direction d) {
  const bool write = d == direction::write;
  (write ? l.writing : l.reading) = true;
  l.socket.async_wait(write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
                      [this, &l, write, generation = l.generation](const boost::system::error_code& ec) {
                        if (generation != l.generation) return;
                        (write ? l.writing : l.reading) = false;
                        // Cancelled when the lane went idle: nothing to do,
                        // unless a group was sent since.
                        if (l.sent.empty()) return;
                        if (ec && ec != asio::error::operation_aborted) {
                          log::warn("commit_failed", {{"kind", "in_doubt"}, {"error", ec.message()}});
                          fail_in_flight(l, store::failure::in_doubt);
                          pump();
                          return;
                        }
                        if (write) {
                          write_rest(l);
                        } else {
                          read_results(l);
                        }
                        pump();
                      });
}

void group_committer::write_rest(lane& l) {
  try {
    if (l.pipe->flush() || l.writing) return;
    wait_for(l, direction::write);  // then flush once more
    l.pipe->flush();
  } catch (const store::store_error& e) {
    log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"error", e.what()}});
    fail_in_flight(l, e.kind());
  }
}

void group_committer::read_results(lane& l) {
  try {
    for (;;) {
      while (auto outcome = l.pipe->finished()) finish(l, std::move(*outcome));
      if (l.sent.empty()) {
        // Idle: no wait may stay behind, or it would keep the io_context
        // (and a graceful stop) waiting for a socket that has nothing to say.
        boost::system::error_code ignored;
        if (l.reading || l.writing) l.socket.cancel(ignored);
        return;
      }
      if (l.reading) return;
      wait_for(l, direction::read);  // then read once more
    }
  } catch (const store::store_error& e) {
    log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"error", e.what()}});
    fail_in_flight(l, e.kind());
  }
}

void group_committer::finish(lane& l, store::pipeline_outcome outcome) {
  group g = std::move(l.sent.front());
  l.sent.pop_front();
  const std::size_t n = g.rows.size();
  if (!outcome.stored || outcome.ids.size() != n) {
    // Rejected (a key already stored, a bad row), or stored with the rows
    // returned in another order: store_inbound sorts it out (for the
    // latter it finds every key stored, with this group's own ACKs).
    stats_.careful_groups.add();
    commit_carefully(std::move(g));
    return;
  }
  stats_.commit_seconds.observe(std::chrono::duration<double>(clock::now() - g.sent_at).count());
  mark(true);
  verdicts done;
  done.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    done.emplace_back(std::move(g.done[i]),
                      commit_result{commit_status::stored, {store::inbound_outcome::stored, outcome.ids[i], {}},
                                    std::move(g.rows[i])});
  }
  complete(std::move(done));
  left_flight(1, n);
}

void group_committer::connect(lane& l) {
  l.connecting = true;
  asio::post(helper_, [this, &l] {
    auto pipe = std::make_unique<store::inbound_pipeline>(conninfo_);
    std::string error;
    try {
      pipe->connect();
    } catch (const store::store_error& e) {
      error = e.what();
      pipe.reset();
    }
    asio::post(io_, [this, &l, pipe = std::move(pipe), error = std::move(error)]() mutable {
      l.connecting = false;
      if (pipe) {
        connected(l, std::move(pipe));
        return;
      }
      connect_failed(error);
    });
  });
}

void group_committer::connected(lane& l, std::unique_ptr<store::inbound_pipeline> pipe) {
  const int fd = ::dup(pipe->socket());
  if (fd < 0) {
    connect_failed(std::system_category().message(errno));
    return;
  }
  l.socket.assign(fd);
  l.pipe = std::move(pipe);
  mark(true);
  pump();
}

void group_committer::connect_failed(const std::string& error) {
  log::warn("commit_failed", {{"kind", "transient"}, {"error", error}});
  mark(false);
  fail_queue();
  update_busy();
}

void group_committer::fail_in_flight(lane& l, store::failure kind) {
  mark(false);
  std::size_t rows = 0;
  const std::size_t groups = l.sent.size();
  for (group& g : l.sent) {
    rows += g.rows.size();
    fail_all(g, kind == store::failure::in_doubt ? commit_status::in_doubt : commit_status::unavailable);
  }
  l.sent.clear();
  left_flight(groups, rows);
  l.pipe.reset();
  ++l.generation;
  l.reading = l.writing = false;
  boost::system::error_code ignored;
  l.socket.close(ignored);
  fail_queue();
}

void group_committer::commit_carefully(group g) {
  asio::post(helper_, [this, g = std::move(g)]() mutable {
    bool reachable = true;
    verdicts done = store_carefully(g, reachable);
    asio::post(io_, [this, done = std::move(done), reachable]() mutable {
      const std::size_t n = done.size();
      mark(reachable);
      complete(std::move(done));
      left_flight(1, n);
      if (!up_) fail_queue();
      pump();
    });
  });
}

group_committer::verdicts group_committer::store_carefully(group& g, bool& reachable) {
  verdicts done;
  done.reserve(g.rows.size());
  auto answer_all = [&](commit_status status) {
    for (std::size_t i = 0; i < g.rows.size(); ++i) {
      done.emplace_back(std::move(g.done[i]), commit_result{status, {}, std::move(g.rows[i])});
    }
  };
  try {
    // Connecting sends no row: when it fails, nothing of the group is stored.
    careful_db_.connect();
  } catch (const store::store_error& e) {
    reachable = false;
    log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}, {"error", e.what()}});
    answer_all(commit_status::unavailable);
    return done;
  }
  try {
    std::vector<store::inbound_result> results;
    try {
      results = store::store_inbound(careful_db_, g.rows);
    } catch (const store::store_error& e) {
      // Another connection's uncommitted insert of the same key can
      // deadlock with this one (PostgreSQL aborts one, a transient error),
      // and a connection can have gone stale: one immediate retry, which
      // also resolves (through the dedupe key) whatever the first try
      // stored before it failed.
      if (e.kind() != store::failure::transient) throw;
      results = store::store_inbound(careful_db_, g.rows);
    }
    for (std::size_t i = 0; i < g.rows.size(); ++i) {
      const auto status = results[i].outcome == store::inbound_outcome::stored      ? commit_status::stored
                          : results[i].outcome == store::inbound_outcome::duplicate ? commit_status::duplicate
                                                                                     : commit_status::conflict;
      done.emplace_back(std::move(g.done[i]), commit_result{status, std::move(results[i]), std::move(g.rows[i])});
    }
  } catch (const store::store_error& e) {
    if (e.kind() == store::failure::permanent && g.rows.size() > 1) {
      // One bad row must not fail its neighbours: store them one by one.
      for (std::size_t i = 0; i < g.rows.size(); ++i) {
        group one;
        one.rows.push_back(std::move(g.rows[i]));
        one.done.push_back(std::move(g.done[i]));
        verdicts part = store_carefully(one, reachable);
        std::move(part.begin(), part.end(), std::back_inserter(done));
      }
      return done;
    }
    const bool database_failure = e.kind() != store::failure::permanent;
    // A permanent error's text may quote row values; only connection-level
    // failures are safe (and useful) to log verbatim.
    if (database_failure) {
      reachable = false;
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}, {"error", e.what()}});
    } else {
      log::warn("commit_failed", {{"kind", store::to_string(e.kind())}, {"rows", g.rows.size()}});
    }
    // The insert was sent, and it commits by itself: a connection lost
    // (or any failure other than the statement's own refusal) may have
    // come after the commit. Never AR a message that may be stored.
    answer_all(database_failure ? commit_status::in_doubt : commit_status::failed);
  }
  return done;
}

void group_committer::left_flight(std::size_t groups, std::size_t rows) {
  groups_in_flight_ -= groups;
  rows_in_flight_ -= rows;
  update_busy();
}

void group_committer::mark(bool up) {
  if (up) {
    if (!up_) log::info("database_reconnected");
    up_ = true;
    backoff_ = std::chrono::milliseconds{0};
  } else {
    up_ = false;
    backoff_ = std::min(max_backoff, backoff_ == std::chrono::milliseconds{0} ? first_backoff : backoff_ * 2);
    next_attempt_ = clock::now() + backoff_;
  }
}

void group_committer::fail_queue() {
  if (queue_.empty()) return;
  group g = take(queue_.size());
  fail_all(g, commit_status::unavailable);
  update_busy();
}

void group_committer::fail_all(group& g, commit_status status) {
  verdicts done;
  done.reserve(g.done.size());
  for (std::size_t i = 0; i < g.done.size(); ++i) {
    done.emplace_back(std::move(g.done[i]), commit_result{status, {}, std::move(g.rows[i])});
  }
  complete(std::move(done));
}

void group_committer::complete(verdicts done) {
  asio::post(io_, [done = std::move(done)]() mutable {
    for (auto& [callback, result] : done) callback(std::move(result));
  });
}

void group_committer::update_busy() {
  bool connecting = false;
  for (const auto& l : lanes_) connecting = connecting || l->connecting;
  const bool busy = !queue_.empty() || groups_in_flight_ > 0 || connecting;
  if (busy && !busy_) busy_.emplace(io_.get_executor());
  if (!busy && busy_) busy_.reset();
}

}  // namespace radbridge::ingest
