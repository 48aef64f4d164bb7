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

// Commands that read studies or run models live in `radbridge-worker`
// (worker_cli.hpp), so that `radbridge` itself never loads libtorch or DCMTK.
bool runs_in_worker(std::string_view command) noexcept;
// Replaces this process with radbridge-worker (beside this executable) and
// the same arguments; returns exit_failure, having said why, when it cannot.
int exec_worker(char** argv, std::ostream& err);
// The path of a program installed beside this executable.
std::string sibling_executable(std::string_view name);

// A command's database options: --db CONNINFO (visible in `ps`) or
// --db-file FILE (a secret file, core/secret_file.hpp).
struct database_options {
  std::optional<std::string_view> conninfo;  // --db
  std::optional<std::string_view> file;      // --db-file
};

// The database of a command: --db, else the content of --db-file, else
// RADBRIDGE_DB, else `fallback` (the config's "database" or
// "database_file"). Logs a warning when the --db-file is readable by group
// or others, and when --db carries a password. Throws
// std::invalid_argument ("give --db or --db-file, not both") and
// secrets::secret_file_error ("--db-file: cannot read the secret file ...").
std::string database_conninfo(const database_options& options, const std::string& fallback = {});

// database_conninfo for `radbridge COMMAND`: a problem is printed as
// "radbridge COMMAND: REASON" and gives nullopt, with `code` exit_usage
// (both options) or exit_failure (an unusable file).
std::optional<std::string> database_conninfo_or_say(std::string_view command, const database_options& options,
                                                    const std::string& fallback, std::ostream& err, int& code);

}  // namespace radbridge::cli
