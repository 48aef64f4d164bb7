// Delivery over MLLP (ORU^R01, ADT^A31): one message, one ACK.
//
// The sender keeps one connection to its peer open between sends (a lane
// sends many messages to one receiver) and reconnects when it is gone. One
// attempt is bounded by `timeout`: connect (TCP, and TLS verified against
// ca_file, or the system's CAs when it is empty) plus the wait for the ACK.
// When a kept connection turns out to be dead (the peer closed it while
// idle), the attempt reconnects once and sends again within the same bound;
// receivers dedupe on MSH-10, so that resend is harmless.
//
// What the answer means (outbound.hpp):
//   MSA-1 AA or CA → sent; AE or CE → rejected; AR or CR → retry;
//   MSA-2 other than the item's identity → retry (and the connection is
//   closed, since the peer's answers no longer line up with our messages);
//   no ACK in time, connection refused or closed, an answer that is not an
//   HL7 ACK (no MSA, unknown code, unparseable) → retry.
// A payload whose MSH-10 is not the item's identity (or that has no MSH) is
// rejected before anything is sent: its ACK could never match.
// `detail` names the peer and the outcome ("MLLP 127.0.0.1:2575: ACK AE
// (application error)"); `response` is the ACK as received (empty when none).
//
// Not thread-safe: one send at a time (a lane's thread). Blocking: each send
// runs the connection's coroutines on the sender's own io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "deliver/sender.hpp"

namespace radbridge::deliver {

struct mllp_sender_options {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::string ca_file;  // TLS: PEM CA bundle; empty: the system's CAs
  std::chrono::milliseconds timeout{10'000};
  std::string cert_file;  // TLS: a client certificate (PEM) for receivers that ask for one ...
  std::string key_file;   // ... and its key
};

class mllp_sender final : public sender {
 public:
  // Throws std::invalid_argument for an empty host, port 0, a timeout that
  // is not positive or a client certificate without TLS,
  // std::runtime_error ("TLS: ...") for a CA, certificate or key file that
  // cannot be used. Connects on the first send, not here.
  explicit mllp_sender(mllp_sender_options options);
  ~mllp_sender() override;
  mllp_sender(const mllp_sender&) = delete;
  mllp_sender& operator=(const mllp_sender&) = delete;

  attempt_outcome send(const outbound_item& item) override;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace radbridge::deliver
