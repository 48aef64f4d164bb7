// The rows drift monitors are computed from (review/drift.hpp): one per
// inference of a route's done jobs, oldest first, with what the model said
// (its first present/absent finding) and what it was given
// (inference_audit.input_profile, infer/input_profile.hpp). With
// `reference_studies`, only what a drift state needs is read: each model's
// first that many inferences and those of the window (a scrape of /metrics
// must not read the whole audit); without it every inference, for the weekly
// profiles. Throws store_error (store_error.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.hpp"

namespace radbridge::store {

struct drift_row {
  std::string model;
  std::string week;     // the Monday of the inference, YYYY-MM-DD (UTC)
  bool recent = false;  // within the last `window_days`
  std::optional<bool> present;
  std::optional<double> probability;
  std::string manufacturer;
  std::optional<double> kvp;
  std::optional<double> slice_thickness_mm;
  std::optional<double> pixel_spacing_mm;
  std::optional<double> hu_mean;
};

std::vector<drift_row> drift_rows(database& db, std::string_view route, int window_days,
                                  std::optional<std::size_t> reference_studies = std::nullopt);

}  // namespace radbridge::store
