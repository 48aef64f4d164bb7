#include "cli/report_command.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "infer/model_registry.hpp"
#include "review/validation.hpp"
#include "review/validation_format.hpp"
#include "route/mapping_loader.hpp"
#include "store/feedback_store.hpp"
#include "store/store_error.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view usage =
    "usage: radbridge report --route NAME [--model ID] [--since YYYY-MM-DD] [--format text|json|csv]\n"
    "                        [--mapping PATH]... [--registry FILE] [--db CONNINFO | --db-file FILE]\n"
    "  a route's validation report against the radiologists' verdicts, per model version and rollout mode,\n"
    "  with the verdict of the route's acceptance rules (mappings default: mappings)\n";

struct options {
  std::string route;
  std::string model;
  std::string since;
  std::string format = "text";
  std::vector<std::string> mappings;
  std::string registry = "models/registry.json";
  database_options db;
};

// The problem with the arguments, or nullopt.
std::optional<std::string> parse_options(std::span<const std::string_view> args, options& o) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (i + 1 >= args.size()) return fmt::format("{} needs a value", a);
    const std::string_view v = args[++i];
    if (a == "--route") {
      o.route = v;
    } else if (a == "--model") {
      o.model = v;
    } else if (a == "--since") {
      if (!review::is_date(v)) return fmt::format("--since needs a date YYYY-MM-DD, not '{}'", v);
      o.since = v;
    } else if (a == "--format") {
      if (v != "text" && v != "json" && v != "csv") return fmt::format("--format is text, json or csv, not '{}'", v);
      o.format = v;
    } else if (a == "--mapping") {
      o.mappings.emplace_back(v);
    } else if (a == "--registry") {
      o.registry = v;
    } else if (a == "--db") {
      o.db.conninfo = v;
    } else if (a == "--db-file") {
      o.db.file = v;
    } else {
      return fmt::format("unknown option '{}'", a);
    }
  }
  if (o.route.empty()) return "--route is required";
  if (o.mappings.empty()) o.mappings.push_back("mappings");
  return std::nullopt;
}

}  // namespace

int run_report(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  for (std::string_view a : args) {
    if (a == "--help" || a == "-h") {
      out << usage;
      return exit_ok;
    }
  }
  options o;
  if (const auto problem = parse_options(args, o)) {
    err << "radbridge report: " << *problem << '\n' << usage;
    return exit_usage;
  }
  route::mapping_set mappings;
  try {
    mappings = route::load_mappings(o.mappings, infer::load_registry(o.registry));
  } catch (const std::exception& e) {
    err << "radbridge report: the mappings do not load:\n" << e.what() << '\n';
    return exit_failure;
  }
  const route::route* chosen = nullptr;
  std::string names;
  for (const route::route& r : mappings.routes) {
    if (r.name == o.route) chosen = &r;
    names += (names.empty() ? "" : ", ") + r.name;
  }
  if (chosen == nullptr) {
    err << fmt::format("radbridge report: no route \"{}\" in the mappings (they have {})\n", o.route, names);
    return exit_failure;
  }
  int code = exit_ok;
  const std::optional<std::string> conninfo = database_conninfo_or_say("report", o.db, {}, err, code);
  if (!conninfo) return code;
  if (conninfo->empty()) {
    err << "radbridge report: no database: give --db or --db-file, or set RADBRIDGE_DB\n";
    return exit_usage;
  }
  try {
    store::database db(*conninfo);
    const std::vector<review::group_report> groups =
        review::validate(store::scored_findings(db, o.route, o.since, o.model), chosen->acceptance);
    const review::report_scope scope{chosen, o.model, o.since};
    if (o.format == "json") {
      out << review::report_json(scope, groups) << '\n';
    } else if (o.format == "csv") {
      out << review::report_csv(scope, groups);
    } else {
      out << review::report_text(scope, groups);
    }
    return exit_ok;
  } catch (const store::store_error& e) {
    err << "radbridge report: " << e.what() << '\n';
    return exit_failure;
  }
}

}  // namespace radbridge::cli
