// The model registry (models/registry.json): which TorchScript models exist,
// what each accepts, how its input is prepared and what its output means.
//
//   {"models": [{"id": "ich_classifier", "version": "1.0.0",
//                "file": "ich_classifier-1.0.0.pt", "sha256": "<64 hex>",
//                "accepts": {"modality": "CT", "body_parts": ["HEAD", "BRAIN"]},
//                "input": {"window": {"center": 40, "width": 80}, "size": [32, 96, 96],
//                          "layout": "NCDHW", "channels": 1},
//                "output": {"kind": "probability", "label": "intracranial_hemorrhage",
//                           "display": "Intracranial hemorrhage"},
//                "threshold": 0.5}]}
//
// `file` is relative to the registry's folder. Output kinds: `probability`
// (the model returns [N] probabilities; a finding is present at or above
// `threshold`) and `segmentation` (the model returns [N,1,D,H,W]
// probabilities; the finding's value is the volume of the voxels at or above
// `threshold`, in `unit`, which must be "mL"). `load_registry` checks the
// whole file and throws registry_error with every problem as
// `file:line:col: reason` (unknown keys, missing keys, bad values, duplicate
// ids); it does not open the model files (model_runner verifies them).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::infer {

enum class output_kind { probability, segmentation };

struct model_spec {
  std::string id;
  std::string version;
  std::string file;    // absolute path
  std::string sha256;  // lower-case hex
  std::string modality;
  std::vector<std::string> body_parts;  // upper case; empty: any
  double window_center = 0;
  double window_width = 1;
  std::array<std::size_t, 3> size{};  // D, H, W of the model's input
  output_kind kind = output_kind::probability;
  std::string label;
  std::string display;
  std::string unit;  // UCUM; segmentation only ("mL")
  double threshold = 0.5;
};

struct model_registry {
  std::vector<model_spec> models;
  const model_spec* find(std::string_view id) const noexcept;
};

class registry_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

model_registry load_registry(const std::string& path);

// A model's file and the SHA-256 of its bytes (lower-case hex), for
// comparing with the registry's; nullopt when it cannot be read.
struct model_file {
  std::string bytes;
  std::string sha256;
};
std::optional<model_file> read_model_file(const model_spec& spec);
model_registry parse_registry(std::string_view text, std::string_view name, const std::string& base_dir);

}  // namespace radbridge::infer
