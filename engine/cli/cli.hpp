// The `radbridge` command line: subcommand dispatch and exit codes.
//
// `run` takes the arguments after the program name and the three standard
// streams, so tests drive every subcommand in-process. Exit codes follow
// DESIGN.md: 0 success, 1 a user-facing error (one clear line on `err`),
// 2 bad usage (the usage text on `err`).
#pragma once

#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace radbridge::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

int run(std::span<const std::string_view> args, std::istream& in, std::ostream& out, std::ostream& err);

// The database of a command: --db, else RADBRIDGE_DB, else `fallback`.
std::string database_conninfo(std::optional<std::string_view> flag, const std::string& fallback = {});

}  // namespace radbridge::cli
