#include "review/drift.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "json/json_writer.hpp"

namespace radbridge::review {

namespace {

using row_list = std::vector<const store::drift_row*>;
using getter = std::function<std::optional<double>(const store::drift_row&)>;

struct moments {
  std::size_t n = 0;
  double mean = 0;
  double sd = 0;
};

std::optional<moments> moments_of(const row_list& list, const getter& get) {
  std::vector<double> values;
  for (const auto* r : list) {
    if (const auto v = get(*r)) values.push_back(*v);
  }
  if (values.empty()) return std::nullopt;
  moments m;
  m.n = values.size();
  for (double v : values) m.mean += v;
  m.mean /= static_cast<double>(m.n);
  if (m.n > 1) {
    double squares = 0;
    for (double v : values) squares += (v - m.mean) * (v - m.mean);
    m.sd = std::sqrt(squares / static_cast<double>(m.n - 1));
  }
  return m;
}

std::optional<double> positive(const store::drift_row& r) {
  if (!r.present) return std::nullopt;
  return *r.present ? 1.0 : 0.0;
}

// A feature whose score is the absolute difference of the means (rates).
feature_drift absolute(std::string name, const row_list& reference, const row_list& window, const getter& get, double most) {
  feature_drift f{std::move(name), std::nullopt, std::nullopt, std::nullopt, most, false};
  const auto ref = moments_of(reference, get);
  const auto cur = moments_of(window, get);
  if (ref) f.reference = ref->mean;
  if (cur) f.current = cur->mean;
  if (ref && cur) f.score = std::abs(cur->mean - ref->mean);
  return f;
}

// A feature whose score is the shift of the mean in reference SDs (at least `floor`).
feature_drift shifted(std::string name, const row_list& reference, const row_list& window, const getter& get, double floor,
                      double most) {
  feature_drift f{std::move(name), std::nullopt, std::nullopt, std::nullopt, most, false};
  const auto ref = moments_of(reference, get);
  const auto cur = moments_of(window, get);
  if (ref) f.reference = ref->mean;
  if (cur) f.current = cur->mean;
  if (ref && cur) f.score = std::abs(cur->mean - ref->mean) / std::max(ref->sd, floor);
  return f;
}

feature_drift new_manufacturers(const row_list& reference, const row_list& window, double most) {
  feature_drift f{"new_manufacturer", std::nullopt, std::nullopt, std::nullopt, most, false};
  std::set<std::string> known;
  for (const auto* r : reference) known.insert(r->manufacturer);
  if (reference.empty() || window.empty()) return f;
  std::size_t unseen = 0;
  for (const auto* r : window) unseen += known.contains(r->manufacturer) ? 0u : 1u;
  f.reference = 0;
  f.current = static_cast<double>(unseen) / static_cast<double>(window.size());
  f.score = f.current;
  return f;
}

std::vector<week_profile> weekly(const row_list& all) {
  std::map<std::string, row_list> by_week;
  for (const auto* r : all) by_week[r->week].push_back(r);
  std::vector<week_profile> out;
  for (const auto& [week, list] : by_week) {
    week_profile w;
    w.week = week;
    w.studies = list.size();
    if (const auto m = moments_of(list, positive)) w.positive_rate = m->mean;
    if (const auto m = moments_of(list, [](const store::drift_row& r) { return r.probability; })) w.mean_probability = m->mean;
    if (const auto m = moments_of(list, [](const store::drift_row& r) { return r.hu_mean; })) w.hu_mean = m->mean;
    if (const auto m = moments_of(list, [](const store::drift_row& r) { return r.slice_thickness_mm; })) {
      w.slice_thickness_mm = m->mean;
    }
    out.push_back(std::move(w));
  }
  return out;
}

model_drift one_model(const std::string& model, const row_list& all, const route::drift_rules& rules) {
  model_drift d;
  d.model = model;
  const row_list reference(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), rules.reference_studies)));
  row_list window;
  for (const auto* r : all) {
    if (r->recent) window.push_back(r);
  }
  d.reference_studies = reference.size();
  d.window_studies = window.size();
  const getter probability = [](const store::drift_row& r) { return r.probability; };
  d.features = {
      absolute("positive_rate", reference, window, positive, rules.max_rate_change),
      absolute("mean_probability", reference, window, probability, rules.max_rate_change),
      shifted("slice_thickness_mm", reference, window, [](const store::drift_row& r) { return r.slice_thickness_mm; },
              0.1, rules.max_shift_sd),
      shifted("kvp", reference, window, [](const store::drift_row& r) { return r.kvp; }, 1.0, rules.max_shift_sd),
      shifted("pixel_spacing_mm", reference, window, [](const store::drift_row& r) { return r.pixel_spacing_mm; }, 0.01,
              rules.max_shift_sd),
      shifted("hu_mean", reference, window, [](const store::drift_row& r) { return r.hu_mean; }, 1.0, rules.max_shift_sd),
      new_manufacturers(reference, window, rules.max_new_manufacturer_share),
  };
  bool over = false;
  for (feature_drift& f : d.features) {
    f.over = f.score && *f.score > f.threshold;
    over = over || f.over;
  }
  const bool enough = reference.size() >= rules.reference_studies && window.size() >= rules.min_studies;
  d.state = !enough ? drift_state::not_enough_data : over ? drift_state::drifting : drift_state::ok;
  d.weeks = weekly(all);
  return d;
}

void optional_number(json::writer& w, std::string_view key, const std::optional<double>& v) {
  w.key(key);
  v ? w.number(*v) : w.null();
}

}  // namespace

std::string_view to_string(drift_state s) noexcept {
  switch (s) {
    case drift_state::ok: return "ok";
    case drift_state::drifting: return "drift";
    case drift_state::not_enough_data: return "not enough data";
  }
  return "not enough data";
}

std::vector<model_drift> drift_of(const std::vector<store::drift_row>& all, const route::drift_rules& rules) {
  std::vector<std::string> models;
  std::map<std::string, row_list> by_model;
  for (const store::drift_row& r : all) {
    if (!by_model.contains(r.model)) models.push_back(r.model);
    by_model[r.model].push_back(&r);
  }
  std::vector<model_drift> out;
  for (const std::string& m : models) out.push_back(one_model(m, by_model.at(m), rules));
  return out;
}

std::string drift_json(std::string_view route, const route::drift_rules& rules, const std::vector<model_drift>& models) {
  json::writer w;
  w.begin_object().key("route").string(route);
  w.key("rules").begin_object()
      .key("reference_studies").number(static_cast<std::int64_t>(rules.reference_studies))
      .key("window_days").number(static_cast<std::int64_t>(rules.window_days))
      .key("min_studies").number(static_cast<std::int64_t>(rules.min_studies))
      .end_object();
  w.key("models").begin_array();
  for (const model_drift& d : models) {
    w.begin_object().key("model").string(d.model).key("state").string(to_string(d.state));
    w.key("reference_studies").number(static_cast<std::int64_t>(d.reference_studies));
    w.key("window_studies").number(static_cast<std::int64_t>(d.window_studies));
    w.key("features").begin_array();
    for (const feature_drift& f : d.features) {
      w.begin_object().key("feature").string(f.feature);
      optional_number(w, "reference", f.reference);
      optional_number(w, "current", f.current);
      optional_number(w, "score", f.score);
      w.key("threshold").number(f.threshold).key("over").boolean(f.over).end_object();
    }
    w.end_array().key("weeks").begin_array();
    for (const week_profile& wk : d.weeks) {
      w.begin_object().key("week").string(wk.week).key("studies").number(static_cast<std::int64_t>(wk.studies));
      optional_number(w, "positive_rate", wk.positive_rate);
      optional_number(w, "mean_probability", wk.mean_probability);
      optional_number(w, "hu_mean", wk.hu_mean);
      optional_number(w, "slice_thickness_mm", wk.slice_thickness_mm);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace radbridge::review
