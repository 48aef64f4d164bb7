#include "route/mapping.hpp"

namespace radbridge::route {

const finding_mapping* route::finding(std::string_view label) const noexcept {
  for (const finding_mapping& f : findings) {
    if (f.label == label) return &f;
  }
  return nullptr;
}

const destination* mapping_set::find_destination(std::string_view name) const noexcept {
  for (const destination& d : destinations) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

std::string_view to_string(rollout_mode m) noexcept {
  switch (m) {
    case rollout_mode::silent: return "silent";
    case rollout_mode::assist: return "assist";
    case rollout_mode::active: return "active";
  }
  return "silent";
}

std::string_view to_string(output_kind k) noexcept {
  switch (k) {
    case output_kind::oru: return "oru";
    case output_kind::adt: return "adt";
    case output_kind::observation: return "observation";
    case output_kind::sr: return "sr";
  }
  return "oru";
}

}  // namespace radbridge::route
