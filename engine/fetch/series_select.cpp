#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <sstream>
#include <string_view>

#include "fetch/fetch_error.hpp"
#include "fetch/series.hpp"

namespace radbridge::fetch {

namespace {

bool same_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::toupper(x) == std::toupper(y);
         });
}

bool listed(const std::vector<std::string>& allowed, std::string_view value) {
  return allowed.empty() || std::any_of(allowed.begin(), allowed.end(),
                                        [&](const std::string& a) { return same_text(a, value); });
}

std::string joined(const std::vector<std::string>& values) {
  if (values.empty()) return "any";
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : "|") + v;
  return out;
}

std::string describe(const series_rule& rule) {
  std::ostringstream s;
  s << "modality " << joined(rule.modalities) << ", body part " << joined(rule.body_parts) << ", description "
    << (rule.description_pattern.empty() ? "any" : "/" + rule.description_pattern + "/i");
  return s.str();
}

// SeriesDescription is LO, at most 64 characters (PS3.5 6.2). Only that much
// of a longer value is searched: std::regex_search recurses once per
// character a pattern like ".*" consumes, so a PACS's description of any
// length could overflow the stack. Characters are UTF-8 code points (a lead
// byte and at most 3 continuation bytes), so at most 256 bytes are searched.
constexpr std::size_t max_description_characters = 64;

std::string_view searched_description(std::string_view d) {
  const auto continuation = [](char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; };
  std::size_t end = 0;
  for (std::size_t n = 0; n < max_description_characters && end < d.size(); ++n) {
    ++end;
    for (int k = 0; k < 3 && end < d.size() && continuation(d[end]); ++k) ++end;
  }
  return d.substr(0, end);
}

bool description_matches(const std::regex& pattern, std::string_view description) {
  const std::string_view searched = searched_description(description);
  return std::regex_search(searched.data(), searched.data() + searched.size(), pattern);
}

// The candidates without their descriptions (free text that may name the
// patient): modality, body part, SeriesNumber, instances, and whether the
// description matched the rule's pattern when it has one.
std::string describe(const std::vector<series_info>& candidates, const std::optional<std::regex>& pattern) {
  if (candidates.empty()) return "the study has no series";
  std::ostringstream s;
  s << candidates.size() << " candidate" << (candidates.size() == 1 ? "" : "s") << ":";
  for (const auto& c : candidates) {
    const auto& id = c.identity;
    s << " [series " << c.series_number << ' ' << (id.modality.empty() ? "?" : id.modality) << ' '
      << (id.body_part.empty() ? "?" : id.body_part) << ", " << c.instances << (c.instances == 1 ? " instance" : " instances");
    if (pattern) s << ", description " << (description_matches(*pattern, id.series_description) ? "matches" : "does not match");
    s << ']';
  }
  return s.str();
}

// Whether `a` goes before `b`: the preferred series first, then the lowest
// SeriesNumber, then the lowest series UID, so the order is total and stable.
bool preferred(const series_info& a, const series_info& b, prefer preference) {
  if (preference == prefer::thinnest_slices) {
    if (a.slice_thickness.has_value() != b.slice_thickness.has_value()) return a.slice_thickness.has_value();
    if (a.slice_thickness && *a.slice_thickness != *b.slice_thickness) return *a.slice_thickness < *b.slice_thickness;
  } else if (a.instances != b.instances) {
    return a.instances > b.instances;
  }
  if (a.series_number != b.series_number) return a.series_number < b.series_number;
  return a.identity.series_uid < b.identity.series_uid;
}

}  // namespace

const series_info& select_series(const std::vector<series_info>& candidates, const series_rule& rule) {
  std::optional<std::regex> pattern;
  if (!rule.description_pattern.empty()) {
    try {
      pattern.emplace(rule.description_pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      throw fetch_error(fetch_errc::no_matching_series,
                        "series rule: the description pattern /" + rule.description_pattern + "/ is invalid (" +
                            e.what() + ")");
    }
  }
  const series_info* best = nullptr;
  for (const auto& c : candidates) {
    if (!listed(rule.modalities, c.identity.modality) || !listed(rule.body_parts, c.identity.body_part)) continue;
    if (pattern && !description_matches(*pattern, c.identity.series_description)) continue;
    if (best == nullptr || preferred(c, *best, rule.preference)) best = &c;
  }
  if (best == nullptr) {
    throw fetch_error(fetch_errc::no_matching_series,
                      "no series matches the rule (" + describe(rule) + "); " + describe(candidates, pattern));
  }
  return *best;
}

}  // namespace radbridge::fetch
