// The radbridge executable (RADBRIDGE_BINARY, defined by CMake) as a child
// process of a scenario: `radbridge ARGS...` with its standard output and
// error appended to one log file, stopped with the object (SIGTERM, then
// SIGKILL after `stop_grace`; see support/process.hpp).
// Not provided: waiting for it to be ready (start_serve does, for serve).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "support/process.hpp"

#ifndef RADBRIDGE_BINARY
#error "RADBRIDGE_BINARY must name the radbridge executable"
#endif

namespace radbridge::reliability {

inline test::child_process start_radbridge(std::vector<std::string> args, const std::filesystem::path& log,
                                           std::chrono::seconds stop_grace) {
  args.insert(args.begin(), RADBRIDGE_BINARY);
  test::spawn_options options;
  options.out = test::stdio_target::append_to(log);
  options.err = test::stdio_target::append_to(log);
  options.stop_grace = stop_grace;
  return test::child_process(std::move(args), options);
}

}  // namespace radbridge::reliability
