// Load for the scenarios, sent by the product's own `radbridge replay`:
// filler messages (the ADT^A08 sample under new control ids: stored, ACKed
// and filtered, as most of a RIS feed is), message files, a replay started as
// a child process, and what it reports (its --ack-log and its summary).
//
// Guarantees: every filler control id is distinct for distinct (prefix, n);
// read_acks gives each control id its last outcome in the ack log (a resend
// after a reconnect is one message to replay, answered once).
// Not provided: any check of the answers; the scenarios decide what counts.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "radbridge_process.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::reliability {

namespace fs = std::filesystem;

// The ADT^A08 sample with MSH-10 = prefix + n.
inline std::string filler_message(const std::string& prefix, long n) {
  static const std::string sample = test::read_file(test::source_dir() / "samples/hl7/adt_a08_update_demographics.hl7");
  return test::replace_all(sample, "EPC20240313103344800", prefix + std::to_string(n));
}

inline void write_messages(const fs::path& file, const std::vector<std::string>& messages) {
  std::ofstream out(file, std::ios::binary);
  for (const std::string& m : messages) out << m << "\n";
  REQUIRE_MESSAGE(out.flush(), "cannot write " << file);
}

struct replay_options {
  int connections = 4;
  long rate = 0;  // messages per second in total; 0: as fast as ACKs come
  long give_up_s = 600;
  long timeout_ms = 30000;
};

// `radbridge replay` of `file` to 127.0.0.1:port with an ack log; its
// summary (stdout) and errors go to `log`.
inline test::child_process start_replay(std::uint16_t port, const fs::path& file, const fs::path& ack_log,
                                        const fs::path& log, const replay_options& o = {}) {
  std::vector<std::string> args{"replay",
                                "--to",          "127.0.0.1:" + std::to_string(port),
                                "--connections", std::to_string(o.connections),
                                "--give-up-s",   std::to_string(o.give_up_s),
                                "--timeout-ms",  std::to_string(o.timeout_ms),
                                "--ack-log",     ack_log.string()};
  if (o.rate > 0) args.insert(args.end(), {"--rate", std::to_string(o.rate)});
  args.push_back(file.string());
  return start_radbridge(std::move(args), log, std::chrono::seconds(2));
}

// Control id -> outcome (AA, AE, ..., none, ack_mismatch), from an ack log.
inline std::map<std::string, std::string> read_acks(const fs::path& ack_log) {
  std::map<std::string, std::string> out;
  std::istringstream in(test::read_file(ack_log));
  for (std::string id, code, latency; in >> id >> code >> latency;) out[id] = code;
  return out;
}

// A "name: value" line of replay's summary in `log` (the last one), or "".
inline std::string summary_field(const fs::path& log, const std::string& name) {
  const std::string text = test::read_file(log);
  const std::size_t at = text.rfind("\n" + name + ": ");
  if (at == std::string::npos) return {};
  const std::size_t start = at + name.size() + 3;
  return text.substr(start, text.find('\n', start) - start);
}

// p99 (or p50, p95) in ms from replay's "latency_ms: p50=... p95=... p99=..." line; -1 when absent.
inline double summary_latency(const fs::path& log, const std::string& which) {
  const std::string line = summary_field(log, "latency_ms");
  const std::size_t at = line.find(which + "=");
  return at == std::string::npos ? -1 : std::stod(line.substr(at + which.size() + 1));
}

}  // namespace radbridge::reliability
