#include "jobs/lease_keeper.hpp"

#include "core/log.hpp"
#include "store/database.hpp"
#include "store/job_store.hpp"
#include "store/store_error.hpp"

namespace radbridge::jobs {

lease_keeper::lease_keeper(std::string conninfo, std::chrono::milliseconds length)
    : length_(length), thread_([this, c = std::move(conninfo)]() mutable { run(std::move(c)); }) {}

lease_keeper::~lease_keeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void lease_keeper::watch(const store::lease& held) {
  {
    std::lock_guard lock(mutex_);
    watched_ = held;
    lost_ = false;
  }
  changed_.notify_all();
}

void lease_keeper::release() {
  {
    std::lock_guard lock(mutex_);
    watched_.reset();
  }
  changed_.notify_all();
}

void lease_keeper::run(std::string conninfo) {
  store::database db(std::move(conninfo));
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || watched_; });
    if (stopping_) return;
    const store::lease held = *watched_;
    // Sleep a third of the lease, unless the watch changes first.
    if (changed_.wait_for(lock, length_ / 3, [&] { return stopping_ || !watched_ || watched_->token != held.token; })) {
      continue;
    }
    lock.unlock();
    bool kept = true;
    try {
      kept = store::renew_lease(db, held, length_);
    } catch (const store::store_error& e) {
      log::warn("lease_renewal_failed", {{"job_id", held.id}, {"kind", store::to_string(e.kind())}});
    }
    lock.lock();
    if (!kept && watched_ && watched_->token == held.token) {
      lost_ = true;
      watched_.reset();
    }
  }
}

}  // namespace radbridge::jobs
