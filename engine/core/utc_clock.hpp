// The current time in UTC, broken down, with milliseconds: one place for
// log timestamps and HL7 timestamps (MSH-7).
#pragma once

#include <ctime>

namespace radbridge {

struct utc_time {
  std::tm fields{};  // tm_year is years since 1900, tm_mon 0-based, as in <ctime>
  int millis = 0;
};

utc_time utc_now() noexcept;

}  // namespace radbridge
