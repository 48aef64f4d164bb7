#include "route/mapping_reader.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "core/secret_file.hpp"

namespace radbridge::route {

namespace {

// The longest SeriesDescription (LO) a pattern is matched against, and so the
// largest repetition count (or group number) that can mean anything.
constexpr unsigned max_pattern_number = 64;

// Whether an ECMAScript pattern has a number over `most` in a repetition
// count ({m}, {m,}, {m,n}) or a back-reference (\N). std::regex overflows a
// signed integer reading such a number past its range (undefined behaviour,
// found by fuzz_mapping) and copies a repeated part once per count, so they
// are refused before it sees them. Braces inside a character class are
// checked too (harmless).
bool number_over(std::string_view pattern, unsigned most) {
  // Reads the digits from `pos`; false when their value exceeds `most`.
  const auto fits = [&](std::size_t& pos) {
    unsigned value = 0;
    for (; pos < pattern.size() && pattern[pos] >= '0' && pattern[pos] <= '9'; ++pos) {
      value = value * 10 + static_cast<unsigned>(pattern[pos] - '0');
      if (value > most) return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    std::size_t pos = i + 1;
    if (pattern[i] == '\\') {
      if (!fits(pos)) return true;  // a back-reference; any other escape reads no digits
      i = std::max(i + 1, pos - 1);  // past the escaped character, `\{` included
      continue;
    }
    if (pattern[i] != '{') continue;
    if (!fits(pos)) return true;
    if (pos < pattern.size() && pattern[pos] == ',' && !fits(++pos)) return true;
  }
  return false;
}

source_position position_of(const std::string& file, const json::value& v) {
  return {file, v.line(), v.column()};
}

class reader {
 public:
  reader(const std::string& file, json_checker& c) : file_(file), c_(c) {}

  void document(const json::value& root, mapping_set& into) {
    bool any = false;
    c_.members(root, "a mapping file",
               {{"$schema", [&](const json::value& v) { std::string ignored; c_.string(v, ignored); }},
                {"routes", [&](const json::value& v) { any = true; routes(v, into.routes); }},
                {"destinations", [&](const json::value& v) { any = true; destinations(v, into.destinations); }}});
    if (root.is_object() && !any) c_.problem(root, "a mapping file needs \"routes\" or \"destinations\"");
  }

 private:
  // Reports the keys of `object` that `required` lists but it lacks.
  void require(const json::value& object, std::string_view what, std::initializer_list<std::string_view> required) {
    if (!object.is_object()) return;
    for (std::string_view key : required) {
      if (object.find(key) == nullptr) c_.problem(object, fmt::format("{} needs \"{}\"", what, key));
    }
  }

  void path(const json::value& v, std::string& text, hl7::path& parsed) {
    c_.string(v, text);
    if (text.empty()) return;
    auto p = hl7::parse_path(text);
    if (!p) {
      c_.problem(v, fmt::format("bad HL7 path \"{}\" (at character {}): expected SEG-F, SEG-F.C or SEG-F.C.S, "
                                "e.g. OBR-4.1 or PID-3[2].4",
                                text, p.error().offset + 1));
      return;
    }
    parsed = *p;
  }

  void code(const json::value& v, coded_concept& out, std::string_view what) {
    c_.members(v, what,
               {{"system", [&](const json::value& x) { c_.string(x, out.system); }},
                {"hl7_system", [&](const json::value& x) { c_.string(x, out.hl7_system); }},
                {"code", [&](const json::value& x) { c_.string(x, out.code); }},
                {"display", [&](const json::value& x) { c_.string(x, out.display); }}});
    if (!v.is_object()) return;
    if (v.find("code") == nullptr) c_.problem(v, fmt::format("{} needs \"code\"", what));
    if (v.find("system") == nullptr || v.find("hl7_system") == nullptr) {
      c_.problem(v, fmt::format("a code without a system: {} needs \"system\" (a URI, for FHIR) and "
                                "\"hl7_system\" (HL7 table 0396, for v2)",
                                what));
    }
  }

  void condition_of(const json::value& v, condition& out) {
    out.where = position_of(file_, v);
    if (!v.is_object()) {
      c_.problem(v, fmt::format("a condition must be an object, not {}", v.kind_name()));
      return;
    }
    auto list = [&](const json::value& x, condition::kind k) {
      out.what = k;
      if (!x.is_array() || x.size() == 0) {
        c_.problem(x, "expected a non-empty array of conditions");
        return;
      }
      for (const json::value& e : x.elements()) condition_of(e, out.children.emplace_back());
    };
    int operators = 0;
    const json::value* first_operator = nullptr;
    auto test = [&](const json::value& x, condition::test_op op) {
      ++operators;
      if (first_operator == nullptr) first_operator = &x;
      out.what = condition::kind::test;
      out.op = op;
      switch (op) {
        case condition::test_op::in:
          c_.strings(x, out.values);
          if (x.is_array() && x.size() == 0) c_.problem(x, "\"in\" needs at least one value");
          break;
        case condition::test_op::exists: {
          bool wanted = true;
          c_.boolean(x, wanted);
          if (x.is_bool() && !wanted) c_.problem(x, "write {\"not\": {\"path\": ..., \"exists\": true}} instead");
          break;
        }
        default: c_.string(x, out.values.emplace_back(), false); break;
      }
    };
    c_.members(v, "a condition",
               {{"all", [&](const json::value& x) { list(x, condition::kind::all); }},
                {"any", [&](const json::value& x) { list(x, condition::kind::any); }},
                {"not",
                 [&](const json::value& x) {
                   out.what = condition::kind::negate;
                   condition_of(x, out.children.emplace_back());
                 }},
                {"path", [&](const json::value& x) { path(x, out.path_text, out.path); }},
                {"equals", [&](const json::value& x) { test(x, condition::test_op::equals); }},
                {"in", [&](const json::value& x) { test(x, condition::test_op::in); }},
                {"prefix", [&](const json::value& x) { test(x, condition::test_op::prefix); }},
                {"exists", [&](const json::value& x) { test(x, condition::test_op::exists); }},
                {"ignore_case", [&](const json::value& x) { c_.boolean(x, out.ignore_case); }}});
    const bool has_path = v.find("path") != nullptr;
    const std::size_t combinators = std::size_t{v.find("all") != nullptr} +
                                    std::size_t{v.find("any") != nullptr} + std::size_t{v.find("not") != nullptr};
    if (combinators + std::size_t{has_path || operators > 0} != 1 || operators > 1) {
      c_.problem(v, "a condition is exactly one of {\"all\": [...]}, {\"any\": [...]}, {\"not\": {...}} or "
                    "{\"path\": ..., and one of \"equals\", \"in\", \"prefix\", \"exists\"}");
    } else if (has_path && operators == 0) {
      c_.problem(v, "a condition on a path needs one of \"equals\", \"in\", \"prefix\", \"exists\"");
    } else if (!has_path && operators == 1) {
      c_.problem(*first_operator, "this test needs a \"path\"");
    }
  }

  void study(const json::value& v, study_key_rule& out) {
    c_.members(v, "\"study\"",
               {{"accession",
                 [&](const json::value& x) {
                   out.by = study_key_rule::kind::accession;
                   path(x, out.path_text, out.path);
                 }},
                {"study_uid",
                 [&](const json::value& x) {
                   out.by = study_key_rule::kind::study_uid;
                   path(x, out.path_text, out.path);
                 }},
                {"verify_uid", [&](const json::value& x) {
                   c_.string(x, out.verify_uid_text, false);
                   out.verify_uid.reset();
                   if (!out.verify_uid_text.empty()) path(x, out.verify_uid_text, out.verify_uid.emplace());
                 }}});
    if (v.is_object() && (v.find("accession") != nullptr) == (v.find("study_uid") != nullptr)) {
      c_.problem(v, "\"study\" needs exactly one of \"accession\" or \"study_uid\" (an HL7 path)");
    }
  }

  void readiness(const json::value& v, readiness_rule& out) {
    c_.members(v, "\"readiness\"",
               {{"settle_ms", [&](const json::value& x) { c_.millis(x, out.settle); }},
                {"max_wait_ms", [&](const json::value& x) { c_.millis(x, out.max_wait); }},
                {"expected_instances", [&](const json::value& x) { c_.count(x, out.expected_instances, 1, 100000); }},
                {"expected_instances_path", [&](const json::value& x) {
                   path(x, out.expected_instances_path_text, out.expected_instances_path.emplace());
                 }}});
  }

  // "same", {"prefix": "..."} or {"table": "file.csv"}, and optionally "issuer" beside it.
  void study_patient(const json::value& v, study_patient_rule& out) {
    if (v.is_string()) return c_.choice(v, out.how, {{"same", study_patient_rule::kind::same}});
    c_.members(v, "\"study_patient\"",
               {{"prefix",
                 [&](const json::value& x) {
                   out.how = study_patient_rule::kind::prefix;
                   c_.string(x, out.prefix);
                 }},
                {"table", [&](const json::value& x) {
                   out.how = study_patient_rule::kind::table;
                   c_.file(x, out.table_file);
                   read_patient_table(x, out);
                 }}});
    if (v.is_object() && v.size() != 1) {
      c_.problem(v, "\"study_patient\" is \"same\", {\"prefix\": \"...\"} or {\"table\": \"file.csv\"}");
    }
  }

  // Lines `order identifier,study PatientID`; blank lines and lines starting with # are skipped.
  void read_patient_table(const json::value& where, study_patient_rule& out) {
    if (out.table_file.empty()) return;
    std::ifstream in(out.table_file);
    if (!in) return c_.problem(where, fmt::format("cannot read the patient table {}", out.table_file));
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line.front() == '#') continue;
      const std::size_t comma = line.find(',');
      if (comma == std::string::npos || comma == 0 || comma + 1 == line.size() ||
          line.find(',', comma + 1) != std::string::npos) {
        return c_.problem(where, fmt::format("{}:{}: expected \"order identifier,study PatientID\"", out.table_file,
                                             number));
      }
      out.table[line.substr(0, comma)] = line.substr(comma + 1);
    }
  }

  void series(const json::value& v, fetch::series_rule& out) {
    c_.members(v, "\"series\"",
               {{"modality", [&](const json::value& x) { c_.strings(x, out.modalities); }},
                {"body_part", [&](const json::value& x) { c_.strings(x, out.body_parts); }},
                {"description",
                 [&](const json::value& x) {
                   c_.string(x, out.description_pattern);
                   if (number_over(out.description_pattern, max_pattern_number)) {
                     c_.problem(x, fmt::format("bad regular expression: a repetition count or back-reference "
                                               "over {} (a SeriesDescription has at most {} characters)",
                                               max_pattern_number, max_pattern_number));
                     return;
                   }
                   try {
                     std::regex check(out.description_pattern, std::regex::ECMAScript | std::regex::icase);
                   } catch (const std::regex_error& e) {
                     c_.problem(x, fmt::format("bad regular expression: {}", e.what()));
                   }
                 }},
                {"prefer", [&](const json::value& x) {
                   c_.choice(x, out.preference,
                             {{"thinnest_slices", fetch::prefer::thinnest_slices},
                              {"most_instances", fetch::prefer::most_instances}});
                 }}});
  }

  void finding(const json::value& v, finding_mapping& out) {
    out.where = position_of(file_, v);
    c_.members(v, "a finding",
               {{"label", [&](const json::value& x) { c_.string(x, out.label); }},
                {"observation", [&](const json::value& x) { code(x, out.observation, "\"observation\""); }},
                {"present", [&](const json::value& x) { code(x, out.present.emplace(), "\"present\""); }},
                {"absent", [&](const json::value& x) { code(x, out.absent.emplace(), "\"absent\""); }},
                {"probability", [&](const json::value& x) { code(x, out.probability.emplace(), "\"probability\""); }},
                {"ucum", [&](const json::value& x) { c_.string(x, out.ucum); }}});
    require(v, "a finding", {"label", "observation"});
    if (!v.is_object()) return;
    const bool coded = v.find("present") || v.find("absent") || v.find("probability");
    if (coded && v.find("ucum")) c_.problem(v, "a finding is either coded (present/absent) or a value with \"ucum\"");
    if (coded && (!v.find("present") || !v.find("absent"))) {
      c_.problem(v, "a coded finding needs both \"present\" and \"absent\"");
    }
    if (!coded && !v.find("ucum")) c_.problem(v, "a finding needs \"present\" and \"absent\" codes, or \"ucum\"");
  }

  void mark(route& r, std::string key, const json::value& v) { r.where_of[std::move(key)] = position_of(file_, v); }

  void acuity(const json::value& v, acuity_rules& out, route& r) {
    std::set<std::string> names;
    auto note_name = [&](const json::value& x, const std::string& name) {
      if (!name.empty() && !names.insert(name).second) c_.problem(x, fmt::format("acuity level \"{}\" repeated", name));
    };
    c_.members(v, "\"acuity\"",
               {{"levels",
                 [&](const json::value& x) {
                   if (!x.is_array()) return c_.problem(x, "\"levels\" must be an array, most urgent first");
                   for (const json::value& e : x.elements()) {
                     acuity_level& level = out.levels.emplace_back();
                     c_.members(e, "an acuity level",
                                {{"name",
                                  [&](const json::value& n) {
                                    c_.string(n, level.name);
                                    note_name(n, level.name);
                                  }},
                                 {"when", [&](const json::value& w) {
                                    triggers(w, level.when, r, fmt::format("acuity/levels/{}/when", out.levels.size() - 1));
                                  }}});
                     require(e, "an acuity level", {"name", "when"});
                   }
                 }},
                {"otherwise",
                 [&](const json::value& x) {
                   c_.string(x, out.otherwise);
                   note_name(x, out.otherwise);
                 }},
                {"critical", [&](const json::value& x) { c_.string(x, out.critical); }}});
    require(v, "\"acuity\"", {"levels"});
    if (v.is_object() && !v.find("otherwise")) names.insert(out.otherwise);
    if (const json::value* critical = v.is_object() ? v.find("critical") : nullptr) {
      if (!names.empty() && !names.contains(out.critical)) {
        c_.problem(*critical, fmt::format("\"critical\" names \"{}\", which is not a level", out.critical));
      }
    }
  }

  void triggers(const json::value& v, std::vector<acuity_trigger>& out, route& r, const std::string& key) {
    if (!v.is_array() || v.size() == 0) return c_.problem(v, "\"when\" must be a non-empty array");
    for (const json::value& e : v.elements()) {
      mark(r, fmt::format("{}/{}", key, out.size()), e);
      acuity_trigger& t = out.emplace_back();
      c_.members(e, "an acuity trigger",
                 {{"finding", [&](const json::value& x) { c_.string(x, t.label); }},
                  {"at_least", [&](const json::value& x) { c_.number(x, t.at_least, -1e12, 1e12); }},
                  {"change", [&](const json::value& x) { changes(x, t.changes); }}});
      require(e, "an acuity trigger", {"finding"});
      if (e.is_object() && (e.find("at_least") == nullptr) == (e.find("change") == nullptr)) {
        c_.problem(e, "an acuity trigger needs \"at_least\" or \"change\", one of the two");
      }
    }
  }

  // ["growing", "new"]: how a value finding changed since the prior study.
  void changes(const json::value& v, std::vector<change_kind>& out) {
    std::vector<std::string> names;
    c_.strings(v, names);
    if (v.is_array() && v.size() == 0) c_.problem(v, "\"change\" needs at least one of absent, new, stable, growing, shrinking, resolved");
    for (const std::string& n : names) {
      if (const auto k = parse_change_kind(n)) {
        out.push_back(*k);
      } else {
        c_.problem(v, fmt::format("\"{}\" is not a change: absent, new, stable, growing, shrinking or resolved", n));
      }
    }
  }

  void priors(const json::value& v, prior_rules& out) {
    out.where = position_of(file_, v);
    c_.members(v, "\"priors\"",
               {{"modality", [&](const json::value& x) { c_.strings(x, out.modalities); }},
                {"body_part", [&](const json::value& x) { c_.strings(x, out.body_parts); }},
                {"within_days", [&](const json::value& x) { c_.count(x, out.within_days, 1, 36500); }},
                {"findings", [&](const json::value& x) {
                   c_.strings(x, out.findings);
                   if (x.is_array() && x.size() == 0) c_.problem(x, "\"findings\" needs at least one value finding");
                 }},
                {"present_at_least", [&](const json::value& x) { c_.number(x, out.present_at_least, 0, 1e9); }},
                {"change_at_least", [&](const json::value& x) { c_.number(x, out.change_at_least, 0, 1e9); }},
                {"change_percent_at_least",
                 [&](const json::value& x) { c_.number(x, out.change_percent_at_least, 0, 1e6); }}});
    require(v, "\"priors\"", {"findings"});
  }

  void adt(const json::value& v, adt_settings& out, route& r) {
    mark(r, "adt", v);
    c_.members(v, "\"adt\"",
               {{"min_level",
                 [&](const json::value& x) {
                   mark(r, "adt/min_level", x);
                   c_.string(x, out.min_level);
                 }},
                {"field", [&](const json::value& x) { path(x, out.field_text, out.field); }},
                {"codes", [&](const json::value& x) {
                   if (!x.is_object()) return c_.problem(x, "\"codes\" must be an object: level name -> value");
                   for (const json::member& m : x.members()) c_.string(m.val, out.codes[m.key]);
                 }}});
    require(v, "\"adt\"", {"field", "codes"});
  }

  void outputs(const json::value& v, std::map<output_kind, std::vector<std::string>>& out, route& r) {
    auto names = [&](output_kind k) {
      return [&, k](const json::value& x) {
        c_.strings(x, out[k]);
        if (!x.is_array()) return;
        for (std::size_t i = 0; i < x.size(); ++i) mark(r, fmt::format("outputs/{}/{}", to_string(k), i), x[i]);
      };
    };
    c_.members(v, "\"outputs\"",
               {{"oru", names(output_kind::oru)},
                {"adt", names(output_kind::adt)},
                {"observation", names(output_kind::observation)},
                {"sr", names(output_kind::sr)}});
  }

  // One finding's rules in "feedback": a coded OBX and terms (a present/absent finding), or a value.
  void finding_feedback_of(const json::value& v, finding_feedback& out) {
    out.where = position_of(file_, v);
    c_.members(v, "a feedback finding",
               {{"finding", [&](const json::value& x) { c_.string(x, out.label); }},
                {"coded",
                 [&](const json::value& x) {
                   c_.members(x, "\"coded\"",
                              {{"observation", [&](const json::value& y) { c_.string(y, out.coded_observation); }},
                               {"positive", [&](const json::value& y) { c_.strings(y, out.positive); }},
                               {"negative", [&](const json::value& y) { c_.strings(y, out.negative); }},
                               {"uncertain", [&](const json::value& y) { c_.strings(y, out.uncertain); }}});
                   require(x, "\"coded\"", {"observation", "positive", "negative"});
                 }},
                {"terms",
                 [&](const json::value& x) {
                   c_.strings(x, out.terms);
                   for (const std::string& t : out.terms) {
                     if (t.find_first_not_of(' ') == std::string::npos) c_.problem(x, "a term cannot be blank");
                   }
                 }},
                {"unmentioned",
                 [&](const json::value& x) {
                   work::verdict unmentioned = work::verdict::negative;
                   c_.choice(x, unmentioned, {{"negative", work::verdict::negative}});
                   out.unmentioned = unmentioned;
                 }},
                {"value", [&](const json::value& x) { c_.string(x, out.value_observation); }}});
    require(v, "a feedback finding", {"finding"});
    if (!v.is_object()) return;
    const bool verdict = v.find("coded") != nullptr || v.find("terms") != nullptr;
    if (verdict == (v.find("value") != nullptr)) {
      c_.problem(v, "a feedback finding reads a verdict (\"coded\" and/or \"terms\") or a \"value\", one of the two");
    } else if (!verdict && v.find("unmentioned") != nullptr) {
      c_.problem(*v.find("unmentioned"), "\"unmentioned\" is for a verdict (\"coded\" and/or \"terms\")");
    }
  }

  void feedback(const json::value& v, feedback_rules& out) {
    out.where = position_of(file_, v);
    c_.members(v, "\"feedback\"",
               {{"match", [&](const json::value& x) { condition_of(x, out.match); }},
                {"study", [&](const json::value& x) { study(x, out.study.emplace()); }},
                {"status",
                 [&](const json::value& x) {
                   c_.members(x, "\"status\"",
                              {{"path", [&](const json::value& y) { path(y, out.status_path_text, out.status_path); }},
                               {"final", [&](const json::value& y) { c_.strings(y, out.final_statuses); }},
                               {"corrected", [&](const json::value& y) { c_.strings(y, out.corrected_statuses); }}});
                 }},
                {"text", [&](const json::value& x) { c_.strings(x, out.text_observations); }},
                {"findings", [&](const json::value& x) {
                   if (!x.is_array() || x.size() == 0) return c_.problem(x, "\"findings\" must be a non-empty array");
                   std::set<std::string> seen;
                   for (const json::value& e : x.elements()) {
                     finding_feedback& f = out.findings.emplace_back();
                     finding_feedback_of(e, f);
                     if (!f.label.empty() && !seen.insert(f.label).second)
                       c_.problem(e, fmt::format("finding \"{}\" repeated in \"feedback\"", f.label));
                   }
                 }}});
    require(v, "\"feedback\"", {"match", "findings"});
    for (const std::string& status : out.final_statuses) {
      if (std::find(out.corrected_statuses.begin(), out.corrected_statuses.end(), status) != out.corrected_statuses.end())
        c_.problem(v, fmt::format("report status \"{}\" is both final and corrected", status));
    }
  }

  void acceptance(const json::value& v, acceptance_rules& out) {
    c_.members(v, "\"acceptance\"",
               {{"compare",
                 [&](const json::value& x) {
                   c_.choice(x, out.on,
                             {{"lower_bound", acceptance_rules::compare::lower_bound},
                              {"estimate", acceptance_rules::compare::estimate}});
                 }},
                {"findings", [&](const json::value& x) {
                   if (!x.is_array() || x.size() == 0) return c_.problem(x, "\"findings\" must be a non-empty array");
                   for (const json::value& e : x.elements()) {
                     acceptance_rule& a = out.findings.emplace_back();
                     a.where = position_of(file_, e);
                     auto measure = [&](std::optional<double>& m) {
                       return [&](const json::value& y) { c_.number(y, m.emplace(), 0, 1); };
                     };
                     c_.members(e, "an acceptance rule",
                                {{"finding", [&](const json::value& y) { c_.string(y, a.label); }},
                                 {"min_studies", [&](const json::value& y) { c_.count(y, a.min_studies, 1, 1000000); }},
                                 {"sensitivity", measure(a.sensitivity)},
                                 {"specificity", measure(a.specificity)},
                                 {"ppv", measure(a.ppv)},
                                 {"npv", measure(a.npv)}});
                     require(e, "an acceptance rule", {"finding"});
                     if (e.is_object() && !a.sensitivity && !a.specificity && !a.ppv && !a.npv)
                       c_.problem(e, "an acceptance rule needs at least one of \"sensitivity\", \"specificity\", "
                                     "\"ppv\", \"npv\"");
                   }
                 }}});
    require(v, "\"acceptance\"", {"findings"});
  }

  void drift(const json::value& v, drift_rules& out) {
    c_.members(v, "\"drift\"",
               {{"reference_studies", [&](const json::value& x) { c_.count(x, out.reference_studies, 5, 100000); }},
                {"window_days", [&](const json::value& x) { c_.count(x, out.window_days, 1, 365); }},
                {"min_studies", [&](const json::value& x) { c_.count(x, out.min_studies, 1, 100000); }},
                {"max_rate_change", [&](const json::value& x) { c_.number(x, out.max_rate_change, 0, 1); }},
                {"max_shift_sd", [&](const json::value& x) { c_.number(x, out.max_shift_sd, 0, 100); }},
                {"max_new_manufacturer_share",
                 [&](const json::value& x) { c_.number(x, out.max_new_manufacturer_share, 0, 1); }}});
  }

  void route_of(const json::value& v, route& out) {
    out.where = position_of(file_, v);
    out.adt.field = *hl7::parse_path(out.adt.field_text);
    c_.members(v, "a route",
               {{"name", [&](const json::value& x) { c_.string(x, out.name); }},
                {"match", [&](const json::value& x) { condition_of(x, out.match); }},
                {"study", [&](const json::value& x) { study(x, out.study); }},
                {"series", [&](const json::value& x) { series(x, out.series); }},
                {"readiness", [&](const json::value& x) { readiness(x, out.readiness); }},
                {"models",
                 [&](const json::value& x) {
                   c_.strings(x, out.models);
                   if (x.is_array() && x.size() == 0) c_.problem(x, "\"models\" needs at least one model id");
                   if (!x.is_array()) return;
                   for (std::size_t i = 0; i < x.size(); ++i) mark(out, fmt::format("models/{}", i), x[i]);
                 }},
                {"mode",
                 [&](const json::value& x) {
                   c_.choice(x, out.mode,
                             {{"silent", rollout_mode::silent},
                              {"assist", rollout_mode::assist},
                              {"active", rollout_mode::active}});
                 }},
                {"patient",
                 [&](const json::value& x) {
                   c_.members(x, "\"patient\"",
                              {{"assigner", [&](const json::value& y) { c_.string(y, out.patient.assigner); }},
                               {"system", [&](const json::value& y) { c_.string(y, out.patient.system); }},
                               {"study_patient", [&](const json::value& y) { study_patient(y, out.patient.study); }},
                               {"issuer", [&](const json::value& y) { c_.string(y, out.patient.study.issuer); }}});
                   require(x, "\"patient\"", {"system"});
                 }},
                {"findings",
                 [&](const json::value& x) {
                   if (!x.is_array()) return c_.problem(x, "\"findings\" must be an array");
                   for (const json::value& e : x.elements()) finding(e, out.findings.emplace_back());
                 }},
                {"impression", [&](const json::value& x) { code(x, out.impression.emplace(), "\"impression\""); }},
                {"acuity",
                 [&](const json::value& x) {
                   out.has_acuity = true;
                   acuity(x, out.acuity, out);
                 }},
                {"adt",
                 [&](const json::value& x) {
                   out.has_adt = true;
                   adt(x, out.adt, out);
                 }},
                {"outputs", [&](const json::value& x) { outputs(x, out.outputs, out); }},
                {"feedback", [&](const json::value& x) { feedback(x, out.feedback.emplace()); }},
                {"acceptance", [&](const json::value& x) { acceptance(x, out.acceptance); }},
                {"drift", [&](const json::value& x) { drift(x, out.drift.emplace()); }},
                {"priors", [&](const json::value& x) { priors(x, out.priors.emplace()); }}});
    require(v, "a route", {"name", "match", "study", "models", "mode", "patient", "findings", "outputs"});
  }

  void routes(const json::value& v, std::vector<route>& out) {
    if (!v.is_array()) return c_.problem(v, fmt::format("\"routes\" must be an array, not {}", v.kind_name()));
    for (const json::value& e : v.elements()) {
      const std::size_t before = c_.problem_count();
      route_of(e, out.emplace_back());
      out.back().complete = c_.problem_count() == before;
    }
  }

  void destinations(const json::value& v, std::vector<destination>& out) {
    if (!v.is_array()) return c_.problem(v, fmt::format("\"destinations\" must be an array, not {}", v.kind_name()));
    for (const json::value& e : v.elements()) {
      destination& d = out.emplace_back();
      d.where = position_of(file_, e);
      c_.members(e, "a destination",
                 {{"name", [&](const json::value& x) { c_.string(x, d.name); }},
                  {"type",
                   [&](const json::value& x) {
                     c_.choice(x, d.type,
                               {{"mllp", destination::kind::mllp},
                                {"fhir", destination::kind::fhir},
                                {"dicomweb", destination::kind::dicomweb},
                                {"folder", destination::kind::folder}});
                   }},
                  {"address", [&](const json::value& x) { c_.string(x, d.address); }},
                  {"tls", [&](const json::value& x) { c_.boolean(x, d.tls); }},
                  {"ca_file", [&](const json::value& x) { c_.file(x, d.ca_file); }},
                  {"cert_file", [&](const json::value& x) { c_.file(x, d.cert_file); }},
                  {"key_file", [&](const json::value& x) { c_.file(x, d.key_file); }},
                  {"auth", [&](const json::value& x) { destination_auth_of(x, d.auth); }},
                  {"mode", [&](const json::value& x) { file_mode(x, d.file_mode); }}});
      require(e, "a destination", {"name", "type", "address"});
      if (!e.is_object() || e.find("type") == nullptr) continue;
      // What each type takes, once the type is known (keys come in any order).
      const bool http = d.type == destination::kind::fhir || d.type == destination::kind::dicomweb;
      if (const json::value* x = e.find("auth"); x != nullptr && !http)
        c_.problem(*x, "\"auth\" is for fhir and dicomweb destinations");
      if (const json::value* x = e.find("mode"); x != nullptr && d.type != destination::kind::folder)
        c_.problem(*x, "\"mode\" is for folder destinations");
      if (const json::value* x = e.find("tls"); x != nullptr && d.type != destination::kind::mllp)
        c_.problem(*x, "\"tls\" is for mllp destinations (fhir and dicomweb use TLS with an https address)");
      for (std::string_view key : {"ca_file", "cert_file", "key_file"}) {
        if (const json::value* x = e.find(key); x != nullptr && d.type == destination::kind::folder)
          c_.problem(*x, fmt::format("\"{}\" is for mllp, fhir and dicomweb destinations", key));
      }
      if ((e.find("cert_file") == nullptr) != (e.find("key_file") == nullptr))
        c_.problem(e, "a client certificate needs both \"cert_file\" and \"key_file\"");
    }
  }

  // "0640": octal permission bits for a folder destination's files. The
  // owner must read and write them (a resend compares the bytes); nothing
  // executable, nothing others may write.
  void file_mode(const json::value& v, unsigned& out) {
    std::string text;
    c_.string(v, text);
    if (text.empty()) return;
    static const std::regex octal("0?[0-7]{3}");
    const unsigned mode = std::regex_match(text, octal) ? static_cast<unsigned>(std::stoul(text, nullptr, 8)) : 0;
    if (mode == 0 || (mode & 0600) != 0600 || (mode & 0111) != 0 || (mode & 0002) != 0) {
      c_.problem(v, fmt::format("\"mode\" must be an octal file mode like \"0640\" that lets the owner read and "
                                "write, makes nothing executable and lets no others write; not \"{}\"",
                                text));
      return;
    }
    out = mode;
  }

  // {"scheme": "basic", "user": ..., "password" | "password_file": ...} or
  // {"scheme": "bearer", "token" | "token_file": ...}.
  void destination_auth_of(const json::value& v, destination_auth& auth) {
    c_.members(v, "\"auth\"",
               {{"scheme",
                 [&](const json::value& x) {
                   c_.choice(x, auth.how,
                             {{"basic", destination_auth::scheme::basic}, {"bearer", destination_auth::scheme::bearer}});
                 }},
                {"user", [&](const json::value& x) { c_.string(x, auth.user); }},
                {"password", [&](const json::value& x) { c_.string(x, auth.password); }},
                {"password_file",
                 [&](const json::value& x) { secrets::read_secret_setting(c_, x, auth.password_file, auth.password); }},
                {"token", [&](const json::value& x) { c_.string(x, auth.token); }},
                {"token_file",
                 [&](const json::value& x) { secrets::read_secret_setting(c_, x, auth.token_file, auth.token); }}});
    if (!v.is_object()) return;
    if (v.find("scheme") == nullptr) return c_.problem(v, "\"auth\" needs \"scheme\": \"basic\" or \"bearer\"");
    auto has = [&](std::string_view key) { return v.find(key) != nullptr; };
    auto one_of = [&](std::string_view scheme, std::string_view inline_key, std::string_view file_key) {
      if (has(inline_key) && has(file_key)) {
        c_.problem(*v.find(file_key), fmt::format("give \"{}\" or \"{}\", not both", inline_key, file_key));
      } else if (!has(inline_key) && !has(file_key)) {
        c_.problem(v, fmt::format("{} authentication needs \"{}\" or \"{}\"", scheme, inline_key, file_key));
      }
    };
    auto not_for = [&](std::string_view scheme, std::initializer_list<std::string_view> keys) {
      for (std::string_view key : keys) {
        if (has(key)) c_.problem(*v.find(key), fmt::format("\"{}\" is not used by {} authentication", key, scheme));
      }
    };
    if (auth.how == destination_auth::scheme::basic) {
      if (!has("user")) c_.problem(v, "basic authentication needs \"user\"");
      if (auth.user.find(':') != std::string::npos)
        c_.problem(*v.find("user"), "a basic authentication user name cannot hold ':'");
      one_of("basic", "password", "password_file");
      not_for("basic", {"token", "token_file"});
    } else if (auth.how == destination_auth::scheme::bearer) {
      one_of("bearer", "token", "token_file");
      not_for("bearer", {"user", "password", "password_file"});
      if (auth.token.find_first_of("\r\n") != std::string::npos)
        c_.problem(*v.find(has("token") ? "token" : "token_file"), "the bearer token holds a line break");
    }
  }

  const std::string& file_;
  json_checker& c_;
};

}  // namespace

void read_mapping_document(const json::value& root, const std::string& file, json_checker& checker,
                           mapping_set& into) {
  reader(file, checker).document(root, into);
}

}  // namespace radbridge::route
