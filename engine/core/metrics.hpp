// Metrics the stages record and the admin server exposes (/metrics).
//
// `counter` and `histogram` are updated with atomics, from any thread,
// without locks. `labelled<T>` holds one T per combination of label values;
// finding a series takes a mutex (uncontended, a few tens of nanoseconds
// beside a message's tens of microseconds). Label values often come from
// peers (a message type is whatever a sender writes), so a family holds at
// most `max_series` series: later combinations all count in one series whose
// values are "other", and a hostile sender cannot grow the scrape without
// bound. Histograms take their bucket bounds in base units (seconds, rows).
// `exposition` writes the Prometheus text format (version 0.0.4): a family's
// HELP and TYPE once, then its samples; label values escaped.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace radbridge::metrics {

class counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class histogram {
 public:
  // Upper bounds, strictly increasing; +Inf is implied.
  explicit histogram(std::vector<double> bounds);
  void observe(double value) noexcept;

  struct snapshot {
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
  };
  snapshot read() const;
  const std::vector<double>& bounds() const noexcept { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket, +Inf last
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 100 us to 60 s.
std::vector<double> latency_bounds();
// Size buckets: 1, 2, 4, ... up to `most`.
std::vector<double> power_of_two_bounds(std::size_t most);

using label_values = std::vector<std::string>;

template <class T>
class labelled {
 public:
  static constexpr std::size_t max_series = 200;

  // `make` builds a new series (for histograms: with their bounds).
  template <class... Args>
  explicit labelled(Args... args) : make_([=] { return std::make_unique<T>(args...); }) {}

  T& at(const label_values& values) {
    std::lock_guard lock(mutex_);
    auto found = series_.find(values);
    if (found == series_.end()) {
      // Past the cap, every new combination counts in the one "other" series.
      found = series_.try_emplace(series_.size() < max_series ? values : label_values(values.size(), "other")).first;
      if (!found->second) found->second = make_();
    }
    return *found->second;
  }

  // Calls f(values, series) for each series, in label order.
  template <class F>
  void each(F f) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, series] : series_) f(values, *series);
  }

 private:
  std::function<std::unique_ptr<T>()> make_;
  mutable std::mutex mutex_;
  std::map<label_values, std::unique_ptr<T>> series_;
};

// One label: its name and value.
using label = std::pair<std::string_view, std::string_view>;

class exposition {
 public:
  // Starts a family: `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, std::initializer_list<label> labels, double value);
  void sample(std::string_view name, const std::vector<label>& labels, double value);
  // A histogram's _bucket, _sum and _count samples.
  void histogram(std::string_view name, const std::vector<label>& labels, const histogram::snapshot& s,
                 const std::vector<double>& bounds);

  // A labelled family's samples, each series' values under `names`.
  void counters(std::string_view name, const std::vector<std::string_view>& names, const labelled<counter>& family);
  void histograms(std::string_view name, const std::vector<std::string_view>& names,
                  const labelled<metrics::histogram>& family);

  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
};

}  // namespace radbridge::metrics
