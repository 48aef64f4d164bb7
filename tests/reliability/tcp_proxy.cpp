#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace radbridge::reliability {

namespace {

int listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error("tcp_proxy: socket failed");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    throw std::runtime_error("tcp_proxy: cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

// Closes with a reset (SO_LINGER 0), as a crashed server's connections end.
void reset(int fd) {
  if (fd < 0) return;
  const linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd);
}

struct pipe_pair {
  int client = -1;
  int server = -1;
  std::string to_server;  // read from the client, not yet written
  std::string to_client;  // read from the server, not yet written
  bool client_eof = false;
  bool server_eof = false;
  bool failed = false;
  bool done() const { return failed || (server_eof && to_client.empty()) || (client_eof && to_server.empty()); }
};

enum class read_result { data, eof, error };

// Reads at most `limit` bytes from `from` onto `into`.
read_result pull(int from, std::string& into, std::size_t limit) {
  char buffer[16384];
  const ssize_t n = ::recv(from, buffer, std::min(limit, sizeof buffer), 0);
  if (n > 0) {
    into.append(buffer, static_cast<std::size_t>(n));
    return read_result::data;
  }
  if (n == 0) return read_result::eof;
  return errno == EAGAIN || errno == EINTR ? read_result::data : read_result::error;
}

// Writes what it can of `pending` to `to`; false on an error.
bool push(int to, std::string& pending) {
  if (pending.empty()) return true;
  const ssize_t n = ::send(to, pending.data(), pending.size(), MSG_NOSIGNAL);
  if (n > 0) {
    pending.erase(0, static_cast<std::size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EINTR);
}

// A non-blocking connection to 127.0.0.1:port (loopback connects complete
// at once or fail at once), or -1.
int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  target.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) == 0 || errno == EINPROGRESS) return fd;
  ::close(fd);
  return -1;
}

}  // namespace

tcp_proxy::tcp_proxy(std::uint16_t target_port, std::size_t slow_bytes_per_s)
    : target_port_(target_port), slow_bytes_per_s_(slow_bytes_per_s) {
  listener_ = listen_on(0);
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

tcp_proxy::~tcp_proxy() {
  stopping_ = true;
  thread_.join();
  if (listener_ >= 0) ::close(listener_);
}

void tcp_proxy::run() {
  using clock_type = std::chrono::steady_clock;
  std::vector<pipe_pair> pairs;
  mode current = mode::pass;
  double slow_budget = 0;
  auto last = clock_type::now();
  while (!stopping_) {
    const mode wanted = wanted_;
    if (wanted != current) {
      if (wanted == mode::refuse) {
        ::close(listener_);
        listener_ = -1;
        for (pipe_pair& p : pairs) {
          reset(p.client);
          reset(p.server);
        }
        pairs.clear();
      } else if (current == mode::refuse) {
        listener_ = listen_on(port_);
      }
      current = wanted;
    }
    const auto now = clock_type::now();
    slow_budget = std::min(
        slow_budget + std::chrono::duration<double>(now - last).count() * static_cast<double>(slow_bytes_per_s_),
        static_cast<double>(slow_bytes_per_s_) / 10);
    last = now;

    const bool flowing = current == mode::pass || current == mode::slow;
    std::vector<pollfd> polled;
    if (listener_ >= 0) polled.push_back({listener_, POLLIN, 0});
    for (const pipe_pair& p : pairs) {
      short client_events = 0;
      short server_events = 0;
      if (flowing) {
        if (p.to_server.empty() && !p.client_eof) client_events |= POLLIN;
        if (p.to_client.empty() && !p.server_eof && (current == mode::pass || slow_budget >= 1))
          server_events |= POLLIN;
        if (!p.to_client.empty()) client_events |= POLLOUT;
        if (!p.to_server.empty()) server_events |= POLLOUT;
      }
      polled.push_back({p.client, client_events, 0});
      polled.push_back({p.server, server_events, 0});
    }
    if (::poll(polled.data(), polled.size(), 20) < 0 && errno != EINTR) break;

    std::size_t at = 0;
    if (listener_ >= 0) {
      if (polled[at].revents & POLLIN) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client >= 0) {
          const int server = connect_to(target_port_);
          if (server >= 0) {
            pairs.push_back({client, server, {}, {}, false, false, false});
          } else {
            reset(client);
          }
        }
      }
      ++at;
    }
    for (pipe_pair& p : pairs) {
      const short client_events = polled[at++].revents;
      const short server_events = polled[at++].revents;
      if (!flowing) {
        if ((client_events | server_events) & (POLLHUP | POLLERR)) p.failed = true;  // else poll would spin
        continue;
      }
      const auto read_from = [&](int fd, std::string& into, std::size_t limit, bool& eof) {
        switch (pull(fd, into, limit)) {
          case read_result::data:
            break;
          case read_result::eof:
            eof = true;
            break;
          case read_result::error:
            p.failed = true;
            break;
        }
      };
      if (client_events & (POLLIN | POLLHUP | POLLERR)) read_from(p.client, p.to_server, 16384, p.client_eof);
      if (server_events & (POLLIN | POLLHUP | POLLERR)) {
        const std::size_t limit =
            current == mode::slow ? std::max<std::size_t>(static_cast<std::size_t>(slow_budget), 1) : 16384;
        const std::size_t before = p.to_client.size();
        read_from(p.server, p.to_client, limit, p.server_eof);
        if (current == mode::slow) slow_budget -= static_cast<double>(p.to_client.size() - before);
      }
      if ((client_events & POLLOUT) && !push(p.client, p.to_client)) p.failed = true;
      if ((server_events & POLLOUT) && !push(p.server, p.to_server)) p.failed = true;
    }
    for (pipe_pair& p : pairs) {
      if (p.done()) {
        ::close(p.client);
        ::close(p.server);
        p.client = p.server = -1;
      }
    }
    pairs.erase(std::remove_if(pairs.begin(), pairs.end(), [](const pipe_pair& p) { return p.client < 0; }),
                pairs.end());
  }
  for (pipe_pair& p : pairs) {
    ::close(p.client);
    ::close(p.server);
  }
}

}  // namespace radbridge::reliability
