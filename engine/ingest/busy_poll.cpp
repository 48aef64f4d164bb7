#include "ingest/busy_poll.hpp"

namespace radbridge::ingest {

bool spin_pays(std::optional<std::chrono::steady_clock::duration> sole_turnaround, std::chrono::microseconds spin) {
  return sole_turnaround && *sole_turnaround <= spin / 2;
}

void run_busy_polling(boost::asio::io_context& io, std::chrono::microseconds spin,
                      const std::function<bool()>& may_spin) {
  if (spin <= std::chrono::microseconds::zero()) {
    io.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  // poll() stops the io_context once it has no work left, as run() would
  // return: every loop below ends there.
  while (!io.stopped()) {
    if (io.poll() > 0 || io.stopped()) continue;
    bool ran = false;
    if (may_spin()) {
      const clock::time_point until = clock::now() + spin;
      while (!ran && !io.stopped() && clock::now() < until) ran = io.poll() > 0;
    }
    if (!ran && !io.stopped()) io.run_one();  // sleeps until something is ready
  }
}

}  // namespace radbridge::ingest
