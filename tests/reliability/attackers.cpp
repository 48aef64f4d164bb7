#include "attackers.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <vector>

#include "mllp_peer.hpp"

namespace radbridge::reliability {

namespace {

using clock_type = std::chrono::steady_clock;

// What a slow sender trickles out: a start block, then a message that never ends.
constexpr std::string_view trickle =
    "\x0bMSH|^~\\&|SLOW|ATTACKER|RADBRIDGE|AI|20260101000000||ADT^A08|SLOW0001|P|2.5\rNTE|1||"
    "this message arrives one byte at a time and never ends ";

struct slot {
  test::unique_fd fd;
  clock_type::time_point next_byte{};
  std::size_t position = 0;
};

}  // namespace

connection_swarm::connection_swarm(std::string source, std::uint16_t port, std::size_t count, double opens_per_s,
                                   std::chrono::milliseconds byte_interval)
    : source_(std::move(source)), port_(port), count_(count), opens_per_s_(opens_per_s), byte_interval_(byte_interval) {
  thread_ = std::thread([this] { run(); });
}

connection_swarm::~connection_swarm() { stop(); }

void connection_swarm::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

connection_swarm::counts connection_swarm::now() const {
  return {open_.load(), opened_.load(), closed_.load(), failed_.load(), bytes_.load()};
}

void connection_swarm::run() {
  std::vector<slot> slots(count_);
  double open_budget = 1;
  auto last = clock_type::now();
  const auto close_slot = [&](slot& s, bool by_engine) {
    s.fd.reset();
    --open_;
    if (by_engine) ++closed_;
  };
  while (!stopping_) {
    const auto now = clock_type::now();
    open_budget =
        std::min(open_budget + std::chrono::duration<double>(now - last).count() * opens_per_s_, opens_per_s_ / 10 + 1);
    last = now;
    // Open what is missing, as fast as the rate allows.
    for (slot& s : slots) {
      if (stopping_ || open_budget < 1) break;
      if (s.fd) continue;
      open_budget -= 1;
      s.fd = connect_from(source_, port_, std::chrono::milliseconds(200));
      if (!s.fd) {
        ++failed_;
        continue;
      }
      s.position = 0;
      s.next_byte = now;
      ++open_;
      ++opened_;
    }
    // Trickle a byte where one is due.
    if (byte_interval_.count() > 0) {
      for (slot& s : slots) {
        if (!s.fd || clock_type::now() < s.next_byte) continue;
        const char byte =
            trickle[s.position < trickle.size() ? s.position : 2 + (s.position - 2) % (trickle.size() - 2)];
        if (::send(s.fd.get(), &byte, 1, MSG_NOSIGNAL) == 1) {
          ++s.position;
          ++bytes_;
          s.next_byte += byte_interval_;
        } else if (errno != EAGAIN) {
          close_slot(s, true);
        }
      }
    }
    // Notice connections the engine closed (anything it sends is read and dropped).
    std::vector<pollfd> polled;
    std::vector<slot*> owners;
    for (slot& s : slots) {
      if (!s.fd) continue;
      polled.push_back({s.fd.get(), POLLIN, 0});
      owners.push_back(&s);
    }
    if (::poll(polled.data(), polled.size(), 50) <= 0) continue;
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (polled[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::recv(owners[i]->fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) close_slot(*owners[i], true);
    }
  }
  for (slot& s : slots) {
    if (s.fd) close_slot(s, false);
  }
}

big_frame_result send_big_frame(const std::string& source, std::uint16_t port, std::size_t megabytes,
                                std::chrono::seconds limit) {
  big_frame_result result;
  const auto start = clock_type::now();
  const auto deadline = start + limit;
  test::unique_fd fd = connect_from(source, port, std::chrono::seconds(5));
  if (!fd) return result;
  const std::string head = "\x0bMSH|^~\\&|BIG|ATTACKER|RADBRIDGE|AI|20260101000000||ADT^A08|BIG0001|P|2.5\rNTE|1||";
  const std::string filler(1 << 16, 'A');
  const std::size_t total = megabytes << 20;
  while (result.bytes_sent < total && clock_type::now() < deadline) {
    const std::string_view chunk =
        result.bytes_sent < head.size()
            ? std::string_view(head).substr(result.bytes_sent)
            : std::string_view(filler).substr(0, std::min(filler.size(), total - result.bytes_sent));
    const ssize_t n = ::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      result.bytes_sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd.get(), POLLOUT, 0};
      // An engine that stops reading without closing: after 10 s of a full window we stop too.
      if (::poll(&p, 1, 10000) == 0) break;
      if (p.revents & (POLLERR | POLLHUP)) {
        result.closed_by_engine = true;
        break;
      }
      continue;
    }
    result.closed_by_engine = true;
    break;
  }
  result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  return result;
}

}  // namespace radbridge::reliability
