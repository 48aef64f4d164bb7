#include "cli/preview_command.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "fetch/fetch_error.hpp"
#include "fetch/folder_source.hpp"
#include "fetch/series_headers.hpp"
#include "fetch/study_fetch.hpp"
#include "hl7/message.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"
#include "results/outputs.hpp"
#include "route/acuity.hpp"
#include "route/mapping_loader.hpp"
#include "route/match.hpp"

namespace radbridge::cli {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view usage =
    "usage: radbridge preview --mapping PATH [--mapping PATH...] --order ORDER.hl7\n"
    "                         (--findings FINDINGS.json | --dir STUDY_DIR | both) --out DIR\n"
    "                         [--registry FILE] [--threads N]\n"
    "  builds every output the routes matching the order define (ORU^R01, ADT^A31,\n"
    "  FHIR Observations, DICOM SR) into DIR, one file each, and sends nothing\n";

struct options {
  std::vector<std::string> mappings;
  std::string order;
  std::string findings;
  std::string dir;
  std::string out;
  std::string registry = "models/registry.json";
  int threads = 2;
};

std::optional<std::string> parse_options(std::span<const std::string_view> args, options& o, bool& help) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      help = true;
      return std::nullopt;
    }
    if (i + 1 >= args.size()) return fmt::format("{} needs a value", a);
    const std::string v(args[++i]);
    if (a == "--mapping") {
      o.mappings.push_back(v);
    } else if (a == "--order") {
      o.order = v;
    } else if (a == "--findings") {
      o.findings = v;
    } else if (a == "--dir") {
      o.dir = v;
    } else if (a == "--out") {
      o.out = v;
    } else if (a == "--registry") {
      o.registry = v;
    } else if (a == "--threads") {
      o.threads = std::atoi(v.c_str());
      if (o.threads < 1 || o.threads > 64) return "--threads needs a whole number from 1 to 64";
    } else {
      return fmt::format("unknown option {}", a);
    }
  }
  if (o.mappings.empty()) return "--mapping is required";
  if (o.order.empty()) return "--order is required";
  if (o.findings.empty() && o.dir.empty()) return "give --findings FINDINGS.json or --dir STUDY_DIR (or both)";
  if (o.out.empty()) return "--out is required";
  return std::nullopt;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the file", path));
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error(fmt::format("{}: cannot write the file", path.string()));
}

// The findings of the route's models: from the file, or by running them.
struct job_findings {
  std::vector<infer::inference_result> results;
  std::optional<results::source_series> series;
};

class previewer {
 public:
  previewer(const options& o, const infer::model_registry& registry, const route::mapping_set& mappings,
            std::ostream& out)
      : opt_(o), registry_(registry), mappings_(mappings), out_(out) {}

  void run(const route::route& r, const hl7::message& order) {
    const std::optional<std::string> key = route::study_key_value(r, order);
    if (!key) {
      throw std::runtime_error(fmt::format("route \"{}\" reads the study key at {}, which is empty in {}", r.name,
                                           r.study.path_text, opt_.order));
    }
    job_findings found = findings_for(r, *key);
    results::result_input in;
    in.order = &order;
    in.route = &r;
    in.results = std::move(found.results);
    in.series = std::move(found.series);
    in.job_key = results::job_key_for(r.name, *key, in.results);
    in.acuity = route::acuity_of(r.acuity, in.results);
    in.issued = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    in.engine_version = RADBRIDGE_VERSION;

    out_ << fmt::format("route {} ({} mode{}), study {} {}\n", r.name, to_string(r.mode),
                        r.mode == route::rollout_mode::silent ? ": nothing would be sent" : "",
                        r.study.by == route::study_key_rule::kind::accession ? "accession" : "UID", *key);
    for (const infer::inference_result& x : in.results) {
      for (const infer::finding& f : x.findings) {
        if (f.present) {
          out_ << fmt::format("  finding  {}: {} (probability {:.3f}) [{} {}]\n", f.label,
                              *f.present ? "present" : "absent", f.probability.value_or(0), x.model_id, x.version);
        } else if (f.value) {
          out_ << fmt::format("  finding  {}: {:.1f} {} [{} {}]\n", f.label, *f.value, f.unit, x.model_id, x.version);
        }
      }
    }
    out_ << fmt::format("  acuity   {}\n", in.acuity);
    build_outputs(r, in);
  }

 private:
  job_findings findings_for(const route::route& r, const std::string& key) {
    job_findings j;
    std::optional<fetch::folder_source> folder;
    std::optional<fetch::fetched_series> fetched;
    if (!opt_.dir.empty()) {
      folder.emplace(opt_.dir);
      const fetch::study_key study{r.study.by == route::study_key_rule::kind::accession
                                       ? fetch::study_key::kind::accession
                                       : fetch::study_key::kind::study_uid,
                                   key};
      fetched = fetch::fetch_series(*folder, study, r.series);
      j.series = fetched->headers;
    }
    if (!opt_.findings.empty()) {
      for (infer::inference_result& x : infer::parse_inference_results(read_text(opt_.findings), opt_.findings)) {
        if (std::find(r.models.begin(), r.models.end(), x.model_id) == r.models.end()) {
          throw std::runtime_error(fmt::format("{} holds findings of model \"{}\", which route \"{}\" does not run",
                                               opt_.findings, x.model_id, r.name));
        }
        j.results.push_back(std::move(x));
      }
      return j;
    }
    for (const std::string& id : r.models) {
      const infer::model_spec* spec = registry_.find(id);
      if (spec == nullptr) throw std::runtime_error(fmt::format("no model \"{}\" in {}", id, opt_.registry));
      const infer::model_runner runner(*spec, infer::runner_options{opt_.threads, true});
      j.results.push_back(runner.run(fetched->image));
    }
    return j;
  }

  void build_outputs(const route::route& r, const results::result_input& in) {
    const results::job_outputs outputs = results::build_outputs(in, mappings_);
    for (const results::built_output& o : outputs.built) {
      const fs::path path = fs::path(opt_.out) / fmt::format("{}.{}{}", r.name, o.name, extension(o.kind));
      write_file(path, o.payload);
      std::string to;
      for (const std::string& d : o.destinations) to += (to.empty() ? "" : ", ") + d;
      out_ << fmt::format("  {:<11} {} ({} bytes) for {}\n", title(o.kind), path.string(), o.payload.size(), to);
    }
    for (const results::skipped_output& s : outputs.skipped) {
      out_ << fmt::format("  {:<11} not built: {}{}\n", title(s.kind), s.reason,
                          s.kind == route::output_kind::sr ? " (give --dir STUDY_DIR)" : "");
    }
  }

  static std::string_view title(route::output_kind k) {
    switch (k) {
      case route::output_kind::oru: return "ORU^R01";
      case route::output_kind::adt: return "ADT^A31";
      case route::output_kind::observation: return "Observation";
      case route::output_kind::sr: return "DICOM SR";
    }
    return "";
  }

  static std::string_view extension(route::output_kind k) {
    switch (k) {
      case route::output_kind::oru:
      case route::output_kind::adt: return ".hl7";
      case route::output_kind::observation: return ".json";
      case route::output_kind::sr: return ".dcm";
    }
    return "";
  }

  const options& opt_;
  const infer::model_registry& registry_;
  const route::mapping_set& mappings_;
  std::ostream& out_;
};

}  // namespace

int run_preview(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  options opt;
  bool help = false;
  if (auto problem = parse_options(args, opt, help)) {
    err << "radbridge preview: " << *problem << "\n" << usage;
    return exit_usage;
  }
  if (help) {
    out << usage;
    return exit_ok;
  }
  try {
    const infer::model_registry registry = infer::load_registry(opt.registry);
    const route::mapping_set mappings = route::load_mappings(opt.mappings, registry);
    auto order = hl7::message::parse(read_text(opt.order));
    if (!order) {
      err << fmt::format("radbridge preview: {}: not a readable HL7 v2 message: {}\n", opt.order,
                         order.error().to_string());
      return exit_failure;
    }
    const std::vector<const route::route*> routes = route::matching_routes(mappings, *order);
    if (routes.empty()) {
      err << fmt::format("radbridge preview: no route matches {} ({}^{}, {} routes read)\n", opt.order,
                         order->message_type(), order->trigger_event(), mappings.routes.size());
      return exit_failure;
    }
    std::error_code ec;
    fs::create_directories(opt.out, ec);
    if (ec) {
      err << fmt::format("radbridge preview: {}: cannot create the folder: {}\n", opt.out, ec.message());
      return exit_failure;
    }
    previewer p(opt, registry, mappings, out);
    for (const route::route* r : routes) p.run(*r, *order);
    return exit_ok;
  } catch (const route::mapping_error& e) {
    err << "radbridge preview: the mappings have problems:\n" << e.what() << "\n";
  } catch (const fetch::fetch_error& e) {
    err << "radbridge preview: " << to_string(e.code()) << ": " << e.what() << "\n";
  } catch (const infer::infer_error& e) {
    err << "radbridge preview: " << to_string(e.code()) << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    err << "radbridge preview: " << e.what() << "\n";
  }
  return exit_failure;
}

}  // namespace radbridge::cli
