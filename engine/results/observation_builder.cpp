#include "results/observation_builder.hpp"

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string_view>

#include "json/json_writer.hpp"
#include "results/build_error.hpp"
#include "results/fhir_time.hpp"
#include "results/output_ids.hpp"
#include "route/patient_identity.hpp"

namespace radbridge::results {

namespace {

constexpr std::string_view category_system = "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr std::string_view interpretation_system = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
constexpr std::string_view identifier_type_system = "http://terminology.hl7.org/CodeSystem/v2-0203";
constexpr std::string_view ucum_system = "http://unitsofmeasure.org";
constexpr std::size_t max_fhir_id = 64;

// Observation.status: preliminary (AI output is never final), amended when a
// newer version of the study changed the findings, entered-in-error when the
// order was cancelled after the results went out.
std::string_view status_of(work::revision r) {
  switch (r) {
    case work::revision::original: return "preliminary";
    case work::revision::correction: return "amended";
    case work::revision::withdrawal: return "entered-in-error";
  }
  return "preliminary";
}

// The unescaped value at `p`; empty when absent or the HL7 null.
std::string order_value(const hl7::message& order, const hl7::path& p) {
  const auto raw = order.raw(p);
  if (!raw || hl7::is_null(*raw)) return {};
  auto text = order.unescape(*raw);
  if (!text) throw build_error(fmt::format("{}: {}", p.to_string(), text.error().to_string()));
  return std::move(*text);
}

std::string order_value(const hl7::message& order, std::string_view path_expression) {
  const auto p = hl7::parse_path(path_expression);
  if (!p) throw std::logic_error(fmt::format("bad built-in HL7 path {}", path_expression));
  return order_value(order, *p);
}

// The order's patient identifier by the route's rule (route/patient_identity.hpp).
std::string patient_id(const hl7::message& order, const route::patient_identifier_rule& rule) {
  if (auto id = route::order_patient_id(order, rule)) return std::move(*id);
  if (rule.assigner.empty()) throw build_error("the order has no PID-3 identifier");
  throw build_error(fmt::format("the order has no PID-3 identifier assigned by {}", rule.assigner));
}

std::string effective_date_time(const hl7::message& order) {
  for (const std::string_view path : {"OBR-7.1", "OBR-6.1", "MSH-7.1"}) {
    const std::string timestamp = order_value(order, path);
    if (timestamp.empty()) continue;
    auto date_time = fhir_date_time(timestamp);
    if (!date_time) throw build_error(fmt::format("{}: not an HL7 timestamp: \"{}\"", path, timestamp));
    return std::move(*date_time);
  }
  throw build_error("the order has no OBR-7, OBR-6 or MSH-7 timestamp");
}

std::string accession(const hl7::message& order, const route::route& r) {
  if (r.study.by == route::study_key_rule::kind::accession) {
    std::string by_rule = order_value(order, r.study.path);
    if (!by_rule.empty()) return by_rule;
  }
  std::string placer_field = order_value(order, "OBR-18.1");
  if (!placer_field.empty()) return placer_field;
  return order_value(order, "OBR-3.1");
}

// A DICOM UID (PS3.5 9.1): at most 64 characters, dot-separated numbers
// without leading zeros.
bool is_dicom_uid(std::string_view uid) noexcept {
  if (uid.empty() || uid.size() > 64) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = uid.find('.', start);
    const std::string_view part = uid.substr(start, dot == std::string_view::npos ? uid.npos : dot - start);
    if (part.empty() || (part.size() > 1 && part[0] == '0')) return false;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// "device-<model id>", with characters outside FHIR's id alphabet
// ([A-Za-z0-9.-]) turned into '-', at most 64 characters.
std::string device_id(std::string_view model_id) {
  std::string id = "device-";
  for (char c : model_id) {
    const bool allowed =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    id += allowed ? c : '-';
  }
  if (id.size() > max_fhir_id) id.resize(max_fhir_id);
  return id;
}

// What every Observation of the job shares.
struct job_facts {
  const result_input& input;
  std::string patient_system;
  std::string patient_id;
  std::string effective;
  std::string issued;
  std::string accession;  // empty: no basedOn
};

// One model's result, as each of its Observations refers to it.
struct model_facts {
  const infer::inference_result& result;
  std::string device_id;
};

// The value[x] of one Observation: a coded answer, or a quantity.
struct observed_value {
  const route::coded_concept* answer = nullptr;  // valueCodeableConcept when set
  double quantity = 0;                           // else valueQuantity
  std::string_view ucum;
};

void write_concept(json::writer& w, std::string_view system, std::string_view code, std::string_view display) {
  w.begin_object().key("coding").begin_array().begin_object();
  w.key("system").string(system);
  w.key("code").string(code);
  if (!display.empty()) w.key("display").string(display);
  w.end_object().end_array().end_object();
}

void write_concept(json::writer& w, const route::coded_concept& c) { write_concept(w, c.system, c.code, c.display); }

void write_identifier_reference(json::writer& w, std::string_view type, std::string_view system,
                                std::string_view value) {
  w.begin_object();
  w.key("type").string(type);
  w.key("identifier").begin_object();
  w.key("system").string(system);
  w.key("value").string(value);
  w.end_object();
  w.end_object();
}

void write_device(json::writer& w, const model_facts& model) {
  w.begin_object();
  w.key("resourceType").string("Device");
  w.key("id").string(model.device_id);
  w.key("deviceName").begin_array().begin_object();
  w.key("name").string(model.result.model_id);
  w.key("type").string("model-name");
  w.end_object().end_array();
  if (!model.result.version.empty()) {
    w.key("version").begin_array().begin_object().key("value").string(model.result.version).end_object().end_array();
  }
  w.end_object();
}

std::string observation_json(const job_facts& job, const model_facts& model, std::string_view identifier,
                             const route::coded_concept& code, const observed_value& value, bool critical) {
  json::writer w;
  w.begin_object();
  w.key("resourceType").string("Observation");
  w.key("contained").begin_array();
  write_device(w, model);
  w.end_array();
  w.key("identifier").begin_array().begin_object();
  w.key("system").string(fhir_identifier_system);
  w.key("value").string(identifier);
  w.end_object().end_array();
  if (!job.accession.empty()) {
    w.key("basedOn").begin_array().begin_object();
    w.key("type").string("ServiceRequest");
    w.key("identifier").begin_object();
    w.key("type");
    write_concept(w, identifier_type_system, "ACSN", "");
    w.key("value").string(job.accession);
    w.end_object();
    w.end_object().end_array();
  }
  w.key("status").string(status_of(job.input.revision));
  w.key("category").begin_array();
  write_concept(w, category_system, "imaging", "Imaging");
  w.end_array();
  w.key("code");
  write_concept(w, code);
  w.key("subject");
  write_identifier_reference(w, "Patient", job.patient_system, job.patient_id);
  w.key("effectiveDateTime").string(job.effective);
  w.key("issued").string(job.issued);
  if (value.answer != nullptr) {
    w.key("valueCodeableConcept");
    write_concept(w, *value.answer);
  } else {
    w.key("valueQuantity").begin_object();
    w.key("value").number(value.quantity);
    w.key("unit").string(value.ucum);
    w.key("system").string(ucum_system);
    w.key("code").string(value.ucum);
    w.end_object();
  }
  if (critical) {
    w.key("interpretation").begin_array();
    write_concept(w, interpretation_system, "AA", "Critical abnormal");
    w.end_array();
  }
  w.key("device").begin_object().key("reference").string("#" + model.device_id).end_object();
  w.key("derivedFrom").begin_array();
  write_identifier_reference(w, "ImagingStudy", "urn:dicom:uid", "urn:oid:" + model.result.study_uid);
  w.end_array();
  w.end_object();
  return w.str();
}

// Whether `f` is one of the critical level's triggers that held, in a job
// whose acuity is that level.
bool is_critical(const result_input& input, const infer::finding& f) {
  const route::acuity_rules& rules = input.route->acuity;
  if (input.acuity.empty() || input.acuity != rules.critical) return false;
  if (f.present && !*f.present) return false;
  const std::optional<double> measured = f.probability ? f.probability : f.value;
  if (!measured) return false;
  for (const route::acuity_level& level : rules.levels) {
    if (level.name != rules.critical) continue;
    for (const route::acuity_trigger& t : level.when) {
      if (t.label == f.label && *measured >= t.at_least) return true;
    }
  }
  return false;
}

void check_numbers(const infer::finding& f) {
  if (f.probability && !(*f.probability >= 0 && *f.probability <= 1)) {
    throw build_error(fmt::format("finding \"{}\": probability {} is not within 0..1", f.label, *f.probability));
  }
  if (f.value && !std::isfinite(*f.value)) {
    throw build_error(fmt::format("finding \"{}\": value {} is not a finite number", f.label, *f.value));
  }
}

void add_finding(std::vector<observation_document>& out, const job_facts& job, const model_facts& model,
                 const infer::finding& f) {
  const route::route& r = *job.input.route;
  const route::finding_mapping* mapping = r.finding(f.label);
  if (mapping == nullptr) {
    throw build_error(fmt::format("finding \"{}\" of model {} is not mapped by route {}", f.label,
                                  model.result.model_id, r.name));
  }
  check_numbers(f);
  observed_value value;
  if (f.present) {
    value.answer = *f.present ? (mapping->present ? &*mapping->present : nullptr)
                              : (mapping->absent ? &*mapping->absent : nullptr);
    if (value.answer == nullptr) {
      throw build_error(fmt::format("finding \"{}\": route {} maps no {} concept", f.label, r.name,
                                    *f.present ? "present" : "absent"));
    }
  } else if (f.value) {
    if (mapping->ucum.empty()) {
      throw build_error(fmt::format("finding \"{}\": route {} maps no UCUM unit", f.label, r.name));
    }
    if (!f.unit.empty() && f.unit != mapping->ucum) {
      throw build_error(fmt::format("finding \"{}\": the model's unit \"{}\" is not the mapped unit \"{}\"", f.label,
                                    f.unit, mapping->ucum));
    }
    value.quantity = *f.value;
    value.ucum = mapping->ucum;
  } else {
    throw build_error(fmt::format("finding \"{}\" of model {} has neither present nor value", f.label,
                                  model.result.model_id));
  }

  observation_document finding_doc;
  finding_doc.what = f.label;
  finding_doc.identifier = fhir_identifier_value(job.input.stable_key(), finding_doc.what);
  finding_doc.json =
      observation_json(job, model, finding_doc.identifier, mapping->observation, value, is_critical(job.input, f));
  out.push_back(std::move(finding_doc));

  if (f.probability && mapping->probability) {
    observation_document probability_doc;
    probability_doc.what = f.label + "/probability";
    probability_doc.identifier = fhir_identifier_value(job.input.stable_key(), probability_doc.what);
    const observed_value probability{nullptr, *f.probability, "1"};
    probability_doc.json =
        observation_json(job, model, probability_doc.identifier, *mapping->probability, probability, false);
    out.push_back(std::move(probability_doc));
  }
}

}  // namespace

std::vector<observation_document> build_observations(const result_input& input) {
  if (input.route == nullptr) throw build_error("no route in the result input");
  if (input.order == nullptr) throw build_error("no order in the result input");
  const route::route& r = *input.route;
  if (r.patient.system.empty()) throw build_error(fmt::format("route {} has no patient identifier system", r.name));

  const job_facts job{input,
                      r.patient.system,
                      patient_id(*input.order, r.patient),
                      effective_date_time(*input.order),
                      fhir_instant(input.issued),
                      accession(*input.order, r)};

  std::vector<observation_document> out;
  for (const infer::inference_result& result : input.results) {
    if (result.model_id.empty()) throw build_error("a model result has no model id");
    if (!is_dicom_uid(result.study_uid)) {
      throw build_error(fmt::format("model {}: \"{}\" is not a DICOM Study Instance UID", result.model_id,
                                    result.study_uid));
    }
    const model_facts model{result, device_id(result.model_id)};
    for (const infer::finding& f : result.findings) add_finding(out, job, model, f);
  }
  return out;
}

}  // namespace radbridge::results
