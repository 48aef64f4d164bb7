#include <iostream>
#include <string_view>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (!args.empty() && radbridge::cli::runs_in_worker(args[0])) return radbridge::cli::exec_worker(argv, std::cerr);
  return radbridge::cli::run(args, std::cin, std::cout, std::cerr);
}
