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

}  // namespace radbridge::route
