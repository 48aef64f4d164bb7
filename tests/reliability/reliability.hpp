// What every reliability scenario (tests/reliability/) shares: its sizes and
// durations, read from the environment so that tests/reliability/run and
// CTest can shorten them, and its figures, printed and recorded for the run
// script's table.
//
// - setting("KILLS", 20) is $RADBRIDGE_RELIABILITY_KILLS when set (a whole
//   number; anything else fails the test case), else 20. Each value used is
//   printed once ("setting KILLS=20"), so a log says what ran.
// - figure(scenario, name, value) prints "figure SCENARIO NAME VALUE" and
//   appends that line to $RADBRIDGE_RELIABILITY_FIGURES when it is set;
//   key_figure does the same with the name "key": the run script shows the
//   last key figure of each scenario in its table.
// - kept_log copies a file (an engine's log) to
//   $RADBRIDGE_RELIABILITY_LOGS/SCENARIO-NAME when the object goes, also when
//   the test case failed, so the temporary folders can go with their fixtures.
// - percentile() and mean() over samples, for latency figures;
//   seconds_since(t) on the steady clock, for durations.
// Not provided: any verdict; each scenario's doctest assertions are its verdict.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <vector>

namespace radbridge::reliability {

inline long setting(const std::string& name, long fallback) {
  static std::mutex mutex;
  static std::set<std::string> printed;
  const std::string variable = "RADBRIDGE_RELIABILITY_" + name;
  long value = fallback;
  if (const char* text = std::getenv(variable.c_str()); text != nullptr && *text != '\0') {
    char* end = nullptr;
    value = std::strtol(text, &end, 10);
    REQUIRE_MESSAGE(*end == '\0', variable << " must be a whole number, not '" << text << "'");
  }
  const std::lock_guard lock(mutex);
  if (printed.insert(name).second) std::cout << "setting " << name << "=" << value << std::endl;
  return value;
}

inline void figure(const std::string& scenario, const std::string& name, const std::string& value) {
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  const std::string line = "figure " + scenario + " " + name + " " + value;
  std::cout << line << std::endl;
  if (const char* file = std::getenv("RADBRIDGE_RELIABILITY_FIGURES"); file != nullptr && *file != '\0') {
    std::ofstream(file, std::ios::app) << line << "\n";
  }
}

inline void key_figure(const std::string& scenario, const std::string& text) { figure(scenario, "key", text); }

// The stroke route's readiness in the scenarios that are not about readiness:
// settle 200 ms, and a wait of an hour (it counts from the order), so that
// no job behind a backlog of kills or outages can meet it.
inline const std::string lenient_readiness = R"({"settle_ms": 200, "max_wait_ms": 3600000})";

class kept_log {
 public:
  kept_log(std::string scenario, std::filesystem::path file) : scenario_(std::move(scenario)), file_(std::move(file)) {}
  ~kept_log() {
    const char* dir = std::getenv("RADBRIDGE_RELIABILITY_LOGS");
    if (dir == nullptr || *dir == '\0') return;
    std::error_code ignored;
    std::filesystem::create_directories(dir, ignored);
    std::filesystem::copy_file(file_, std::filesystem::path(dir) / (scenario_ + "-" + file_.filename().string()),
                               std::filesystem::copy_options::overwrite_existing, ignored);
  }
  kept_log(const kept_log&) = delete;
  kept_log& operator=(const kept_log&) = delete;

 private:
  std::string scenario_;
  std::filesystem::path file_;
};

// The q-quantile (0..1) of `samples` by nearest rank; 0 for none.
inline double percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[std::min(rank, samples.size() - 1)];
}

inline double mean(const std::vector<double>& samples) {
  return samples.empty() ? 0
                         : std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// "12.3" with one decimal, for figures.
inline std::string fixed1(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

}  // namespace radbridge::reliability
