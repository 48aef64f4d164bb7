// An accept loop's wait after an error (out of file descriptors or memory):
// the pending connection stays queued, so retrying at once would spin.
// 10 ms, doubled per error in a row, at most 1 s; the caller starts again
// from zero after a success.
#pragma once

#include <algorithm>
#include <chrono>

namespace radbridge::net {

inline std::chrono::milliseconds next_accept_backoff(std::chrono::milliseconds previous) {
  constexpr std::chrono::milliseconds first{10};
  constexpr std::chrono::milliseconds most{1000};
  return previous < first ? first : std::min(previous * 2, most);
}

}  // namespace radbridge::net
