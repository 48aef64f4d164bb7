// Files for tests that load destinations as `serve` does: a mapping file of
// destinations, one per line from line 2 on (so a problem's line number says
// which), secret files only their owner may read, and the shipped model
// registry that loading mappings needs.
#pragma once

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "infer/model_registry.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::test {

// DIR/destinations.json holding `lines`, each one destination's JSON; its path.
inline std::string destinations_file(const temp_folder& dir, const std::vector<std::string>& lines) {
  std::string text = "{\"destinations\": [\n";
  for (std::size_t i = 0; i < lines.size(); ++i) text += lines[i] + (i + 1 < lines.size() ? ",\n" : "\n");
  text += "]}\n";
  const std::filesystem::path p = dir.path() / "destinations.json";
  write_file(p, text);
  return p.string();
}

// DIR/NAME holding `text`, mode 0600; its path.
inline std::string secret_file(const temp_folder& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path p = dir.path() / name;
  write_file(p, text);
  REQUIRE(::chmod(p.c_str(), 0600) == 0);
  return p.string();
}

inline const infer::model_registry& shipped_registry() {
  static const infer::model_registry r = infer::load_registry((source_dir() / "models" / "registry.json").string());
  return r;
}

}  // namespace radbridge::test
