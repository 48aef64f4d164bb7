// jobs/job_events: the packets the worker sends and what serve counts from them.
#include "jobs/job_events.hpp"

#include <doctest/doctest.h>

namespace jobs = radbridge::jobs;

TEST_CASE("job events: outcomes and step timings count; tabs and line breaks in names become '_'") {
  CHECK(jobs::job_event("stroke", "failed", "patient_mismatch") == "job\tstroke\tfailed\tpatient_mismatch");
  CHECK(jobs::job_event("a\tb\nc", "done", "") == "job\ta_b_c\tdone\t");
  CHECK(jobs::step_event("ich_classifier", "inference", 380.5) == "step\tich_classifier\tinference\t380.5");

  jobs::job_stats stats;
  CHECK(jobs::apply_event(stats, jobs::job_event("stroke", "done", "")));
  CHECK(jobs::apply_event(stats, jobs::job_event("stroke", "done", "")));
  CHECK(jobs::apply_event(stats, jobs::job_event("stroke", "failed", "attempts_exhausted")));
  CHECK(jobs::apply_event(stats, jobs::step_event("ich_classifier", "inference", 380.5)));
  CHECK(stats.jobs.at({"stroke", "done", ""}).value() == 2);
  CHECK(stats.jobs.at({"stroke", "failed", "attempts_exhausted"}).value() == 1);
  const auto inference = stats.step_seconds.at({"ich_classifier", "inference"}).read();
  CHECK(inference.cumulative.back() == 1);
  CHECK(inference.sum == doctest::Approx(0.3805));
}

TEST_CASE("job events: a packet that is not an event counts nothing") {
  jobs::job_stats stats;
  for (const char* packet : {"", "job\tstroke\tdone", "job\tstroke\tdone\t\textra", "step\tm\tinference\tfast",
                             "step\tm\tinference\t-1", "step\tm\tinference\t12ms", "hello\ta\tb\tc"}) {
    CAPTURE(packet);
    CHECK_FALSE(jobs::apply_event(stats, packet));
  }
  std::size_t series = 0;
  stats.jobs.each([&](const auto&, const auto&) { ++series; });
  stats.step_seconds.each([&](const auto&, const auto&) { ++series; });
  CHECK(series == 0);
}

TEST_CASE("job events: the metrics families") {
  jobs::job_stats stats;
  jobs::apply_event(stats, jobs::job_event("stroke", "retry", "fetch"));
  radbridge::metrics::exposition out;
  jobs::write_metrics(out, stats);
  CHECK_MESSAGE(out.text().starts_with("# HELP radbridge_jobs_total Job attempts ended by this engine's worker, by route, "
                               "outcome and reason\n# TYPE radbridge_jobs_total counter\n"
                               "radbridge_jobs_total{route=\"stroke\",outcome=\"retry\",reason=\"fetch\"} 1\n"
                               "# HELP radbridge_job_step_seconds "),
                out.text());
}
