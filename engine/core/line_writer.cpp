#include "core/line_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace radbridge::log {

namespace {

constexpr std::size_t write_soon_bytes = 64 * 1024;
constexpr std::size_t max_pending_bytes = 8 * 1024 * 1024;
constexpr std::chrono::milliseconds gather_time{20};
constexpr std::chrono::seconds flush_limit{2};

void write_all(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(STDERR_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing useful left to do
    done += static_cast<std::size_t>(n);
  }
}

class line_writer {
 public:
  line_writer() : thread_([this] { run(); }) {
    thread_.detach();  // lives until the process ends; flush() drains it at exit
    std::atexit([] { instance().flush(); });
  }

  static line_writer& instance() {
    static line_writer* writer = new line_writer;  // never destroyed: threads may log during exit
    return *writer;
  }

  bool append(std::string&& line) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (pending_.size() + line.size() > max_pending_bytes) return false;
      wake = pending_.empty() || pending_.size() + line.size() >= write_soon_bytes;
      pending_ += line;
    }
    if (wake) wake_.notify_one();
    return true;
  }

  // Bounded: a stderr nobody reads must not keep the process from exiting.
  void flush() {
    std::unique_lock lock(mutex_);
    flush_requested_ = true;
    wake_.notify_one();
    drained_.wait_for(lock, flush_limit, [&] { return pending_.empty() && !writing_; });
    flush_requested_ = false;
  }

 private:
  void run() {
    std::string batch;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !pending_.empty(); });
      // Let a batch gather, unless it is already large or exit is waiting.
      wake_.wait_for(lock, gather_time,
                     [&] { return flush_requested_ || pending_.size() >= write_soon_bytes; });
      batch.swap(pending_);
      writing_ = true;
      lock.unlock();
      write_all(batch);
      batch.clear();
      lock.lock();
      writing_ = false;
      if (pending_.empty()) drained_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::string pending_;
  bool writing_ = false;
  bool flush_requested_ = false;
  std::thread thread_;
};

}  // namespace

bool write_line(std::string line) { return line_writer::instance().append(std::move(line)); }

}  // namespace radbridge::log
