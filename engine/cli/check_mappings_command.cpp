#include "cli/check_mappings_command.hpp"

#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "infer/model_registry.hpp"
#include "route/mapping_loader.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view usage =
    "usage: radbridge check-mappings [--registry FILE] PATH...\n"
    "  checks mapping files (a folder: its *.json files) against the schema and the model\n"
    "  registry (default models/registry.json); every problem as file:line:col: reason\n";

std::string outputs_of(const route::route& r) {
  std::string out;
  for (const auto& [kind, names] : r.outputs) {
    for (const std::string& name : names) out += fmt::format("{}{}->{}", out.empty() ? "" : " ", to_string(kind), name);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

int run_check_mappings(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  std::string registry_path = "models/registry.json";
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out << usage;
      return exit_ok;
    }
    if (a == "--registry") {
      if (i + 1 >= args.size()) {
        err << "radbridge check-mappings: --registry needs a value\n" << usage;
        return exit_usage;
      }
      registry_path = args[++i];
    } else if (a.starts_with("--")) {
      err << "radbridge check-mappings: unknown option " << a << "\n" << usage;
      return exit_usage;
    } else {
      paths.emplace_back(a);
    }
  }
  if (paths.empty()) {
    err << "radbridge check-mappings: name at least one mapping file or folder\n" << usage;
    return exit_usage;
  }
  infer::model_registry registry;
  try {
    registry = infer::load_registry(registry_path);
  } catch (const infer::registry_error& e) {
    err << "radbridge check-mappings: the model registry has problems:\n" << e.what() << '\n';
    return exit_failure;
  }
  const route::check_report report = route::check_mappings(paths, registry);
  if (!report.problems.empty()) {
    for (const std::string& p : report.problems) err << p << '\n';
    err << fmt::format("radbridge check-mappings: {} problem{} in {} file{}\n", report.problems.size(),
                       report.problems.size() == 1 ? "" : "s", report.files.size(), report.files.size() == 1 ? "" : "s");
    return exit_failure;
  }
  for (const route::route& r : report.mappings.routes) {
    std::string models;
    for (const std::string& m : r.models) models += (models.empty() ? "" : ",") + m;
    std::string feedback;
    if (r.feedback) {
      for (const route::finding_feedback& f : r.feedback->findings) feedback += (feedback.empty() ? "" : ",") + f.label;
      feedback = ", feedback on " + feedback;
    }
    out << fmt::format("route {}: mode {}, models {}, outputs {}{}\n", r.name, to_string(r.mode), models,
                       outputs_of(r), feedback);
  }
  out << fmt::format("ok: {} route{} and {} destination{} in {} file{}\n", report.mappings.routes.size(),
                     report.mappings.routes.size() == 1 ? "" : "s", report.mappings.destinations.size(),
                     report.mappings.destinations.size() == 1 ? "" : "s", report.files.size(),
                     report.files.size() == 1 ? "" : "s");
  return exit_ok;
}

}  // namespace radbridge::cli
