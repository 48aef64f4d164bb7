// This process's standard error, where core/log writes its lines, sent to a
// file while a log_capture lives, so a test can look for a log line. The log
// writer thread writes within ~20 ms of a line; `line_with` waits for it.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "support.hpp"

namespace radbridge::test {

class log_capture {
 public:
  log_capture() {
    static int next = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("radbridge-log-" + std::to_string(::getpid()) + "-" + std::to_string(next++) + ".txt");
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (saved_ < 0 || fd < 0 || ::dup2(fd, STDERR_FILENO) < 0) throw std::runtime_error("cannot capture stderr");
    ::close(fd);
  }
  ~log_capture() {
    // Lines still on their way then go to the real stderr; nothing is lost.
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  // The first line captured so far holding every one of `parts` (without
  // its timestamp), waiting up to `limit`; empty when none came.
  std::string line_with(std::initializer_list<std::string_view> parts,
                        std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      std::istringstream lines(read_file(path_));
      for (std::string line; std::getline(lines, line);) {
        bool all = true;
        for (std::string_view p : parts) all = all && line.find(p) != std::string::npos;
        if (all) return line.substr(std::min(line.find(' ') + 1, line.size()));
      }
      if (std::chrono::steady_clock::now() >= deadline) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  std::filesystem::path path_;
  int saved_ = -1;
};

}  // namespace radbridge::test
