// What the admin API (engine/admin) reads and changes: messages found by
// their header fields (or by the study or patient of the jobs they started),
// one message with its ACK and jobs, dead letters
// (listed, discarded), and the admin audit trail (sql/0013). Every call is
// one transaction; throws store_error. Time filters are ISO 8601 text,
// which PostgreSQL parses (a bad one is a permanent store_error).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace radbridge::store {

struct message_filter {
  std::optional<std::string> control_id;  // MSH-10, exactly
  std::optional<std::string> interface;
  std::optional<std::string> type;        // "ADT" or "ADT^A01"
  std::optional<std::string> ack_code;    // AA, AE, ...
  std::optional<std::string> status;      // received, routed, filtered, failed
  std::optional<std::string> since;       // received at or after
  std::optional<std::string> until;       // received before
  // Messages that started jobs for a study or a patient (phi): the study's
  // accession number; the patient's identifier (PID-3.1), with its assigning
  // authority (PID-3.4) when given. The patient search reads the jobs
  // created since `since`, or in the last 30 days.
  std::optional<std::string> accession;
  std::optional<std::string> patient_id;
  std::optional<std::string> patient_authority;
  std::int64_t before_id = 0;             // paging: ids below this (0: from the newest)
  std::size_t limit = 50;
};

struct message_summary {
  std::int64_t id = 0;
  std::string interface;
  std::string sending_application;  // MSH-3
  std::string sending_facility;     // MSH-4
  std::string control_id;           // MSH-10
  std::string type;                 // MSH-9.1^MSH-9.2
  std::string received_at;          // ISO 8601, UTC
  std::string status;
  std::string ack_code;
  std::int64_t bytes = 0;
};

struct message_job {
  std::int64_t id = 0;
  std::string route;
  std::string status;
  std::string acuity;  // empty: none
  std::string study_key;
};

struct message_detail {
  message_summary summary;
  std::string payload;  // the frame as received
  std::string ack;      // the ACK sent
  std::vector<message_job> jobs;
};

// Newest first.
std::vector<message_summary> search_messages(database& db, const message_filter& filter);
std::optional<message_detail> message_by_id(database& db, std::int64_t id);

struct dead_letter {
  std::int64_t id = 0;
  std::int64_t job_id = 0;
  std::string destination;
  std::string output;
  std::string identity;
  int attempts = 0;
  std::string last_error;
  std::string created_at;  // ISO 8601, UTC
};

// Oldest first; one destination's or all.
std::vector<dead_letter> dead_letters(database& db, const std::optional<std::string>& destination, std::size_t limit);
// A dead letter is never sent: false when `id` is no dead letter (any more).
bool discard_dead(database& db, std::int64_t id, std::string_view who, std::string_view reason);

struct admin_access {
  std::string who;     // the token's name
  std::string role;    // viewer, operator, phi
  std::string action;  // e.g. read_message, requeue, discard
  std::string target;  // e.g. inbound_messages/42
  std::string client;  // the remote address
  std::string detail;
};

void record_admin_access(database& db, const admin_access& access);

}  // namespace radbridge::store
