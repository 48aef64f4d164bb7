// What a study offers and how one series is chosen from it.
//
// `series_info` is what QIDO-RS (or a scan of a folder) tells about a series
// before any pixel data is fetched. `select_series` applies a rule (from the
// caller; later from mappings): keep the series whose modality, body part
// and description match, then prefer the thinnest slices or the most
// instances; ties go to the lowest SeriesNumber, then the series UID, so the
// choice is stable. Nothing matching is an error with the reason, which
// describes the candidates by modality, body part, SeriesNumber and instance
// count, never by their descriptions (free text). A description is searched
// in its first 64 characters only (SeriesDescription is LO: 64 at most), so
// a PACS that sends a longer one cannot make the regex engine overflow the
// stack; what comes after is not seen by the pattern.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fetch/volume.hpp"

namespace radbridge::fetch {

struct series_info {
  series_identity identity;
  int series_number = 0;                  // (0020,0011); 0 when absent
  std::size_t instances = 0;              // (0020,1209) or counted
  std::optional<double> slice_thickness;  // (0018,0050) of the series' first instance, mm
};

enum class prefer { thinnest_slices, most_instances };

struct series_rule {
  std::vector<std::string> modalities;  // e.g. {"CT"}; empty: any
  std::vector<std::string> body_parts;  // e.g. {"HEAD", "BRAIN"}; case-insensitive; empty: any
  std::string description_pattern;      // ECMAScript regex, case-insensitive, searched in the first 64 characters; empty: any
  prefer preference = prefer::thinnest_slices;
};

// Throws fetch_error(no_matching_series) naming the rule and what was there.
const series_info& select_series(const std::vector<series_info>& candidates, const series_rule& rule);

}  // namespace radbridge::fetch
