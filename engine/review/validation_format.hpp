// A validation report (validation.hpp) written for people and programs:
// plain text (what `radbridge report` prints), JSON (the admin API's
// /api/v1/report and `--format json`; the console draws its plots from it)
// and CSV (one row per finding of each model version and mode, for a
// spreadsheet). `scope` says what was asked (route, model, since) and is
// printed as given. Value findings carry the unit the route's mapping gives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "review/validation.hpp"
#include "route/mapping.hpp"

namespace radbridge::review {

// Whether `text` is a calendar date YYYY-MM-DD (the form `since` takes).
bool is_date(std::string_view text) noexcept;

struct report_scope {
  const route::route* route = nullptr;
  std::string model;  // empty: all
  std::string since;  // empty: all
};

std::string report_text(const report_scope& scope, const std::vector<group_report>& groups);
std::string report_json(const report_scope& scope, const std::vector<group_report>& groups);
std::string report_csv(const report_scope& scope, const std::vector<group_report>& groups);

}  // namespace radbridge::review
