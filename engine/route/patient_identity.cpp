#include "route/patient_identity.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "hl7/reencode.hpp"

#include "route/match.hpp"

namespace radbridge::route {

std::optional<std::string> order_patient_id(const hl7::message& order, const patient_identifier_rule& rule) {
  for (int repetition = 1;; ++repetition) {
    const std::string field = fmt::format("PID-3[{}]", repetition);
    const auto at = [&](const std::string& suffix) { return value_at(order, *hl7::parse_path(field + suffix)); };
    if (!order.raw(*hl7::parse_path(field))) return std::nullopt;
    std::string id = at(".1");
    if (id.empty()) continue;
    if (rule.assigner.empty() || at(".4.1") == rule.assigner) return id;
  }
}

std::optional<std::string> check_study_patient(const patient_identifier_rule& rule, const std::string& order_patient,
                                               const std::string& study_patient_id,
                                               const std::string& study_patient_issuer) {
  const study_patient_rule& s = rule.study;
  if (!s.issuer.empty() && !study_patient_issuer.empty() && study_patient_issuer != s.issuer) {
    return "the study's IssuerOfPatientID is not the route's issuer";
  }
  std::string expected;
  switch (s.how) {
    case study_patient_rule::kind::same: expected = order_patient; break;
    case study_patient_rule::kind::prefix: expected = s.prefix + order_patient; break;
    case study_patient_rule::kind::table: {
      const auto found = s.table.find(order_patient);
      if (found == s.table.end()) return "the order's patient is not in the patient table";
      expected = found->second;
      break;
    }
  }
  if (study_patient_id.empty()) return "the study has no PatientID";
  if (study_patient_id != expected) return "the order's patient is not the study's PatientID";
  return std::nullopt;
}

namespace {

constexpr char key_separator = '\x1f';

std::string key_of(std::string_view authority, std::string_view id) {
  std::string key(authority);
  key += key_separator;
  key += id;
  return key;
}

// Index (in segment order) of the n-th segment named `name`, or nullopt.
std::optional<std::size_t> segment_index(const hl7::message& m, std::string_view name, int occurrence) {
  for (std::size_t i = 0; i < m.segment_count(); ++i) {
    if (m.segment(i).name() == name && --occurrence == 0) return i;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> identifier_keys(const hl7::message& m, std::string_view field) {
  std::vector<std::string> keys;
  for (int repetition = 1;; ++repetition) {
    const std::string at = fmt::format("{}[{}]", field, repetition);
    const auto path = hl7::parse_path(at);
    if (!path || !m.raw(*path)) return keys;
    const std::string id = value_at(m, *hl7::parse_path(at + ".1"));
    if (id.empty()) continue;
    std::string key = key_of(value_at(m, *hl7::parse_path(at + ".4.1")), id);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(std::move(key));
  }
}

std::vector<std::string> identifiers_by(const std::vector<std::string>& keys, const patient_identifier_rule& rule) {
  std::vector<std::string> ids;
  for (const std::string& key : keys) {
    const std::size_t split = key.find(key_separator);
    if (split == std::string::npos) continue;
    if (rule.assigner.empty() || key.compare(0, split, rule.assigner) == 0) ids.push_back(key.substr(split + 1));
  }
  return ids;
}

std::vector<patient_move> patient_moves(const hl7::message& m) {
  std::vector<patient_move> moves;
  if (m.message_type() != "ADT") return moves;
  int pid = 0;
  int mrg = 0;
  int merged_pid = 0;  // an MRG belongs to the PID before it; a second MRG after one PID is ignored
  for (std::size_t i = 0; i < m.segment_count(); ++i) {
    const std::string_view name = m.segment(i).name();
    if (name == "PID") ++pid;
    if (name != "MRG") continue;
    ++mrg;
    if (pid == 0 || merged_pid == pid) continue;
    merged_pid = pid;
    patient_move move{identifier_keys(m, fmt::format("MRG[{}]-1", mrg)), identifier_keys(m, fmt::format("PID[{}]-3", pid)),
                      pid};
    if (!move.links.empty() && !move.current.empty()) moves.push_back(std::move(move));
  }
  const std::string_view event = m.trigger_event();
  if (mrg == 0 && pid > 0 && (event == "A08" || event == "A31")) {
    patient_move update{{}, identifier_keys(m, "PID-3"), 1};
    std::copy_if(update.current.begin(), update.current.end(), std::back_inserter(update.links),
                 [](const std::string& key) { return key.front() != key_separator; });
    if (!update.links.empty()) moves.push_back(std::move(update));
  }
  return moves;
}

hl7::result<hl7::message> with_patient(const hl7::message& order, const hl7::message& update, int pid_occurrence) {
  const auto target = segment_index(order, "PID", 1);
  const auto source = segment_index(update, "PID", pid_occurrence);
  if (!target || !source) {
    const bool order_lacks = !target;
    const hl7::message& m = order_lacks ? order : update;
    return hl7::error{hl7::errc::missing_required_field, m.bytes().size(),
                      hl7::location{"PID", order_lacks ? 1 : pid_occurrence, 0, 0, 0, 0}};
  }
  auto pid = hl7::reencode_segment(update, update.segment(*source), order.delimiters(), order.charset());
  if (!pid) return pid.error();
  const hl7::segment_view old = order.segment(*target);
  std::string bytes(order.bytes());
  bytes.replace(old.offset(), old.raw().size(), *pid);
  return hl7::message::parse(std::move(bytes));
}

}  // namespace radbridge::route
