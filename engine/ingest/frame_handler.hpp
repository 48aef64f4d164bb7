// What the listener does with one MLLP frame: protocol logic, no sockets, no
// database, so every answer is testable with byte strings.
//
// The interface's ack_mode may force original or enhanced acknowledgement.
// `decide` parses the frame and returns one of:
//   store   — a valid, accepted message: the inbound row to commit and the
//             AA/CA to send once the commit is durable (never before);
//   reply   — an answer to send at once, nothing stored: AE/CE for malformed
//             HL7 (ERR locates the problem), AR/CR for XML encoding, a type,
//             event, processing id or version the interface does not accept
//             (ERR-3 200/201/202/203), or an MSH-3/MSH-4 that the client
//             certificate may not send as (ERR-3 207 at MSH-3 or MSH-4, a
//             security event);
//   ignore  — nothing to send: the frame is an ACK (never ACK an ACK), or
//             MSH-15/16 asks for no acknowledgement of this outcome.
// `after_commit` turns the store's verdict on a stored/duplicate/conflicting
// row into the bytes to send: the prepared ACK, the ACK stored the first time
// (byte for byte), or AE with ERR-3 205 for a key reused with another payload.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "hl7/ack.hpp"
#include "hl7/error.hpp"
#include "ingest/client_policy.hpp"
#include "store/inbound_store.hpp"

namespace radbridge::ingest {

enum class action { store, reply, ignore };

struct decision {
  action what = action::ignore;
  store::inbound_message row;  // action::store: ready to commit, ack included
  std::string reply;           // action::reply: the bytes to send
  std::string ack_code;        // MSA-1 of reply (or of row.ack)
  std::string reason;          // for logs: a code such as "bad_escape" or "unsupported_type"
  std::string control_id;      // MSH-10 as received, for logs (an identifier, not content)
  std::string type;            // MSH-9.1^MSH-9.2 for metrics: letters, digits and '_' only, else "invalid"
  bool security_event = false; // the refusal is one (reason says which)
};

// Makes ACK control ids and timestamps; the listener's is clock-based.
class ack_stamp {
 public:
  virtual ~ack_stamp() = default;
  virtual std::string next_control_id() = 0;
  virtual std::string timestamp() = 0;
};

class clock_stamp final : public ack_stamp {
 public:
  std::string next_control_id() override;  // "RB" + milliseconds since epoch + a counter
  std::string timestamp() override;        // YYYYMMDDHHMMSS.fff+0000
 private:
  std::uint64_t counter_ = 0;
};

// `client`: what the connection's client certificate may send as (null:
// no TLS client certificate, any sender).
decision decide(const config::interface_settings& iface, std::string frame, ack_stamp& stamp,
                std::string_view application_name = "RADBRIDGE", const client_grant* client = nullptr);

// ERR-8 (and MSA-3) of the AR for a sender the certificate may not send as.
inline constexpr std::string_view sending_application_refused = "sending application not allowed for this client certificate";
inline constexpr std::string_view sending_facility_refused = "sending facility not allowed for this client certificate";

// The bytes to send after the store answered for `row` (empty: send nothing).
std::string after_commit(const config::interface_settings& iface, const store::inbound_message& row,
                         const store::inbound_result& stored, ack_stamp& stamp,
                         std::string_view application_name = "RADBRIDGE");

// AE or AR with ERR-3 207 (application internal error) for a row that was
// not stored; empty when MSH-15 asks for no such answer.
std::string error_reply(const config::interface_settings& iface, const store::inbound_message& row,
                        hl7::ack_code code, std::string_view text, ack_stamp& stamp,
                        std::string_view application_name = "RADBRIDGE");

// True when `type^trigger` matches one of the patterns ("ADT^A01", "ADT^*", "*").
bool type_allowed(const std::vector<std::string>& patterns, std::string_view type, std::string_view trigger);

}  // namespace radbridge::ingest
