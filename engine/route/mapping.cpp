#include "route/mapping.hpp"

#include <utility>

namespace radbridge::route {

namespace {

constexpr std::pair<change_kind, std::string_view> change_names[] = {
    {change_kind::absent, "absent"},   {change_kind::new_finding, "new"},     {change_kind::stable, "stable"},
    {change_kind::growing, "growing"}, {change_kind::shrinking, "shrinking"}, {change_kind::resolved, "resolved"}};

}  // namespace

std::string_view to_string(change_kind k) noexcept {
  for (const auto& [kind, name] : change_names) {
    if (kind == k) return name;
  }
  return "absent";
}

std::optional<change_kind> parse_change_kind(std::string_view text) noexcept {
  for (const auto& [kind, name] : change_names) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

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
