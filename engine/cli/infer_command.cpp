#include "cli/infer_command.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "core/secret_file.hpp"
#include "fetch/fetch_error.hpp"
#include "net/http_auth.hpp"
#include "fetch/study_fetch.hpp"
#include "infer/model_registry.hpp"
#include "infer/model_runner.hpp"

namespace radbridge::cli {

namespace {

constexpr std::string_view usage_text =
    "usage: radbridge infer --model ID (--dir DIR [--study UID | --accession ACC]\n"
    "                       | --dicomweb URL (--study UID | --accession ACC))\n"
    "                       [--registry FILE] [--json] [--threads N]\n"
    "                       [--user U (--password P | --password-file F) | --token T | --token-file F]\n"
    "                       [--ca FILE] [--timeout-ms MS]\n"
    "  runs one model of the registry on one study and prints its findings\n";

struct options {
  std::string model;
  std::string registry = "models/registry.json";
  std::string dir;
  std::string dicomweb;
  std::optional<fetch::study_key> study;
  bool json = false;
  int threads = 0;
  fetch::dicomweb_settings pacs;
  std::string password_file;  // read when the command runs (core/secret_file.hpp)
  std::string token_file;
};

template <class T>
bool parse_number(std::string_view text, T& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::optional<std::string> parse_options(std::span<const std::string_view> args, options& opt, bool& help) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      help = true;
      return std::nullopt;
    }
    if (a == "--json") {
      opt.json = true;
      continue;
    }
    if (!a.starts_with("--")) return fmt::format("unexpected argument '{}'", a);
    if (i + 1 == args.size()) return fmt::format("{} needs a value", a);
    const std::string v(args[++i]);
    if (a == "--model") {
      opt.model = v;
    } else if (a == "--registry") {
      opt.registry = v;
    } else if (a == "--dir") {
      opt.dir = v;
    } else if (a == "--dicomweb") {
      opt.dicomweb = v;
    } else if (a == "--study" || a == "--accession") {
      if (opt.study) return std::string("give one of --study and --accession");
      opt.study = fetch::study_key{a == "--study" ? fetch::study_key::kind::study_uid : fetch::study_key::kind::accession, v};
    } else if (a == "--threads") {
      if (!parse_number(v, opt.threads) || opt.threads < 1 || opt.threads > 256) {
        return fmt::format("--threads wants a number from 1 to 256, not '{}'", v);
      }
    } else if (a == "--user") {
      opt.pacs.auth.user = v;
      opt.pacs.auth.scheme = net::auth_scheme::basic;
    } else if (a == "--password") {
      opt.pacs.auth.password = v;
    } else if (a == "--password-file") {
      opt.password_file = v;
    } else if (a == "--token" || a == "--token-file") {
      (a == "--token" ? opt.pacs.auth.token : opt.token_file) = v;
      opt.pacs.auth.scheme = net::auth_scheme::bearer;
    } else if (a == "--ca") {
      opt.pacs.ca_file = v;
    } else if (a == "--timeout-ms") {
      long long ms = 0;
      if (!parse_number(v, ms) || ms <= 0) return fmt::format("--timeout-ms wants a positive number, not '{}'", v);
      opt.pacs.connect_timeout = opt.pacs.read_timeout = std::chrono::milliseconds(ms);
    } else {
      return fmt::format("unknown option '{}'", a);
    }
  }
  if (opt.model.empty()) return std::string("--model ID is required");
  if (opt.dir.empty() == opt.dicomweb.empty()) return std::string("give one of --dir DIR and --dicomweb URL");
  if (!opt.dicomweb.empty() && !opt.study) return std::string("--dicomweb needs --study UID or --accession ACC");
  const bool token = !opt.pacs.auth.token.empty() || !opt.token_file.empty();
  if (!opt.pacs.auth.user.empty() && token) return std::string("give --user/--password or --token, not both");
  if (!opt.pacs.auth.password.empty() && !opt.password_file.empty())
    return std::string("give --password or --password-file, not both");
  if (!opt.pacs.auth.token.empty() && !opt.token_file.empty()) return std::string("give --token or --token-file, not both");
  return std::nullopt;
}

void print_text(std::ostream& out, const infer::inference_result& r, const fetch::fetched_series& f) {
  const fetch::series_identity& id = f.image.identity;
  out << fmt::format("model    {} {} (sha256 {})\n", r.model_id, r.version, r.sha256);
  out << fmt::format("study    {}{}\n", r.study_uid, id.accession.empty() ? "" : " (accession " + id.accession + ")");
  out << fmt::format("series   {}: {} {} \"{}\", {} slices of {}x{}, {:.2f} x {:.2f} x {:.2f} mm\n", r.series_uid,
                     id.modality, id.body_part, id.series_description, f.image.slices, f.image.columns, f.image.rows,
                     f.image.spacing[0], f.image.spacing[1], f.image.spacing[2]);
  for (const infer::finding& x : r.findings) {
    if (x.present) {
      out << fmt::format("finding  {}: {} (probability {:.3f})\n", x.display.empty() ? x.label : x.display,
                         *x.present ? "present" : "absent", x.probability.value_or(0));
    } else if (x.value) {
      out << fmt::format("finding  {}: {:.1f} {}\n", x.display.empty() ? x.label : x.display, *x.value, x.unit);
    }
  }
  std::string steps;
  for (const infer::step_time& t : r.timings_ms) steps += fmt::format("{}{} {:.0f} ms", steps.empty() ? "" : ", ", t.step, t.ms);
  out << "timings  " << steps << "\n";
}

}  // namespace

int run_infer(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  options opt;
  bool help = false;
  if (auto problem = parse_options(args, opt, help)) {
    err << "radbridge infer: " << *problem << "\n" << usage_text;
    return exit_usage;
  }
  if (help) {
    out << usage_text;
    return exit_ok;
  }
  try {
    if (!opt.password_file.empty()) opt.pacs.auth.password = secrets::read_secret_file(opt.password_file);
    if (!opt.token_file.empty()) opt.pacs.auth.token = secrets::read_secret_file(opt.token_file);
    const infer::model_registry registry = infer::load_registry(opt.registry);
    const infer::model_spec* spec = registry.find(opt.model);
    if (spec == nullptr) {
      std::string known;
      for (const infer::model_spec& m : registry.models) known += (known.empty() ? "" : ", ") + m.id;
      err << fmt::format("radbridge infer: no model \"{}\" in {} (it has: {})\n", opt.model, opt.registry, known);
      return exit_failure;
    }
    const infer::model_runner runner(*spec, infer::runner_options{opt.threads, true});
    fetch::series_rule rule;
    rule.modalities = {spec->modality};
    rule.preference = fetch::prefer::thinnest_slices;
    fetch::fetched_series fetched;
    if (!opt.dir.empty()) {
      const fetch::folder_source folder(opt.dir);
      fetch::study_key key;
      if (opt.study) {
        key = *opt.study;
      } else {
        const std::vector<std::string> studies = folder.study_uids();
        if (studies.size() != 1) {
          err << fmt::format("radbridge infer: {} holds {} studies; say which with --study or --accession\n", opt.dir,
                             studies.size());
          return exit_failure;
        }
        key = {fetch::study_key::kind::study_uid, studies.front()};
      }
      fetched = fetch::fetch_series(folder, key, rule);
    } else {
      opt.pacs.base_url = opt.dicomweb;
      const fetch::dicomweb_client pacs(opt.pacs);
      fetched = fetch::fetch_series(pacs, *opt.study, rule);
    }
    infer::inference_result result = runner.run(fetched.image);
    result.timings_ms.insert(result.timings_ms.begin(), {{"find", fetched.find_ms},
                                                         {"retrieve", fetched.retrieve_ms},
                                                         {"decode", fetched.decode_ms}});
    if (opt.json) {
      out << infer::to_json(result) << "\n";
    } else {
      print_text(out, result, fetched);
    }
    return exit_ok;
  } catch (const fetch::fetch_error& e) {
    err << "radbridge infer: " << to_string(e.code()) << ": " << e.what() << "\n";
  } catch (const infer::infer_error& e) {
    err << "radbridge infer: " << to_string(e.code()) << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    err << "radbridge infer: " << e.what() << "\n";
  }
  return exit_failure;
}

}  // namespace radbridge::cli
