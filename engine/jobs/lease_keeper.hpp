// Keeps a job worker's lease alive while the job fetches and infers: a
// thread with its own database connection renews the watched lease every
// third of its length (store::renew_lease). When a renewal is refused (the
// lease ran out and another worker took the job, or the job was cancelled)
// `lost()` turns true and stays so until the next `watch`; the worker then
// discards its work. A renewal that fails on a database error is tried again
// at the next tick. One keeper per worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/lease.hpp"

namespace radbridge::jobs {

class lease_keeper {
 public:
  lease_keeper(std::string conninfo, std::chrono::milliseconds length);
  ~lease_keeper();
  lease_keeper(const lease_keeper&) = delete;
  lease_keeper& operator=(const lease_keeper&) = delete;

  void watch(const store::lease& held);
  void release();
  bool lost() const noexcept { return lost_.load(); }

 private:
  void run(std::string conninfo);

  const std::chrono::milliseconds length_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<store::lease> watched_;
  bool stopping_ = false;
  std::atomic<bool> lost_{false};
  std::thread thread_;
};

}  // namespace radbridge::jobs
