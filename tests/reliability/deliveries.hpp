// What the real receivers got, against what the engine queued for them: for
// one destination, its outbound identities in lane order (MSH-10 for MLLP,
// the Observation identifier for FHIR) and what one or more instances of the
// receiver recorded (a receiver stopped and started again is two instances).
//
// lane_report counts, per destination: identities expected, those received
// at least once, those never received (missing), receptions of identities
// the engine never queued (unexpected), repeated receptions (duplicates), and
// whether the first receptions came in lane order and every repeat was the
// same message (MLLP: type, PID-3, OBR-25 and OBX-5 alike; FHIR: stored once
// per instance, since the server keeps one Observation per identifier).
// ok() is the scenarios' verdict: nothing missing or unexpected, in order,
// repeats identical. check_lanes reports on the pipeline fixture's three
// receiver lanes. Not provided: payload checks beyond those fields.
#pragma once

#include <algorithm>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "json/json_document.hpp"
#include "support/delivery_peers.hpp"
#include "support/postgres_server.hpp"

namespace radbridge::reliability {

struct lane_report {
  std::string destination;
  std::size_t expected = 0, received = 0, missing = 0, unexpected = 0, duplicates = 0;
  bool in_order = true;
  bool repeats_identical = true;
  std::string first_problem;  // e.g. the first missing identity
  bool ok() const { return missing == 0 && unexpected == 0 && in_order && repeats_identical; }
};

inline std::ostream& operator<<(std::ostream& out, const lane_report& r) {
  return out << r.destination << ": expected " << r.expected << ", received " << r.received << ", missing " << r.missing
             << ", unexpected " << r.unexpected << ", duplicates " << r.duplicates << ", in order "
             << (r.in_order ? "yes" : "no") << ", repeats identical " << (r.repeats_identical ? "yes" : "no")
             << (r.first_problem.empty() ? "" : ", first problem: " + r.first_problem);
}

// The destination's outbound identities, in lane order.
inline std::vector<std::string> lane_identities(const test::postgres_server& pg, const std::string& destination) {
  std::vector<std::string> out;
  std::istringstream in(
      pg.psql("SELECT string_agg(identity, ' ' ORDER BY lane_position) FROM outbound_messages "
              "WHERE destination = '" +
              destination + "'"));
  for (std::string id; in >> id;) out.push_back(id);
  return out;
}

// Compares the identities received, in arrival order, with the lane.
inline lane_report compare_lane(const std::string& destination, const std::vector<std::string>& expected,
                                const std::vector<std::string>& arrivals) {
  lane_report r;
  r.destination = destination;
  r.expected = expected.size();
  const std::set<std::string> wanted(expected.begin(), expected.end());
  std::vector<std::string> first_seen;
  std::set<std::string> seen;
  for (const std::string& id : arrivals) {
    if (wanted.count(id) == 0) {
      ++r.unexpected;
      if (r.first_problem.empty()) r.first_problem = "unexpected " + id;
      continue;
    }
    if (seen.insert(id).second) {
      first_seen.push_back(id);
    } else {
      ++r.duplicates;
    }
  }
  r.received = first_seen.size();
  for (const std::string& id : expected) {
    if (seen.count(id) == 0) {
      ++r.missing;
      if (r.first_problem.empty()) r.first_problem = "missing " + id;
    }
  }
  // In order: the first receptions are the lane's identities in lane order.
  std::vector<std::string> expected_seen;
  for (const std::string& id : expected) {
    if (seen.count(id) != 0) expected_seen.push_back(id);
  }
  r.in_order = first_seen == expected_seen;
  if (!r.in_order && r.first_problem.empty()) {
    for (std::size_t i = 0; i < first_seen.size(); ++i) {
      if (first_seen[i] != expected_seen[i]) {
        r.first_problem = "out of order at " + std::to_string(i) + ": " + first_seen[i] + " before " + expected_seen[i];
        break;
      }
    }
  }
  return r;
}

// An MLLP destination: python-hl7 receivers' records, instance after instance.
inline lane_report check_mllp_lane(const test::postgres_server& pg, const std::string& destination,
                                   const std::vector<test::deliver::received>& records) {
  std::vector<std::string> arrivals;
  std::map<std::string, std::string> content;
  bool identical = true;
  for (const auto& r : records) {
    arrivals.push_back(r.control_id);
    std::string what = r.type + "|" + r.pid3 + "|" + r.obr25;
    for (const std::string& v : r.obx5) what += "|" + v;
    const auto [at, inserted] = content.emplace(r.control_id, what);
    if (!inserted && at->second != what) identical = false;
  }
  lane_report report = compare_lane(destination, lane_identities(pg, destination), arrivals);
  report.repeats_identical = identical;
  return report;
}

// The Observation identifier a FHIR request searched for (If-None-Exist
// "identifier=SYSTEM|VALUE", or a conditional update's ?identifier=), or "".
inline std::string requested_identifier(const json::value& request) {
  std::string text;
  if (const json::value* h = request.find("ifNoneExist"); h != nullptr && h->is_string()) text = h->as_string();
  if (text.empty()) {
    if (const json::value* q = request.find("query"); q != nullptr && q->is_string()) text = q->as_string();
  }
  if (const std::size_t bar = text.rfind('|'); bar != std::string::npos) return text.substr(bar + 1);
  if (const std::size_t bar = text.rfind("%7C"); bar != std::string::npos) return text.substr(bar + 3);
  return {};
}

// A FHIR destination: each instance's /control/state, in the order they ran.
inline lane_report check_fhir_lane(const test::postgres_server& pg, const std::string& destination,
                                   const std::vector<json::value>& states) {
  std::vector<std::string> arrivals;
  bool stored_once = true;
  for (const json::value& state : states) {
    std::set<std::string> stored;
    for (const json::value& resource : state.find("resources")->elements()) {
      if (!stored.insert(resource.find("identifier")->as_string()).second) stored_once = false;
    }
    for (const json::value& request : state.find("requests")->elements()) {
      const json::value* status = request.find("status");
      // Only requests the server answered with success: a 5xx or a hang left nothing behind.
      if (status == nullptr || status->as_number() < 200 || status->as_number() >= 300) continue;
      const std::string id = requested_identifier(request);
      if (!id.empty()) arrivals.push_back(id);
    }
  }
  lane_report report = compare_lane(destination, lane_identities(pg, destination), arrivals);
  report.repeats_identical = stored_once;
  return report;
}

// The pipeline fixture's receivers (support/pipeline_fixture.hpp): ris and
// ehr_acuity (the pager) over MLLP, fhir.
inline std::vector<lane_report> check_lanes(const test::postgres_server& pg,
                                            const std::vector<test::deliver::received>& ris,
                                            const std::vector<test::deliver::received>& pager,
                                            const std::vector<json::value>& fhir_states) {
  return {check_mllp_lane(pg, "ris", ris), check_mllp_lane(pg, "ehr_acuity", pager),
          check_fhir_lane(pg, "fhir", fhir_states)};
}

}  // namespace radbridge::reliability
