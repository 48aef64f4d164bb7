#include "results/fhir_time.hpp"

#include <fmt/format.h>

#include <cstddef>

namespace radbridge::results {

namespace {

bool all_digits(std::string_view s) noexcept {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int number(std::string_view digits) noexcept {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

int days_in_month(int year, int month) noexcept {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

std::optional<std::string> fhir_date_time(std::string_view ts) {
  // Split off the offset: the first '+' or '-' (a date never holds one).
  std::string_view offset;
  if (const auto sign = ts.find_first_of("+-"); sign != std::string_view::npos) {
    offset = ts.substr(sign);
    ts = ts.substr(0, sign);
  }
  std::string_view fraction;
  if (const auto dot = ts.find('.'); dot != std::string_view::npos) {
    fraction = ts.substr(dot + 1);
    ts = ts.substr(0, dot);
    if (ts.size() != 14 || fraction.empty() || fraction.size() > 4 || !all_digits(fraction)) return std::nullopt;
  }
  const std::size_t n = ts.size();
  if ((n != 4 && n != 6 && n != 8 && n != 10 && n != 12 && n != 14) || !all_digits(ts)) return std::nullopt;
  if (!offset.empty() && (offset.size() != 5 || !all_digits(offset.substr(1)))) return std::nullopt;

  const int year = number(ts.substr(0, 4));
  const int month = n >= 6 ? number(ts.substr(4, 2)) : 1;
  const int day = n >= 8 ? number(ts.substr(6, 2)) : 1;
  const int hour = n >= 10 ? number(ts.substr(8, 2)) : 0;
  const int minute = n >= 12 ? number(ts.substr(10, 2)) : 0;
  const int second = n >= 14 ? number(ts.substr(12, 2)) : 0;
  if (year == 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  if (!offset.empty()) {
    const int offset_hours = number(offset.substr(1, 2));
    const int offset_minutes = number(offset.substr(3, 2));
    if (offset_minutes > 59 || offset_hours > 14 || (offset_hours == 14 && offset_minutes != 0)) return std::nullopt;
  }

  std::string out(ts.substr(0, 4));
  if (n >= 6) out += fmt::format("-{:02}", month);
  if (n >= 8) out += fmt::format("-{:02}", day);
  if (n < 10 || offset.empty()) return out;  // no time of day, or one FHIR cannot take without its zone
  out += fmt::format("T{:02}:{:02}:{:02}", hour, minute, second);
  if (!fraction.empty()) {
    out += '.';
    out += fraction;
  }
  out += fmt::format("{}{}:{}", offset[0], offset.substr(1, 2), offset.substr(3, 2));
  return out;
}

std::string fhir_instant(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss time{ms - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), time.hours().count(),
                     time.minutes().count(), time.seconds().count(), time.subseconds().count());
}

}  // namespace radbridge::results
