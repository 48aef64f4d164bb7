#include "route/patient_identity.hpp"

#include <fmt/format.h>

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

}  // namespace radbridge::route
