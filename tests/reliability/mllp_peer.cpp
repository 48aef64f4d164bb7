#include "mllp_peer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace radbridge::reliability {

namespace {

using clock_type = std::chrono::steady_clock;

int millis_left(clock_type::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool wait_for(int fd, short events, clock_type::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// MSA-1 of an HL7 ACK, or empty when it has none.
std::string msa_code(std::string_view ack) {
  const std::size_t msa = ack.find("MSA|");
  if (msa == std::string_view::npos || (msa != 0 && ack[msa - 1] != '\r' && ack[msa - 1] != '\n')) return {};
  const std::size_t start = msa + 4;
  const std::size_t end = ack.find_first_of("|\r\n^", start);
  return std::string(ack.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

}  // namespace

test::unique_fd connect_from(const std::string& source, std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  test::unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return {};
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1) return {};
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) return {};
  }
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  remote.sin_port = htons(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
    if (errno != EINPROGRESS || !wait_for(fd.get(), POLLOUT, deadline)) return {};
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) return {};
  }
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool mllp_peer::connect(std::chrono::milliseconds timeout) {
  if (!fd_) fd_ = connect_from(source_, port_, timeout);
  return static_cast<bool>(fd_);
}

ack_answer mllp_peer::exchange(std::string_view message, std::chrono::milliseconds timeout) {
  const auto start = clock_type::now();
  const auto deadline = start + timeout;
  ack_answer answer;
  const auto no_ack = [this] {
    close();
    return ack_answer{};
  };
  if (!connect(timeout)) return answer;
  std::string frame;
  frame.reserve(message.size() + 3);
  frame += '\x0b';
  frame += message;
  frame += "\x1c\r";
  std::size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t n = ::send(fd_.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd_.get(), POLLOUT, deadline)) return no_ack();
    } else {
      return no_ack();
    }
  }
  std::string received;
  char buffer[4096];
  for (;;) {
    const std::size_t end = received.find("\x1c\r");
    if (end != std::string::npos) {
      const std::size_t begin = received.find('\x0b');
      answer.code = msa_code(begin == std::string::npos || begin > end
                                 ? std::string_view()
                                 : std::string_view(received).substr(begin + 1, end - begin - 1));
      answer.ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
      if (answer.code.empty()) close();
      return answer;
    }
    if (!wait_for(fd_.get(), POLLIN, deadline)) return no_ack();
    const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    } else {
      return no_ack();
    }
  }
}

}  // namespace radbridge::reliability
