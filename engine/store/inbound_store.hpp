// The inbound queue: storing received messages, exactly once per dedupe key.
//
// `store_inbound` writes a group of messages with ONE statement and returns
// after it has committed (synchronous_commit on), so the caller may then send
// every ACK of the group: that is the store-then-ACK rule, with one fsync for
// many messages. The dedupe key is (interface, MSH-3, MSH-4, MSH-10), so a
// peer on one interface cannot claim another interface's keys. A message
// whose key is already stored is not stored again; the result says whether
// its payload is the same (a resend: answer with the stored ACK, byte for
// byte) or different (a conflict: the caller decides, by default AE with
// ERR-3 205). Throws
// store_error; after a throw the group may or may not be stored (the insert
// commits by itself, the lookup after it may fail), so the caller must not
// ACK: the sender's resend is resolved through the dedupe key.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace radbridge::store {

struct inbound_message {
  std::string interface;
  std::string sending_application;
  std::string sending_facility;
  std::string control_id;
  std::string message_type;
  std::string trigger_event;
  std::string payload;         // the frame as received
  std::string payload_sha256;  // 32 raw bytes
  std::string ack_code;        // AA, CA, ...
  std::string ack;             // the ACK that will be sent if this row is stored
};

enum class inbound_outcome { stored, duplicate, conflict };

struct inbound_result {
  inbound_outcome outcome;
  std::int64_t id;         // the stored row (the earlier one for duplicate/conflict)
  std::string stored_ack;  // duplicate: the ACK sent the first time
};

std::vector<inbound_result> store_inbound(database& db, std::span<const inbound_message> group);

}  // namespace radbridge::store
