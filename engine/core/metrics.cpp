#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace radbridge::metrics {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram bounds must be strictly increasing");
  }
}

void histogram::observe(double value) noexcept {
  // Prometheus buckets are upper-inclusive: value <= bound.
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(total);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_bounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25,   0.5,     1,      2.5,   5,      10,    30,   60};
}

std::vector<double> power_of_two_bounds(std::size_t most) {
  std::vector<double> bounds;
  for (std::size_t b = 1; b <= most; b *= 2) bounds.push_back(static_cast<double>(b));
  return bounds;
}

namespace {

// Label values escape backslash, double quote and line feed.
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Integers without a fraction; others with enough digits to round-trip.
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return fmt::format("{}", v);
}

template <class Labels>
void append_sample(std::string& out, std::string_view name, const Labels& labels, double value) {
  out += name;
  if (std::begin(labels) != std::end(labels)) {
    out += '{';
    bool first = true;
    for (const auto& [key, text] : labels) {
      if (!first) out += ',';
      first = false;
      out += key;
      out += "=\"";
      append_label_value(out, text);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

std::vector<label> zip(const std::vector<std::string_view>& names, const label_values& values) {
  std::vector<label> labels;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) labels.emplace_back(names[i], values[i]);
  return labels;
}

}  // namespace

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void exposition::sample(std::string_view name, std::initializer_list<label> labels, double value) {
  append_sample(text_, name, labels, value);
}

void exposition::sample(std::string_view name, const std::vector<label>& labels, double value) {
  append_sample(text_, name, labels, value);
}

void exposition::histogram(std::string_view name, const std::vector<label>& labels, const histogram::snapshot& s,
                           const std::vector<double>& bounds) {
  const std::string bucket = std::string(name) + "_bucket";
  std::vector<label> with_le = labels;
  with_le.emplace_back("le", "");
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
    with_le.back().second = le;
    append_sample(text_, bucket, with_le, static_cast<double>(s.cumulative[i]));
  }
  append_sample(text_, std::string(name) + "_sum", labels, s.sum);
  append_sample(text_, std::string(name) + "_count", labels, static_cast<double>(s.cumulative.back()));
}

void exposition::counters(std::string_view name, const std::vector<std::string_view>& names,
                          const labelled<counter>& family) {
  family.each([&](const label_values& values, const counter& c) {
    append_sample(text_, name, zip(names, values), static_cast<double>(c.value()));
  });
}

void exposition::histograms(std::string_view name, const std::vector<std::string_view>& names,
                            const labelled<metrics::histogram>& family) {
  family.each([&](const label_values& values, const metrics::histogram& h) {
    histogram(name, zip(names, values), h.read(), h.bounds());
  });
}

}  // namespace radbridge::metrics
