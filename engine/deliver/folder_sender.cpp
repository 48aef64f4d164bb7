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

#include "core/file_descriptor.hpp"
#include "deliver/text.hpp"

namespace radbridge::deliver {

namespace {

namespace fs = std::filesystem;

std::atomic<unsigned long> temp_counter{0};

std::string errno_text(int error) { return std::strerror(error); }

// "a symbolic link", "a FIFO", ... for what a refusal names.
std::string_view kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

// What is at the target name now.
struct existing_file {
  bool present = false;
  bool same_bytes = false;
  std::string refusal;  // not empty: refuse it (permanent)
  std::string error;    // not empty: an I/O error (retry)
};

// Looks at `path` without following a link or opening anything but a
// regular file: lstat first (nothing else is opened), then open with
// O_NOFOLLOW | O_NONBLOCK and check again on the descriptor, in case the
// name changed in between. Bytes are read only when the sizes are equal.
existing_file look_at(const fs::path& path, const std::string& name, std::string_view payload,
                      std::uintmax_t max_bytes) {
  existing_file out;
  auto refuse = [&](mode_t mode) {
    out.present = true;
    out.refusal = fmt::format("{} is {}; refusing it", name, kind_of(mode));
    return out;
  };
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) out.error = fmt::format("cannot look at {}: {}", name, errno_text(errno));
    return out;
  }
  if (!S_ISREG(st.st_mode)) return refuse(st.st_mode);
  file_descriptor in(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (in.get() < 0) {
    if (errno == ENOENT) return out;
    if (errno == ELOOP) return refuse(S_IFLNK);
    out.error = fmt::format("cannot read {}: {}", name, errno_text(errno));
    return out;
  }
  if (::fstat(in.get(), &st) != 0) {
    out.error = fmt::format("cannot read {}: {}", name, errno_text(errno));
    return out;
  }
  if (!S_ISREG(st.st_mode)) return refuse(st.st_mode);
  out.present = true;
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (size > max_bytes) {
    out.refusal = fmt::format("{} is {} bytes, over the limit of {}; refusing to read or replace it", name, size,
                              max_bytes);
    return out;
  }
  if (size != payload.size()) return out;
  std::string bytes;
  bytes.reserve(payload.size());
  if (const int error = read_up_to(in.get(), bytes, payload.size())) {
    out.error = fmt::format("cannot read {}: {}", name, errno_text(error));
    return out;
  }
  out.same_bytes = bytes == payload;  // not when it grew meanwhile
  return out;
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

folder_sender::folder_sender(fs::path folder, folder_options options)
    : folder_(std::move(folder)), options_(options) {
  if (folder_.empty()) throw std::invalid_argument("folder sender: no folder");
  if ((options_.file_mode & ~0777u) != 0)
    throw std::invalid_argument(fmt::format("folder sender: file mode {:04o} has bits outside 0777", options_.file_mode));
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
  if (fs::create_directories(folder_, ec) && !ec) {
    // Search where reading is allowed: 0640 → 0750.
    const unsigned folder_mode = options_.file_mode | ((options_.file_mode & 0444u) >> 2);
    if (::chmod(folder_.c_str(), static_cast<mode_t>(folder_mode)) != 0)
      return retry(fmt::format("cannot set the folder's mode: {}", errno_text(errno)));
  }
  if (ec) return retry(fmt::format("cannot create the folder: {}", ec.message()));

  const existing_file existing = look_at(target, name, item.payload, options_.max_existing_bytes);
  if (!existing.error.empty()) return retry(existing.error);
  if (!existing.refusal.empty()) return {attempt_result::rejected, where + ": " + existing.refusal, {}};
  if (existing.same_bytes) {
    return {attempt_result::sent, fmt::format("{}: {} is already there with the same bytes", where, name), {}};
  }

  const std::string temp_name =
      fmt::format(".{}.tmp-{}-{}", name, static_cast<long>(::getpid()), temp_counter.fetch_add(1) + 1);
  const fs::path temp = folder_ / temp_name;
  {
    const auto mode = static_cast<mode_t>(options_.file_mode);
    file_descriptor out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (out.get() < 0) return retry(fmt::format("cannot create {}: {}", temp_name, errno_text(errno)));
    const char* step = nullptr;
    if (::fchmod(out.get(), mode) != 0) {  // the umask took bits away
      step = "set the mode of";
    } else if (!write_all(out.get(), item.payload)) {
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
  file_descriptor dir(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return retry(fmt::format("cannot fsync the folder: {}", errno_text(errno)));
  }
  return {attempt_result::sent,
          fmt::format("{}: {} {} ({} bytes)", where, existing.present ? "replaced" : "wrote", name,
                      item.payload.size()),
          {}};
}

}  // namespace radbridge::deliver
