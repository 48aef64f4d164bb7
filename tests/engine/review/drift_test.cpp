// Drift monitors on rows built here: a stable window, a new scanner with
// thicker slices, a rising positive rate, and too little data.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "review/drift.hpp"

namespace review = radbridge::review;
namespace route = radbridge::route;
namespace store = radbridge::store;

namespace {

store::drift_row inference(bool recent, bool found, double thickness, const std::string& maker = "ACME",
                           double hu = 30, const std::string& week = "2026-11-02") {
  store::drift_row r;
  r.model = "ich_classifier";
  r.week = week;
  r.recent = recent;
  r.present = found;
  r.probability = found ? 0.9 : 0.1;
  r.manufacturer = maker;
  r.kvp = 120;
  r.slice_thickness_mm = thickness;
  r.pixel_spacing_mm = 0.5;
  r.hu_mean = hu;
  return r;
}

// 10 reference studies (2 positive, slices of 4.5 and 5.5 mm), then `window`.
std::vector<store::drift_row> with_window(const std::vector<store::drift_row>& window) {
  std::vector<store::drift_row> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(inference(false, i < 2, i % 2 == 0 ? 4.5 : 5.5, "ACME", 30 + i % 3));
  rows.insert(rows.end(), window.begin(), window.end());
  return rows;
}

route::drift_rules rules() {
  route::drift_rules r;
  r.reference_studies = 10;
  r.min_studies = 5;
  return r;
}

const review::feature_drift& feature(const review::model_drift& d, const std::string& name) {
  for (const auto& f : d.features) {
    if (f.feature == name) return f;
  }
  FAIL("no feature " << name);
  return d.features.front();
}

}  // namespace

TEST_CASE("drift: a window like the reference is ok") {
  std::vector<store::drift_row> window;
  for (int i = 0; i < 5; ++i) window.push_back(inference(true, i == 0, i % 2 == 0 ? 4.5 : 5.5, "ACME", 31, "2026-11-30"));
  const auto drift = review::drift_of(with_window(window), rules());
  REQUIRE(drift.size() == 1);
  const review::model_drift& d = drift[0];
  CHECK(d.state == review::drift_state::ok);
  CHECK(d.reference_studies == 10);
  CHECK(d.window_studies == 5);
  CHECK(*feature(d, "positive_rate").reference == doctest::Approx(0.2));
  CHECK(*feature(d, "positive_rate").score == doctest::Approx(0.0));
  CHECK_FALSE(feature(d, "slice_thickness_mm").over);
  CHECK(*feature(d, "new_manufacturer").score == 0.0);
  REQUIRE(d.weeks.size() == 2);
  CHECK(d.weeks[0].week == "2026-11-02");
  CHECK(d.weeks[0].studies == 10);
  CHECK(*d.weeks[1].positive_rate == doctest::Approx(0.2));
}

TEST_CASE("drift: a new scanner with thick slices, and more positives, raise the drift state") {
  std::vector<store::drift_row> window;
  for (int i = 0; i < 5; ++i) window.push_back(inference(true, i < 3, 10.0, "OTHERCO", 45, "2026-11-30"));
  const review::model_drift d = review::drift_of(with_window(window), rules()).front();
  CHECK(d.state == review::drift_state::drifting);
  // Reference slices: mean 5.0, SD 0.527: the window's 10 mm is 9.5 SDs away.
  const review::feature_drift& slices = feature(d, "slice_thickness_mm");
  CHECK(*slices.reference == doctest::Approx(5.0));
  CHECK(*slices.current == doctest::Approx(10.0));
  CHECK(*slices.score == doctest::Approx(5.0 / 0.527046).epsilon(0.001));
  CHECK(slices.over);
  CHECK(*feature(d, "positive_rate").score == doctest::Approx(0.4));
  CHECK(feature(d, "positive_rate").over);
  CHECK(*feature(d, "new_manufacturer").score == 1.0);
  CHECK(feature(d, "new_manufacturer").over);
  CHECK(feature(d, "hu_mean").over);
  // kVp never moved; its SD of 0 counts as 1 kV.
  CHECK(*feature(d, "kvp").score == 0.0);
  CHECK_FALSE(feature(d, "kvp").over);
  const std::string json = review::drift_json("stroke", rules(), {d});
  CHECK_MESSAGE(json.starts_with(R"({"route":"stroke","rules":{"reference_studies":10,"window_days":7,"min_studies":5},)"
                                 R"("models":[{"model":"ich_classifier","state":"drift","reference_studies":10,)"
                                 R"("window_studies":5,"features":[{"feature":"positive_rate","reference":0.2,)"
                                 R"("current":0.6,"score":0.3)"),
                json);
  CHECK_MESSAGE(json.find(R"("threshold":0.15,"over":true},{"feature":"mean_probability")") != std::string::npos, json);
  CHECK_MESSAGE(json.find(R"({"feature":"kvp","reference":120.0,"current":120.0,"score":0.0,"threshold":1.0,)"
                          R"("over":false})") != std::string::npos,
                json);
}

TEST_CASE("drift: too few studies in the reference or the window is not enough data, whatever the scores") {
  std::vector<store::drift_row> window;
  for (int i = 0; i < 4; ++i) window.push_back(inference(true, true, 10.0));
  CHECK(review::drift_of(with_window(window), rules()).front().state == review::drift_state::not_enough_data);
  route::drift_rules bigger = rules();
  bigger.reference_studies = 50;
  window.push_back(inference(true, true, 10.0));
  const review::model_drift d = review::drift_of(with_window(window), bigger).front();
  CHECK(d.state == review::drift_state::not_enough_data);
  CHECK(d.reference_studies == 15);  // all there are, the window's included
  CHECK(review::drift_of({}, rules()).empty());
}
