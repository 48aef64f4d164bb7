#include "infer/inference_result.hpp"

#include <stdexcept>

#include <fmt/format.h>

#include "core/json_checker.hpp"
#include "json/json_document.hpp"
#include "json/json_writer.hpp"

namespace radbridge::infer {

double inference_result::ms(std::string_view step) const noexcept {
  for (const step_time& t : timings_ms) {
    if (t.step == step) return t.ms;
  }
  return 0;
}

namespace {

void write_findings(json::writer& w, const std::vector<finding>& findings) {
  w.begin_array();
  for (const finding& f : findings) {
    w.begin_object();
    w.key("label").string(f.label);
    w.key("display").string(f.display);
    if (f.present) w.key("present").boolean(*f.present);
    if (f.probability) w.key("probability").number(*f.probability);
    if (f.value) {
      w.key("value").number(*f.value);
      w.key("unit").string(f.unit);
    }
    w.end_object();
  }
  w.end_array();
}

}  // namespace

std::string to_json(const inference_result& r, bool pretty) {
  json::writer w(pretty);
  w.begin_object();
  w.key("model").string(r.model_id);
  w.key("version").string(r.version);
  w.key("sha256").string(r.sha256);
  w.key("study_uid").string(r.study_uid);
  w.key("series_uid").string(r.series_uid);
  w.key("timings_ms").begin_object();
  for (const step_time& t : r.timings_ms) w.key(t.step).number(t.ms);
  w.end_object();
  w.key("findings");
  write_findings(w, r.findings);
  w.end_object();
  return w.str();
}

std::string findings_to_json(const std::vector<finding>& findings) {
  json::writer w;
  write_findings(w, findings);
  return w.str();
}

namespace {

void read_finding(json_checker& c, const json::value& v, finding& f) {
  c.members(v, "a finding",
            {{"label", [&](const json::value& x) { c.string(x, f.label); }},
             {"display", [&](const json::value& x) { c.string(x, f.display, false); }},
             {"present", [&](const json::value& x) { c.boolean(x, f.present.emplace()); }},
             {"probability", [&](const json::value& x) { c.number(x, f.probability.emplace(), 0, 1); }},
             {"value", [&](const json::value& x) { c.number(x, f.value.emplace(), -1e12, 1e12); }},
             {"unit", [&](const json::value& x) { c.string(x, f.unit); }}});
  if (v.is_object() && v.find("label") == nullptr) c.problem(v, "a finding needs \"label\"");
  if (v.is_object() && f.present.has_value() == f.value.has_value()) {
    c.problem(v, "a finding has either \"present\" (with \"probability\") or \"value\" (with \"unit\")");
  }
}

void read_result(json_checker& c, const json::value& v, inference_result& r) {
  c.members(v, "an inference result",
            {{"model", [&](const json::value& x) { c.string(x, r.model_id); }},
             {"version", [&](const json::value& x) { c.string(x, r.version); }},
             {"sha256", [&](const json::value& x) { c.string(x, r.sha256, false); }},
             {"study_uid", [&](const json::value& x) { c.string(x, r.study_uid, false); }},
             {"series_uid", [&](const json::value& x) { c.string(x, r.series_uid, false); }},
             {"timings_ms",
              [&](const json::value& x) {
                if (!x.is_object()) return c.problem(x, "\"timings_ms\" must be an object");
                for (const json::member& m : x.members()) {
                  c.number(m.val, r.timings_ms.emplace_back(step_time{m.key, 0}).ms, 0, 1e9);
                }
              }},
             {"findings", [&](const json::value& x) {
                if (!x.is_array()) return c.problem(x, "\"findings\" must be an array");
                for (const json::value& e : x.elements()) read_finding(c, e, r.findings.emplace_back());
              }}});
  for (std::string_view key : {"model", "version", "findings"}) {
    if (v.is_object() && v.find(key) == nullptr) c.problem(v, fmt::format("an inference result needs \"{}\"", key));
  }
}

}  // namespace

std::vector<inference_result> parse_inference_results(std::string_view text, std::string_view name) {
  const json::document_result doc = json::parse_document(text);
  if (!doc) throw std::runtime_error(json::format_error(name, doc.error()));
  json_checker c(name, ".");
  std::vector<inference_result> out;
  if (doc.value().is_array()) {
    for (const json::value& e : doc.value().elements()) read_result(c, e, out.emplace_back());
    if (doc.value().size() == 0) c.problem(doc.value(), "no inference results");
  } else {
    read_result(c, doc.value(), out.emplace_back());
  }
  if (!c.ok()) throw std::runtime_error(c.report());
  return out;
}

}  // namespace radbridge::infer
