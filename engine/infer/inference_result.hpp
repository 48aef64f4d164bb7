// What one model said about one series, with the model's identity and the
// time each step took, and its JSON form (what `radbridge infer --json`
// prints and `radbridge preview --findings` reads):
//
//   {"model": "ich_classifier", "version": "1.0.0", "sha256": "...",
//    "study_uid": "...", "series_uid": "...",
//    "timings_ms": {"retrieve": 130.2, "decode": 40.7, "preprocess": 41.2,
//                   "inference": 180.5},
//    "findings": [{"label": "intracranial_hemorrhage", "display": "...",
//                  "present": true, "probability": 0.97}]}
//
// A finding has either `present` with `probability`, or `value` with `unit`
// (UCUM). `timings_ms` lists the steps in the order they ran: the runner
// adds preprocess and inference; whoever fetched the series puts its steps
// first.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::infer {

struct finding {
  std::string label;
  std::string display;
  std::optional<bool> present;
  std::optional<double> probability;
  std::optional<double> value;
  std::string unit;  // with value
};

struct step_time {
  std::string step;
  double ms = 0;
};

struct inference_result {
  std::string model_id;
  std::string version;
  std::string sha256;
  std::string study_uid;
  std::string series_uid;
  std::vector<step_time> timings_ms;
  std::vector<finding> findings;

  double ms(std::string_view step) const noexcept;  // 0 when the step is not listed
};

std::string to_json(const inference_result& r, bool pretty = false);
std::string findings_to_json(const std::vector<finding>& findings);  // the "findings" array alone

// Reads what to_json writes: one object, or an array of them (one per
// model). Throws std::runtime_error with every problem as
// `name:line:col: reason` (unknown keys, wrong kinds, a finding with neither
// present nor value).
std::vector<inference_result> parse_inference_results(std::string_view text, std::string_view name);

}  // namespace radbridge::infer
