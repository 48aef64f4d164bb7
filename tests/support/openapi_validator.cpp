#include "support/openapi_validator.hpp"

#include <sstream>
#include <stdexcept>

#include "support.hpp"
#include "support/process.hpp"

namespace radbridge::test {

std::vector<std::string> check_openapi(const std::string& document, const std::vector<api_answer>& answers) {
  const std::filesystem::path script = source_dir() / "tests" / "support" / "openapi" / "check.mjs";
  temp_folder folder("radbridge-openapi");
  write_file(folder.path() / "openapi.json", document);
  std::string list = "[";
  for (const api_answer& a : answers) {
    list += (list.size() > 1 ? ",\n" : "") + std::string("{\"method\":") + json_string(a.method) +
            ",\"path\":" + json_string(a.target) + ",\"status\":" + std::to_string(a.status) +
            ",\"body\":" + json_string(a.body) + "}";
  }
  write_file(folder.path() / "answers.json", list + "]");
  const captured run = run_captured({node_binary().string(), script.string(), (folder.path() / "openapi.json").string(),
                                     (folder.path() / "answers.json").string()},
                                    {}, "", std::chrono::seconds(60));
  if (run.status != 0 && run.status != 1) {
    throw std::runtime_error("openapi check: node exited " + std::to_string(run.status) + ": " + run.err);
  }
  // The last line is the summary; the others are problems.
  std::vector<std::string> problems;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) problems.push_back(line);
  if (problems.empty()) throw std::runtime_error("openapi check: no output; stderr: " + run.err);
  problems.pop_back();
  if (run.status == 1 && problems.empty()) throw std::runtime_error("openapi check failed: " + run.err);
  return problems;
}

}  // namespace radbridge::test
