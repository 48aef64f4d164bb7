#include "infer/inference_result.hpp"

#include "json/json_writer.hpp"

namespace radbridge::infer {

double inference_result::ms(std::string_view step) const noexcept {
  for (const step_time& t : timings_ms) {
    if (t.step == step) return t.ms;
  }
  return 0;
}

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
  w.key("findings").begin_array();
  for (const finding& f : r.findings) {
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
  w.end_object();
  return w.str();
}

}  // namespace radbridge::infer
