#include "core/metrics.hpp"

#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace metrics = radbridge::metrics;

TEST_CASE("metrics: a histogram's buckets are upper-inclusive and cumulative, with the sum") {
  metrics::histogram h({0.1, 1, 10});
  for (const double v : {0.05, 0.1, 0.5, 1.0, 5.0, 20.0, 30.0}) h.observe(v);
  const metrics::histogram::snapshot s = h.read();
  CHECK(s.cumulative == std::vector<std::uint64_t>{2, 4, 5, 7});
  CHECK(s.sum == doctest::Approx(56.65));
}

TEST_CASE("metrics: histogram bounds must increase strictly") {
  CHECK_THROWS_WITH_AS(metrics::histogram({1, 1}), "histogram bounds must be strictly increasing",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(metrics::histogram({2, 1}), "histogram bounds must be strictly increasing",
                       std::invalid_argument);
}

TEST_CASE("metrics: power-of-two bounds stop at the largest power not over the most") {
  CHECK(metrics::power_of_two_bounds(6553) ==
        std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096});
  CHECK(metrics::power_of_two_bounds(1) == std::vector<double>{1});
}

TEST_CASE("metrics: a labelled family keeps one series per label values, then counts the rest as other") {
  metrics::labelled<metrics::counter> family;
  family.at({"ADT^A01", "AA"}).add();
  family.at({"ADT^A01", "AA"}).add(2);
  for (std::size_t i = 0; i < metrics::labelled<metrics::counter>::max_series + 10; ++i) {
    family.at({"T" + std::to_string(i), "AE"}).add();
  }
  std::vector<std::pair<metrics::label_values, std::uint64_t>> seen;
  family.each([&](const metrics::label_values& v, const metrics::counter& c) { seen.emplace_back(v, c.value()); });
  CHECK(seen.size() == metrics::labelled<metrics::counter>::max_series + 1);
  CHECK(family.at({"ADT^A01", "AA"}).value() == 3);
  // 199 series of T0..T198 fit beside ADT^A01; the 11 others counted together.
  CHECK(family.at({"other", "other"}).value() == 11);
  CHECK(family.at({"T5", "AE"}).value() == 1);
}

TEST_CASE("metrics: the exposition writes HELP, TYPE, escaped labels and histogram series") {
  metrics::exposition out;
  out.family("radbridge_things_total", "counter", "Things");
  out.sample("radbridge_things_total", {{"name", "a\"b\\c\nd"}}, 3);
  out.sample("radbridge_things_total", {}, 0.25);
  metrics::histogram h({0.5, 1});
  h.observe(0.25);
  h.observe(2);
  out.family("radbridge_wait_seconds", "histogram", "Waits");
  out.histogram("radbridge_wait_seconds", {{"lane", "ris"}}, h.read(), h.bounds());
  CHECK(out.text() ==
        "# HELP radbridge_things_total Things\n"
        "# TYPE radbridge_things_total counter\n"
        "radbridge_things_total{name=\"a\\\"b\\\\c\\nd\"} 3\n"
        "radbridge_things_total 0.25\n"
        "# HELP radbridge_wait_seconds Waits\n"
        "# TYPE radbridge_wait_seconds histogram\n"
        "radbridge_wait_seconds_bucket{lane=\"ris\",le=\"0.5\"} 1\n"
        "radbridge_wait_seconds_bucket{lane=\"ris\",le=\"1\"} 1\n"
        "radbridge_wait_seconds_bucket{lane=\"ris\",le=\"+Inf\"} 2\n"
        "radbridge_wait_seconds_sum{lane=\"ris\"} 2.25\n"
        "radbridge_wait_seconds_count{lane=\"ris\"} 2\n");
}
