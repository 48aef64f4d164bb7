// Runs one radbridge command line inside the test, as the binaries would
// (the commands radbridge-worker runs through its dispatcher, the rest
// through radbridge's), and returns its exit code and what it wrote.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"
#include "cli/worker_cli.hpp"

namespace radbridge::test {

struct cli_outcome {
  int code = 0;
  std::string out;
  std::string err;
};

inline cli_outcome run_cli(std::vector<std::string_view> args, const std::string& stdin_text = {}) {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  const bool worker = !args.empty() && cli::runs_in_worker(args.front());
  const int code = worker ? cli::run_worker(args, in, out, err) : cli::run(args, in, out, err);
  return {code, out.str(), err.str()};
}

// The same with owned arguments, for command lines built up in a vector.
inline cli_outcome run_cli_args(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  return run_cli(std::vector<std::string_view>(args.begin(), args.end()), stdin_text);
}

}  // namespace radbridge::test
