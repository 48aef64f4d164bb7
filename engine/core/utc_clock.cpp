#include "core/utc_clock.hpp"

#include <chrono>

namespace radbridge {

utc_time utc_now() noexcept {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  utc_time t;
  t.millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  gmtime_r(&seconds, &t.fields);
  return t;
}

}  // namespace radbridge
