#include "infer/input_profile.hpp"

#include <algorithm>
#include <cmath>

#include "json/json_writer.hpp"

namespace radbridge::infer {

input_profile profile_of(const fetch::volume& v, const model_spec& model) {
  input_profile p;
  p.manufacturer = v.acquisition.manufacturer;
  p.kvp = v.acquisition.kvp;
  p.slice_thickness_mm = v.acquisition.slice_thickness;
  p.pixel_spacing_mm = (v.spacing[0] + v.spacing[1]) / 2;
  const double low = model.window_center - model.window_width / 2;
  const double high = model.window_center + model.window_width / 2;
  double sum = 0, squares = 0;
  for (const float hu : v.hu) {
    const double x = std::clamp(static_cast<double>(hu), low, high);
    sum += x;
    squares += x * x;
  }
  if (!v.hu.empty()) {
    const auto n = static_cast<double>(v.hu.size());
    p.hu_mean = sum / n;
    p.hu_sd = std::sqrt(std::max(0.0, squares / n - p.hu_mean * p.hu_mean));
  }
  return p;
}

std::string to_json(const input_profile& p) {
  json::writer w;
  w.begin_object();
  if (!p.manufacturer.empty()) w.key("manufacturer").string(p.manufacturer);
  if (p.kvp) w.key("kvp").number(*p.kvp);
  if (p.slice_thickness_mm) w.key("slice_thickness_mm").number(*p.slice_thickness_mm);
  w.key("pixel_spacing_mm").number(p.pixel_spacing_mm);
  w.key("hu_mean").number(p.hu_mean).key("hu_sd").number(p.hu_sd);
  w.end_object();
  return w.str();
}

}  // namespace radbridge::infer
