// A TCP proxy on 127.0.0.1 in front of a real server (Orthanc in the PACS
// scenario), to make that server down, hung or slow as its clients see it
// without touching the server itself.
//
// Modes, changed at any time from any thread:
// - pass: bytes flow both ways as they come;
// - refuse: the listening socket is closed (connects are refused) and every
//   open connection is reset; leaving it listens again on the same port;
// - stall: connections are accepted and held, and nothing flows either way
//   (a server that hangs);
// - slow: the server's bytes reach the client at `slow_bytes_per_s`.
// Guarantees: one thread does all the work; the destructor stops it and
// closes every socket. Not provided: TLS termination, IPv6, more than a few
// hundred connections.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace radbridge::reliability {

class tcp_proxy {
 public:
  enum class mode { pass, refuse, stall, slow };

  explicit tcp_proxy(std::uint16_t target_port, std::size_t slow_bytes_per_s = 128 * 1024);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const { return port_; }
  void set(mode m) { wanted_ = m; }

 private:
  void run();

  std::uint16_t target_port_;
  std::size_t slow_bytes_per_s_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<mode> wanted_{mode::pass};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace radbridge::reliability
