// An owned POSIX file descriptor and a bounded read, for code that must
// look at files without the C++ streams' habits (following links, blocking
// on a FIFO): secret files (core/secret_file) and folder outputs
// (deliver/folder_sender).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

namespace radbridge {

// Closed on scope exit; close() reports its own error.
class file_descriptor {
 public:
  explicit file_descriptor(int fd) noexcept : fd_(fd) {}
  ~file_descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  file_descriptor(const file_descriptor&) = delete;
  file_descriptor& operator=(const file_descriptor&) = delete;
  int get() const noexcept { return fd_; }
  bool close() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Appends what `fd` holds, to its end, to `out`; stops early once `out`
// holds more than `limit` bytes (the caller compares). Returns 0, or the
// errno of a read that failed.
inline int read_up_to(int fd, std::string& out, std::size_t limit) {
  char buffer[64 * 1024];
  while (out.size() <= limit) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace radbridge
