// Inbound rows for the store tests: an ORM^O01 from RIS at GENHOSP under the
// given control id, with its payload (by default an MSH carrying that id),
// a stand-in hash that differs between payloads of different lengths, and
// the AA that would be sent for it.
#pragma once

#include <string>

#include "store/inbound_store.hpp"

namespace radbridge::test {

inline store::inbound_message inbound_row(const std::string& control_id, std::string payload = {}) {
  store::inbound_message m;
  m.interface = "ris";
  m.sending_application = "RIS";
  m.sending_facility = "GENHOSP";
  m.control_id = control_id;
  m.message_type = "ORM";
  m.trigger_event = "O01";
  m.payload = payload.empty() ? "MSH|^~\\&|RIS|GENHOSP|||20261203||ORM^O01|" + control_id + "|P|2.5\r"
                              : std::move(payload);
  m.payload_sha256 = std::string(32, static_cast<char>(m.payload.size()));
  m.ack_code = "AA";
  m.ack = "MSH|^~\\&|RADBRIDGE||RIS|GENHOSP|20261123||ACK^O01^ACK|A-" + control_id + "|P|2.5\rMSA|AA|" +
          control_id + "\r";
  return m;
}

}  // namespace radbridge::test
