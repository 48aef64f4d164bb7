// What the fixtures' own tests (postgres_server, orthanc_server) check the
// same way: whether a process is gone, whether a port on 127.0.0.1 takes a
// connection, waiting for a condition, and a fixture started in a child that
// then dies by SIGKILL without running destructors (what a crashed test
// leaves behind, for the watchdog).
#pragma once

#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace radbridge::test {

// Gone, or a zombie nobody reaped yet (some container inits never reap).
inline bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < line.size() && line[close_paren + 2] == 'Z';
}

// Whether 127.0.0.1:port accepts a TCP connection now.
inline bool can_connect(std::uint16_t port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(s);
  return ok;
}

template <class Predicate>
bool eventually(Predicate done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct crashed_fixture {
  std::string folder;  // empty when the child could not start its fixture
  long pid = 0;        // the fixture's server process
};

// Forks; the child makes a Fixture (folder(), pid()) it never destroys,
// reports where it lives and kills itself with SIGKILL.
template <class Fixture>
crashed_fixture start_and_crash() {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    try {
      const auto* fixture = new Fixture;  // never deleted: this process dies as if it crashed
      const std::string line = fixture->folder().string() + " " + std::to_string(fixture->pid()) + "\n";
      (void)!::write(report[1], line.data(), line.size());
    } catch (...) {
    }
    ::kill(::getpid(), SIGKILL);
    ::_exit(1);
  }
  ::close(report[1]);
  std::string line;
  char buffer[512];
  ssize_t n = 0;
  while ((n = ::read(report[0], buffer, sizeof buffer)) > 0) line.append(buffer, static_cast<std::size_t>(n));
  ::close(report[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  crashed_fixture out;
  std::istringstream fields(line);
  fields >> out.folder >> out.pid;
  return out;
}

}  // namespace radbridge::test
