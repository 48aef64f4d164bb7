// Wake-ups from PostgreSQL (sql/0007_wakeups.sql): a connection that LISTENs
// on the engine's channels and hands back what arrived.
//
// `wait` blocks up to `timeout` and returns the notifications received
// (empty on timeout). The first call connects; after a lost connection the
// next call reconnects, listens again and returns one notification per
// channel with the payload "*": anything sent while nobody listened is then
// looked for by everyone. Connection failures throw store_error. Used by one
// thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::store {

inline constexpr std::string_view inbound_channel = "radbridge_inbound";
inline constexpr std::string_view jobs_channel = "radbridge_jobs";
inline constexpr std::string_view outbound_channel = "radbridge_outbound";  // payload: the destination

struct notification {
  std::string channel;
  std::string payload;
};

class notification_listener {
 public:
  explicit notification_listener(std::string conninfo);
  ~notification_listener();
  notification_listener(const notification_listener&) = delete;
  notification_listener& operator=(const notification_listener&) = delete;

  std::vector<notification> wait(std::chrono::milliseconds timeout);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace radbridge::store
