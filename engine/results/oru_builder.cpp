#include "results/oru_builder.hpp"

#include <array>

#include <fmt/format.h>

#include "results/build_error.hpp"
#include "results/hl7_outbound.hpp"

namespace radbridge::results {

namespace {

// OBR fields the result repeats from the order: placer and filler order
// numbers, procedure, observation time, accession (placer field 1), section.
constexpr std::array<std::size_t, 6> copied_obr_fields{2, 3, 4, 7, 18, 24};

const hl7::segment_view required_segment(const hl7::message& order, std::string_view name) {
  const auto s = order.find(name);
  if (!s) throw build_error(fmt::format("the order has no {} segment", name));
  return *s;
}

const route::finding_mapping& mapping_of(const result_input& in, const infer::inference_result& r,
                                         const infer::finding& f) {
  const route::finding_mapping* m = in.route->finding(f.label);
  if (m == nullptr) {
    throw build_error(fmt::format("finding \"{}\" of model \"{}\" has no mapping in route \"{}\"", f.label, r.model_id,
                                  in.route->name));
  }
  return *m;
}

class oru_writer {
 public:
  oru_writer(const result_input& in, hl7::message_builder& out) : in_(in), out_(out) {}

  void software() {
    hl7::segment_builder& engine = out_.add("SFT");
    engine.set(1, "radbridge");
    engine.set(2, in_.engine_version);
    engine.set(3, "radbridge");
    engine.set(4, in_.engine_version);
    for (const infer::inference_result& r : in_.results) {
      hl7::segment_builder& model = out_.add("SFT");
      model.set(1, "radbridge");
      model.set(2, r.version);
      model.set(3, r.model_id);
      model.set(4, r.sha256.substr(0, 16));
    }
  }

  void order_segments(const hl7::message& order) {
    copy_segment(out_, required_segment(order, "PID"));
    if (const auto pv1 = order.find("PV1")) copy_segment(out_, *pv1);
    const hl7::segment_view obr = required_segment(order, "OBR");
    const auto orc = order.find("ORC");
    hl7::segment_builder& c = out_.add("ORC");
    c.set(1, "RE");
    c.set_raw(2, orc && !orc->field(2).empty() ? orc->field(2) : obr.field(2));
    c.set_raw(3, orc && !orc->field(3).empty() ? orc->field(3) : obr.field(3));
    hl7::segment_builder& b = out_.add("OBR");
    b.set(1, "1");
    for (const std::size_t f : copied_obr_fields) {
      if (!obr.field(f).empty()) b.set_raw(f, obr.field(f));
    }
    b.set(22, hl7_timestamp(in_.issued));
    // P: preliminary; C: a correction for a newer version of the study; X: the order was cancelled.
    b.set(25, in_.revision == work::revision::original ? "P" : in_.revision == work::revision::correction ? "C" : "X");
    observed_at_ = obr.field(7);
  }

  void findings() {
    const bool critical_job = in_.acuity == in_.route->acuity.critical;
    int group = 0;
    for (const infer::inference_result& r : in_.results) {
      for (const infer::finding& f : r.findings) {
        const route::finding_mapping& m = mapping_of(in_, r, f);
        ++group;
        if (f.present.has_value()) {
          if (!m.present || !m.absent) {
            throw build_error(fmt::format("finding \"{}\" is present/absent but route \"{}\" codes it as a value",
                                          f.label, in_.route->name));
          }
          hl7::segment_builder& x = observation("CWE", m.observation, group, r);
          set_coded(x, 5, *f.present ? *m.present : *m.absent);
          x.set(8, !*f.present ? "N" : critical_job ? "AA" : "A");
          if (m.probability && f.probability) {
            hl7::segment_builder& p = observation("NM", *m.probability, group, r);
            p.set(5, fmt::format("{:.3f}", *f.probability));
            p.set_components(6, {"1", "", "UCUM"});
          }
        } else if (f.value.has_value()) {
          if (m.ucum.empty()) {
            throw build_error(fmt::format("finding \"{}\" is a value but route \"{}\" codes it as present/absent",
                                          f.label, in_.route->name));
          }
          hl7::segment_builder& v = observation("NM", m.observation, group, r);
          v.set(5, fmt::format("{:.1f}", *f.value));
          v.set_components(6, {m.ucum, "", "UCUM"});
        } else {
          throw build_error(fmt::format("finding \"{}\" of model \"{}\" has neither present nor value", f.label,
                                        r.model_id));
        }
      }
    }
  }

  void impression() {
    if (!in_.route->impression) return;
    hl7::segment_builder& x = base_observation("ST", *in_.route->impression, 0);
    x.set(5, impression_text(in_));
  }

  void sr_reference(const std::string& pointer) {
    if (pointer.empty()) return;
    hl7::segment_builder& x = base_observation("RP", {"", "DCM", "126000", "Imaging Measurement Report"}, 0);
    x.set_components(5, {pointer, "PACS", "AP", "DICOM"});
  }

 private:
  hl7::segment_builder& base_observation(std::string_view type, const route::coded_concept& code, int group) {
    hl7::segment_builder& x = out_.add("OBX");
    x.set(1, std::to_string(++set_id_));
    x.set(2, type);
    set_coded(x, 3, code);
    if (group > 0) x.set(4, std::to_string(group));
    // P: preliminary; C: replaces what was sent for this observation; W: withdrawn (sent in error).
    x.set(11, in_.revision == work::revision::original ? "P" : in_.revision == work::revision::correction ? "C" : "W");
    if (!observed_at_.empty()) x.set_raw(14, observed_at_);
    x.set(19, hl7_timestamp(in_.issued));
    return x;
  }

  hl7::segment_builder& observation(std::string_view type, const route::coded_concept& code, int group,
                                    const infer::inference_result& r) {
    hl7::segment_builder& x = base_observation(type, code, group);
    x.set_components(18, {r.model_id + "-" + r.version, std::string(sending_application)});
    return x;
  }

  const result_input& in_;
  hl7::message_builder& out_;
  std::string_view observed_at_;
  int set_id_ = 0;
};

}  // namespace

std::string impression_text(const result_input& in) {
  std::vector<std::string> parts;
  for (const infer::inference_result& r : in.results) {
    for (const infer::finding& f : r.findings) {
      const route::finding_mapping* m = in.route->finding(f.label);
      const std::string name = m && !m->observation.display.empty() ? m->observation.display : f.display;
      if (f.present.has_value()) {
        parts.push_back(fmt::format("{} {}{}", name, *f.present ? "suspected" : "not detected",
                                    f.probability ? fmt::format(" (probability {:.2f})", *f.probability) : ""));
      } else if (f.value.has_value()) {
        parts.push_back(fmt::format("{} {:.1f} {}", name, *f.value, m ? m->ucum : f.unit));
      }
    }
  }
  std::string models;
  for (const infer::inference_result& r : in.results) {
    models += fmt::format("{}{} {}", models.empty() ? "" : ", ", r.model_id, r.version);
  }
  std::string text = "Preliminary AI findings, not a signed report (" + models + "): ";
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : "; ") + parts[i];
  return text + ". Acuity: " + in.acuity + ".";
}

std::string build_oru(const result_input& in, const oru_options& options) {
  if (in.route == nullptr) throw build_error("no route: the ORU's codes come from the route that matched");
  hl7::message_builder out = start_message(in, "ORU", "R01", "ORU_R01", "oru");
  oru_writer w(in, out);
  w.software();
  w.order_segments(*in.order);
  w.findings();
  w.impression();
  w.sr_reference(options.sr_pointer);
  return out.encode();
}

}  // namespace radbridge::results
