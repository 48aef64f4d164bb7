#include "review/report_reading.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "review/report_text.hpp"
#include "route/match.hpp"

namespace radbridge::review {

namespace {

// One OBX: its value type, observation code and values (each repetition of OBX-5, unescaped).
struct observation {
  std::string type;
  std::string code;
  std::string first_code;  // OBX-5.1
  std::vector<std::string> values;
};

hl7::path obx_path(int occurrence, int field, int repetition, int component) {
  hl7::path p;
  p.segment[0] = 'O';
  p.segment[1] = 'B';
  p.segment[2] = 'X';
  p.occurrence = occurrence;
  p.field = field;
  p.repetition = repetition;
  p.component = component;
  return p;
}

std::vector<observation> observations(const hl7::message& m) {
  std::vector<observation> out;
  for (int n = 1; m.find("OBX", n).has_value(); ++n) {
    observation o;
    o.type = route::value_at(m, obx_path(n, 2, 1, 0));
    o.code = route::value_at(m, obx_path(n, 3, 1, 1));
    o.first_code = route::value_at(m, obx_path(n, 5, 1, 1));
    for (int r = 1; m.raw(obx_path(n, 5, r, 0)).has_value(); ++r) o.values.push_back(route::value_at(m, obx_path(n, 5, r, 0)));
    out.push_back(std::move(o));
  }
  return out;
}

bool listed(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string report_text(const route::feedback_rules& rules, const std::vector<observation>& obx) {
  std::string text;
  for (const observation& o : obx) {
    const bool wanted = rules.text_observations.empty() ? (o.type == "TX" || o.type == "FT" || o.type == "ST")
                                                        : listed(rules.text_observations, o.code);
    if (!wanted) continue;
    for (const std::string& line : o.values) text += line + "\n";
  }
  return text;
}

store::stated_finding read_finding(const route::finding_feedback& f, const std::vector<observation>& obx,
                                   const std::string& text) {
  store::stated_finding out{f.label, std::nullopt, std::nullopt};
  if (!f.value_observation.empty()) {
    for (const observation& o : obx) {
      if (o.code == f.value_observation && o.type == "NM" && !o.values.empty()) out.value = number(o.values.front());
    }
    return out;
  }
  if (!f.coded_observation.empty()) {
    for (const observation& o : obx) {
      if (o.code != f.coded_observation) continue;
      if (listed(f.positive, o.first_code)) out.verdict = work::verdict::positive;
      if (listed(f.negative, o.first_code)) out.verdict = work::verdict::negative;
      if (listed(f.uncertain, o.first_code)) out.verdict = work::verdict::uncertain;
    }
  }
  if (!out.verdict && !f.terms.empty()) out.verdict = text_verdict(text, f.terms);
  if (!out.verdict) out.verdict = f.unmentioned;
  return out;
}

}  // namespace

reading_outcome read_report(const route::route& r, const hl7::message& m) {
  if (!r.feedback || !route::matches(r.feedback->match, m)) return {};
  const route::feedback_rules& rules = *r.feedback;
  const std::optional<std::string> key = route::study_key_value(rules.study ? *rules.study : r.study, m);
  if (!key) return {std::nullopt, unread::no_study_key};
  const std::string status = route::value_at(m, rules.status_path);
  store::report_feedback reading;
  reading.route = r.name;
  reading.study_key = *key;
  if (listed(rules.corrected_statuses, status)) {
    reading.status = work::report_status::corrected;
  } else if (!listed(rules.final_statuses, status)) {
    return {std::nullopt, unread::not_final};
  }
  static const hl7::path obr22 = *hl7::parse_path("OBR-22"), msh7 = *hl7::parse_path("MSH-7");
  reading.report_time = route::value_at(m, obr22);
  if (reading.report_time.empty()) reading.report_time = route::value_at(m, msh7);
  const std::vector<observation> obx = observations(m);
  const std::string text = report_text(rules, obx);
  for (const route::finding_feedback& f : rules.findings) {
    store::stated_finding v = read_finding(f, obx, text);
    if (v.verdict || v.value) reading.findings.push_back(std::move(v));
  }
  return {std::move(reading), std::nullopt};
}

}  // namespace radbridge::review
