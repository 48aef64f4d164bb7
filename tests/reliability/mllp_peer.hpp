// A blocking MLLP client for the scenarios' own peers: a well-behaved sender
// that times each ACK, and the raw sockets attackers use. Every connection
// can come from a chosen loopback source address (127.0.0.2, ...), so the
// engine sees distinct peers on one machine.
//
// Guarantees: every call is bounded by the timeout it is given; a peer that
// closes, resets or stays silent gives "no ACK", never an exception or a
// hang. SIGPIPE is never raised (MSG_NOSIGNAL). Not thread-safe per object.
// Not provided: TLS, reconnecting (the caller decides), batching.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/process.hpp"

namespace radbridge::reliability {

// A TCP connection to 127.0.0.1:port from `source` (an IPv4 address; empty:
// the kernel's choice), or an empty descriptor when it fails within `timeout`.
test::unique_fd connect_from(const std::string& source, std::uint16_t port, std::chrono::milliseconds timeout);

// What came back for one message: MSA-1 ("AA", "AE", ...), or empty when no
// ACK came (closed, reset, timed out); the time from the first byte sent to
// the last byte of the answer.
struct ack_answer {
  std::string code;
  double ms = 0;
};

class mllp_peer {
 public:
  mllp_peer(std::string source, std::uint16_t port) : source_(std::move(source)), port_(port) {}

  // Connects when not connected; false when that fails within `timeout`.
  bool connect(std::chrono::milliseconds timeout);
  void close() { fd_.reset(); }

  // Sends `message` (CR-separated segments) in an MLLP block and waits at
  // most `timeout` for the answering block. Connects first when needed (the
  // connect counts in the time). No ACK closes the connection.
  ack_answer exchange(std::string_view message, std::chrono::milliseconds timeout);

 private:
  std::string source_;
  std::uint16_t port_;
  test::unique_fd fd_;
};

}  // namespace radbridge::reliability
