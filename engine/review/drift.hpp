// Drift monitors: whether what a route's models see and say has moved away
// from the route's first studies. Pure arithmetic over the rows
// store/drift_store.hpp gives (one per inference, oldest first).
//
// Per model: the reference is its first `reference_studies` inferences; the
// current window is those of the last `window_days`. Features and scores:
//   positive_rate, mean_probability   |current - reference| (absolute)
//   slice_thickness_mm, kvp, pixel_spacing_mm, hu_mean
//                                     |current mean - reference mean| /
//                                     reference SD (an SD of 0 counts as a
//                                     small floor per feature)
//   new_manufacturer                  the share of the window's studies from
//                                     a manufacturer the reference never saw
// A model drifts when any score exceeds its threshold (the route's drift
// rules) with at least `min_studies` in the window; "not enough data" while
// the reference is not full or the window is too small. Weekly means of the
// same features are given for plots (weeks start on Monday, UTC).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "route/mapping.hpp"
#include "store/drift_store.hpp"

namespace radbridge::review {

struct feature_drift {
  std::string feature;
  std::optional<double> reference;  // the reference's mean (or rate)
  std::optional<double> current;    // the window's
  std::optional<double> score;      // none when either side has no value
  double threshold = 0;
  bool over = false;
};

struct week_profile {
  std::string week;
  std::size_t studies = 0;
  std::optional<double> positive_rate;
  std::optional<double> mean_probability;
  std::optional<double> hu_mean;
  std::optional<double> slice_thickness_mm;
};

enum class drift_state { ok, drifting, not_enough_data };
std::string_view to_string(drift_state s) noexcept;

struct model_drift {
  std::string model;
  std::size_t reference_studies = 0;
  std::size_t window_studies = 0;
  std::vector<feature_drift> features;
  std::vector<week_profile> weeks;
  drift_state state = drift_state::not_enough_data;
};

// Models in the order they first appear in `rows`.
std::vector<model_drift> drift_of(const std::vector<store::drift_row>& rows, const route::drift_rules& rules);

// As JSON (the API's /api/v1/drift and the console): {"route", "rules": {...}, "models": [...]}.
std::string drift_json(std::string_view route, const route::drift_rules& rules, const std::vector<model_drift>& models);

}  // namespace radbridge::review
