// What a model was given, for drift monitors (review/drift.hpp): the
// series' acquisition (manufacturer, kVp, slice thickness, pixel spacing)
// and simple HU statistics of the volume as the model's window sees it
// (every voxel clamped to center +- width / 2, as preprocessing does), and
// its JSON form, kept with each inference in the audit:
//
//   {"manufacturer": "ACME", "kvp": 120, "slice_thickness_mm": 5,
//    "pixel_spacing_mm": 0.49, "hu_mean": 31.2, "hu_sd": 24.9}
//
// A value the series does not carry is left out of the JSON.
#pragma once

#include <optional>
#include <string>

#include "fetch/volume.hpp"
#include "infer/model_registry.hpp"

namespace radbridge::infer {

struct input_profile {
  std::string manufacturer;
  std::optional<double> kvp;
  std::optional<double> slice_thickness_mm;
  double pixel_spacing_mm = 0;  // in-plane, the mean of the row and column spacing
  double hu_mean = 0;
  double hu_sd = 0;
};

input_profile profile_of(const fetch::volume& v, const model_spec& model);
std::string to_json(const input_profile& p);

}  // namespace radbridge::infer
