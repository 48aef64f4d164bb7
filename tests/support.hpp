// Helpers shared by the test suites: where the source tree is, reading files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace radbridge::test {

// The source tree; CTest sets RADBRIDGE_SOURCE_DIR, a direct run falls back
// to the current directory.
inline std::filesystem::path source_dir() {
  const char* dir = std::getenv("RADBRIDGE_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::current_path();
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

}  // namespace radbridge::test
