#include "store/notifications.hpp"

#include <pqxx/pqxx>

#include "store/store_error.hpp"

namespace radbridge::store {

namespace {

class receiver final : public pqxx::notification_receiver {
 public:
  receiver(pqxx::connection_base& c, std::string_view channel, std::vector<notification>& into)
      : pqxx::notification_receiver(c, std::string(channel)), into_(into) {}
  void operator()(const std::string& payload, int) override { into_.push_back({channel(), payload}); }

 private:
  std::vector<notification>& into_;
};

}  // namespace

struct notification_listener::impl {
  std::string conninfo;
  std::unique_ptr<pqxx::connection> conn;
  std::vector<notification> received;
  std::vector<std::unique_ptr<receiver>> receivers;  // always cleared before `conn` goes

  void drop() noexcept {
    receivers.clear();
    conn.reset();
  }
};

notification_listener::notification_listener(std::string conninfo) : impl_(std::make_unique<impl>()) {
  impl_->conninfo = std::move(conninfo);
}

notification_listener::~notification_listener() { impl_->drop(); }

std::vector<notification> notification_listener::wait(std::chrono::milliseconds timeout) {
  impl& self = *impl_;
  std::vector<notification> out;
  try {
    if (!self.conn || !self.conn->is_open()) {
      self.drop();
      self.conn = std::make_unique<pqxx::connection>(self.conninfo);
      for (const std::string_view channel : {inbound_channel, jobs_channel, outbound_channel}) {
        self.receivers.push_back(std::make_unique<receiver>(*self.conn, channel, self.received));
        out.push_back({std::string(channel), "*"});
      }
      return out;
    }
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    self.conn->await_notification(static_cast<long>(micros / 1000000), static_cast<long>(micros % 1000000));
  } catch (const std::exception& e) {
    self.drop();
    throw store_error(failure::transient, std::string("listening for notifications: ") + e.what());
  }
  out.swap(self.received);
  return out;
}

}  // namespace radbridge::store
