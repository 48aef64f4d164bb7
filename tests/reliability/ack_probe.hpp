// A well-behaved sender on its own thread: one filler message every
// `interval` to the engine's listener, each ACK timed, so a scenario can say
// when the engine answered again (after a database outage) and how fast it
// answered others during an attack.
//
// Guarantees: control ids are PREFIX0, PREFIX1, ... (distinct per prefix);
// a message without an ACK within `timeout` is recorded with an empty code
// and the next one reconnects; with `fresh_connection` every message gets its
// own connection (connect time included in its latency), closed after the
// ACK. stop() (also the destructor) ends the thread after the message in
// hand. samples() may be called while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mllp_peer.hpp"
#include "traffic.hpp"

namespace radbridge::reliability {

class ack_probe {
 public:
  using clock_type = std::chrono::steady_clock;
  struct sample {
    clock_type::time_point sent;
    std::string control_id;
    std::string code;  // MSA-1, or empty: no ACK
    double ms = 0;
  };

  ack_probe(std::uint16_t port, std::string source, std::string prefix, std::chrono::milliseconds interval,
            std::chrono::milliseconds timeout, bool fresh_connection = false)
      : peer_(std::move(source), port),
        prefix_(std::move(prefix)),
        interval_(interval),
        timeout_(timeout),
        fresh_(fresh_connection) {
    thread_ = std::thread([this] { run(); });
  }
  ~ack_probe() { stop(); }
  ack_probe(const ack_probe&) = delete;
  ack_probe& operator=(const ack_probe&) = delete;

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::vector<sample> samples() const {
    const std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  void run() {
    auto next = clock_type::now();
    for (long n = 0; !stopping_; ++n) {
      sample s;
      s.sent = clock_type::now();
      s.control_id = prefix_ + std::to_string(n);
      const ack_answer answer = peer_.exchange(filler_message(prefix_, n), timeout_);
      s.code = answer.code;
      s.ms = answer.ms;
      if (fresh_) peer_.close();
      {
        const std::lock_guard lock(mutex_);
        samples_.push_back(s);
      }
      next += interval_;
      while (!stopping_ && clock_type::now() < next) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (clock_type::now() > next + interval_) next = clock_type::now();  // no burst to catch up after a stall
    }
  }

  mllp_peer peer_;
  std::string prefix_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  bool fresh_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<sample> samples_;
  std::thread thread_;
};

}  // namespace radbridge::reliability
