#include "core/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/file_descriptor.hpp"
#include "core/log.hpp"

namespace radbridge::secrets {

namespace {

[[noreturn]] void fail(std::string message) { throw secret_file_error(std::move(message)); }

}  // namespace

std::string read_secret_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer.
  file_descriptor in(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  if (in.get() < 0) fail(fmt::format("cannot read the secret file {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) fail(fmt::format("cannot read the secret file {}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) fail(fmt::format("the secret file {} is not a regular file", path));
  if (static_cast<std::size_t>(st.st_size) > max_secret_bytes)
    fail(fmt::format("the secret file {} is over {} bytes", path, max_secret_bytes));

  std::string value;
  if (const int error = read_up_to(in.get(), value, max_secret_bytes))
    fail(fmt::format("cannot read the secret file {}: {}", path, std::strerror(error)));
  if (value.size() > max_secret_bytes) fail(fmt::format("the secret file {} is over {} bytes", path, max_secret_bytes));
  if (value.ends_with('\n')) {
    value.pop_back();
    if (value.ends_with('\r')) value.pop_back();
  }
  if (value.empty()) fail(fmt::format("the secret file {} is empty", path));
  return value;
}

std::optional<unsigned> readable_by_others(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if ((st.st_mode & (S_IRGRP | S_IROTH)) == 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

bool warn_if_readable_by_others(std::string_view setting, const std::string& path) {
  if (path.empty()) return false;
  const std::optional<unsigned> mode = readable_by_others(path);
  if (!mode) return false;
  log::warn("secret_file_readable", {{"setting", setting}, {"path", path}, {"mode", fmt::format("{:04o}", *mode)}});
  return true;
}

void read_secret_setting(json_checker& c, const json::value& v, std::string& path, std::string& value) {
  c.file(v, path);
  if (path.empty()) return;
  try {
    value = read_secret_file(path);
  } catch (const secret_file_error& e) {
    c.problem(v, e.what());
  }
}

}  // namespace radbridge::secrets
