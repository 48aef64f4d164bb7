// What the engine stored against what it answered: every control id a
// scenario's senders got an AA for must be in inbound_messages, and no
// message may be stored twice.
//
// audit_acks reads inbound_messages once; `answers` maps each control id to
// its last MSA-1 (read_acks, with a probe's answers added). Not provided: a
// verdict; the scenario checks the counts.
#pragma once

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "support/postgres_server.hpp"

namespace radbridge::reliability {

struct ack_audit {
  std::size_t aa = 0;              // control ids answered AA
  std::size_t stored = 0;          // distinct control ids in inbound_messages
  std::size_t aa_not_stored = 0;   // answered AA, not in inbound_messages
  std::string first_not_stored;    // the first of those (by control id)
  std::string keys_stored_twice;   // (sending application, facility, control id) with more than one row, from psql
};

inline ack_audit audit_acks(const test::postgres_server& pg, const std::map<std::string, std::string>& answers) {
  std::set<std::string> stored;
  std::istringstream rows(pg.psql("SELECT control_id FROM inbound_messages"));
  for (std::string id; rows >> id;) stored.insert(id);
  ack_audit a;
  a.stored = stored.size();
  for (const auto& [id, code] : answers) {
    if (code != "AA") continue;
    ++a.aa;
    if (stored.count(id) != 0) continue;
    if (a.aa_not_stored++ == 0) a.first_not_stored = id;
  }
  a.keys_stored_twice =
      pg.psql("SELECT count(*) FROM (SELECT 1 FROM inbound_messages GROUP BY sending_application, "
              "sending_facility, control_id HAVING count(*) > 1) d");
  return a;
}

}  // namespace radbridge::reliability
