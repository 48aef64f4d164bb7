// Secrets (database conninfo, passwords, tokens) read from files, so that
// they sit neither in command lines (visible in `ps`) nor in configuration
// files that many people read: `--db-file`, "password_file", "token_file".
//
// A secret file is a regular file (a FIFO, device or folder is refused
// without blocking) of at most max_secret_bytes. Its value is its bytes less
// one trailing newline ("\n" or "\r\n"), so `echo TOKEN > file` works; an
// empty value is an error. Symbolic links are followed (mounted secrets are
// often links). Errors never quote the file's bytes.
//
// A secret file that group or others may read is allowed but warned about:
// `warn_if_readable_by_others` writes one log line naming the setting, the
// path and the mode, never the value. Callers warn once, at start.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/json_checker.hpp"

namespace radbridge::secrets {

inline constexpr std::size_t max_secret_bytes = 64 * 1024;

class secret_file_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The value in `path`. Throws secret_file_error with one of:
//   "cannot read the secret file PATH: REASON" (missing, no permission, ...)
//   "the secret file PATH is not a regular file"
//   "the secret file PATH is empty" (also when it holds only a newline)
//   "the secret file PATH is over 65536 bytes"
std::string read_secret_file(const std::string& path);

// The permission bits (e.g. 0644) when group or others may read `path`;
// nullopt when they may not, or when it cannot be looked at.
std::optional<unsigned> readable_by_others(const std::string& path);

// When group or others may read `path`, logs
//   warn secret_file_readable setting=SETTING path=PATH mode=0644
// and returns true. An empty path does nothing.
bool warn_if_readable_by_others(std::string_view setting, const std::string& path);

// For loaders of configuration and mapping files: `v` names a secret file
// (relative to the checker's base folder); its absolute path goes to `path`
// and its value to `value`. A file that cannot be read is a problem at v's
// position: `file:line:col: cannot read the secret file PATH: REASON`.
void read_secret_setting(json_checker& c, const json::value& v, std::string& path, std::string& value);

}  // namespace radbridge::secrets
