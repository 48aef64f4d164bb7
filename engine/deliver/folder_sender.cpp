#include "deliver/folder_sender.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "deliver/text.hpp"

namespace radbridge::deliver {

namespace {

namespace fs = std::filesystem;

std::atomic<unsigned long> temp_counter{0};

// Closes on scope exit; close() reports its own error.
class file {
 public:
  explicit file(int fd) : fd_(fd) {}
  ~file() {
    if (fd_ >= 0) ::close(fd_);
  }
  file(const file&) = delete;
  file& operator=(const file&) = delete;
  int get() const { return fd_; }
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

std::string errno_text(int error) { return std::strerror(error); }

// The whole file, or nullopt when it does not exist; an error text otherwise.
std::optional<std::string> read_existing(const fs::path& path, std::string& error) {
  file in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    if (errno != ENOENT) error = errno_text(errno);
    return std::nullopt;
  }
  std::string bytes;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno_text(errno);
      return std::nullopt;
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  return bytes;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool usable_name(std::string_view identity) {
  return !identity.empty() && !identity.starts_with('.') && identity.find('/') == std::string_view::npos &&
         identity.find('\0') == std::string_view::npos;
}

}  // namespace

folder_sender::folder_sender(fs::path folder) : folder_(std::move(folder)) {
  if (folder_.empty()) throw std::invalid_argument("folder sender: no folder");
}

std::string_view folder_sender::extension(work::output_kind type) noexcept {
  switch (type) {
    case work::output_kind::oru:
    case work::output_kind::adt:
      return "hl7";
    case work::output_kind::observation:
      return "json";
    case work::output_kind::sr:
      return "dcm";
  }
  return "bin";
}

attempt_outcome folder_sender::send(const outbound_item& item) {
  const std::string where = fmt::format("folder {}", folder_.string());
  auto retry = [&](const std::string& what) { return attempt_outcome{attempt_result::retry, where + ": " + what, {}}; };
  if (!usable_name(item.identity)) {
    return {attempt_result::rejected,
            fmt::format("{}: the identity '{}' cannot be a file name", where, printable(item.identity)), {}};
  }
  const std::string name = fmt::format("{}.{}", item.identity, extension(item.type));
  const fs::path target = folder_ / name;

  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) return retry(fmt::format("cannot create the folder: {}", ec.message()));

  std::string error;
  const std::optional<std::string> existing = read_existing(target, error);
  if (!error.empty()) return retry(fmt::format("cannot read {}: {}", name, error));
  if (existing && *existing == item.payload) {
    return {attempt_result::sent, fmt::format("{}: {} is already there with the same bytes", where, name), {}};
  }

  const std::string temp_name =
      fmt::format(".{}.tmp-{}-{}", name, static_cast<long>(::getpid()), temp_counter.fetch_add(1) + 1);
  const fs::path temp = folder_ / temp_name;
  {
    file out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) return retry(fmt::format("cannot create {}: {}", temp_name, errno_text(errno)));
    const char* step = nullptr;
    if (!write_all(out.get(), item.payload)) {
      step = "write";
    } else if (::fsync(out.get()) != 0) {
      step = "fsync";
    } else if (!out.close()) {
      step = "close";
    }
    if (step != nullptr) {
      const int saved = errno;
      ::unlink(temp.c_str());
      return retry(fmt::format("cannot {} {}: {}", step, temp_name, errno_text(saved)));
    }
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    return retry(fmt::format("cannot rename {} to {}: {}", temp_name, name, errno_text(saved)));
  }
  // The rename is durable once the folder's entry is.
  file dir(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return retry(fmt::format("cannot fsync the folder: {}", errno_text(errno)));
  }
  return {attempt_result::sent,
          fmt::format("{}: {} {} ({} bytes)", where, existing ? "replaced" : "wrote", name, item.payload.size()), {}};
}

}  // namespace radbridge::deliver
