#include <iostream>
#include <string_view>
#include <vector>

#include "cli/worker_cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  return radbridge::cli::run_worker(args, std::cin, std::cout, std::cerr);
}
