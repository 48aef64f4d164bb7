// Hostile peers for the attack scenario, each from its own loopback source
// address so that a per-peer cap can tell them from the well-behaved peers:
// - connection_swarm: up to `count` connections held open, opened at most
//   `opens_per_s` a second; with a `byte_interval` each sends the MLLP start
//   block and then one byte of a message every interval (slowloris),
//   without one it sends nothing (a connection flood). A connection the
//   engine closes is opened again (its slot counts a close), as an attacker
//   would; connects that fail count too.
// - send_big_frame: one connection that sends a start block and then
//   `megabytes` MiB of a message that never ends, as fast as the engine
//   reads, and reports how much went out before the engine closed it.
// Guarantees: the swarm runs on its own thread (poll, non-blocking sockets)
// until stop() or the destructor, which close every socket. Not provided:
// TLS, IPv6.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>

namespace radbridge::reliability {

class connection_swarm {
 public:
  struct counts {
    std::size_t open = 0;    // connections held now
    std::size_t opened = 0;  // connects that succeeded, in all
    std::size_t closed_by_engine = 0;
    std::size_t failed_connects = 0;
    std::size_t bytes_sent = 0;
  };

  connection_swarm(std::string source, std::uint16_t port, std::size_t count, double opens_per_s,
                   std::chrono::milliseconds byte_interval);  // 0: send nothing
  ~connection_swarm();
  connection_swarm(const connection_swarm&) = delete;
  connection_swarm& operator=(const connection_swarm&) = delete;

  void stop();
  counts now() const;

 private:
  void run();

  std::string source_;
  std::uint16_t port_;
  std::size_t count_;
  double opens_per_s_;
  std::chrono::milliseconds byte_interval_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0}, opened_{0}, closed_{0}, failed_{0}, bytes_{0};
  std::thread thread_;
};

struct big_frame_result {
  std::size_t bytes_sent = 0;
  bool closed_by_engine = false;  // the engine closed or reset before everything went out
  double seconds = 0;
};

big_frame_result send_big_frame(const std::string& source, std::uint16_t port, std::size_t megabytes,
                                std::chrono::seconds limit);

}  // namespace radbridge::reliability
