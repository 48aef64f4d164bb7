#include "route/mapping_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/json_checker.hpp"
#include "route/acuity.hpp"
#include "route/mapping_reader.hpp"
#include "route/mapping_schema.hpp"
#include "route/overlaps.hpp"

namespace radbridge::route {

namespace {

namespace fs = std::filesystem;

std::string at(const source_position& p, std::string_view reason) {
  return fmt::format("{}:{}:{}: {}", p.file, p.line, p.column, reason);
}

// Files named by the paths: a file as given, a folder's *.json in name order.
void collect(const std::vector<std::string>& paths, check_report& report) {
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") found.push_back(e.path().string());
      }
      if (ec) report.problems.push_back(fmt::format("{}: cannot list the folder: {}", path, ec.message()));
      std::sort(found.begin(), found.end());
      if (found.empty() && !ec) report.problems.push_back(fmt::format("{}: no *.json mapping files in this folder", path));
      report.files.insert(report.files.end(), found.begin(), found.end());
    } else if (fs::exists(path, ec)) {
      report.files.push_back(path);
    } else {
      report.problems.push_back(fmt::format("{}: no such file or folder", path));
    }
  }
}

// One file through syntax, our reading and the schema; appends what it read.
void read_file(const std::string& file, check_report& report) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    report.problems.push_back(fmt::format("{}: cannot read the file", file));
    return;
  }
  const json::document_result doc = json::parse_document(text.str());
  if (!doc) {
    report.problems.push_back(json::format_error(file, doc.error()));
    return;
  }
  json_checker checker(file, fs::path(file).parent_path().string());
  read_mapping_document(doc.value(), file, checker, report.mappings);
  if (!checker.ok()) {
    std::istringstream lines(checker.report());
    for (std::string line; std::getline(lines, line);) report.problems.push_back(line);
    return;
  }
  if (auto violation = schema_violation(text.str(), doc.value(), file)) report.problems.push_back(*violation);
}

struct checks {
  const infer::model_registry& registry;
  check_report& report;

  void problem(const route& r, const std::string& key, std::string_view reason) {
    const auto w = r.where_of.find(key);
    report.problems.push_back(at(w != r.where_of.end() ? w->second : r.where, reason));
  }

  void unique_names() {
    std::map<std::string, const route*> routes;
    for (const route& r : report.mappings.routes) {
      auto [it, fresh] = routes.emplace(r.name, &r);
      if (!fresh) {
        report.problems.push_back(at(r.where, fmt::format("route name \"{}\" is already used at {}:{}:{}", r.name,
                                                          it->second->where.file, it->second->where.line,
                                                          it->second->where.column)));
      }
    }
    std::map<std::string, const destination*> destinations;
    for (const destination& d : report.mappings.destinations) {
      auto [it, fresh] = destinations.emplace(d.name, &d);
      if (!fresh) {
        report.problems.push_back(at(d.where, fmt::format("destination name \"{}\" is already used at {}:{}:{}", d.name,
                                                          it->second->where.file, it->second->where.line,
                                                          it->second->where.column)));
      }
    }
  }

  void models_and_findings(route& r) {
    std::vector<const infer::model_spec*> specs;
    for (std::size_t i = 0; i < r.models.size(); ++i) {
      const infer::model_spec* spec = registry.find(r.models[i]);
      if (spec == nullptr) {
        std::string known;
        for (const infer::model_spec& m : registry.models) known += (known.empty() ? "" : ", ") + m.id;
        problem(r, fmt::format("models/{}", i),
                fmt::format("unknown model \"{}\": the registry has {}", r.models[i], known.empty() ? "none" : known));
        continue;
      }
      specs.push_back(spec);
    }
    for (const finding_mapping& f : r.findings) {
      auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto* s) { return s->label == f.label; });
      if (spec == specs.end()) {
        if (specs.size() == r.models.size()) {
          report.problems.push_back(
              at(f.where, fmt::format("finding \"{}\" is not an output of the route's models", f.label)));
        }
        continue;
      }
      const bool coded = f.present.has_value();
      if ((*spec)->kind == infer::output_kind::probability && !coded) {
        report.problems.push_back(at(f.where, fmt::format("finding \"{}\" is a probability: it needs \"present\" and "
                                                          "\"absent\" codes, not \"ucum\"",
                                                          f.label)));
      } else if ((*spec)->kind == infer::output_kind::segmentation && coded) {
        report.problems.push_back(
            at(f.where, fmt::format("finding \"{}\" is a value in {}: it needs \"ucum\"", f.label, (*spec)->unit)));
      } else if ((*spec)->kind == infer::output_kind::segmentation && f.ucum != (*spec)->unit) {
        report.problems.push_back(at(f.where, fmt::format("finding \"{}\" has ucum \"{}\" but model \"{}\" gives \"{}\"",
                                                          f.label, f.ucum, (*spec)->id, (*spec)->unit)));
      }
    }
    for (const infer::model_spec* spec : specs) {
      if (r.finding(spec->label) == nullptr) {
        report.problems.push_back(at(r.where, fmt::format("route \"{}\" has no finding for \"{}\", the output of model "
                                                          "\"{}\"",
                                                          r.name, spec->label, spec->id)));
      }
    }
    if (r.series.modalities.empty() && !specs.empty()) {
      // No series rule written: the first model's accepted modality and body parts.
      r.series.modalities = {specs.front()->modality};
      r.series.body_parts = specs.front()->body_parts;
    }
  }

  void acuity(const route& r) {
    for (std::size_t l = 0; l < r.acuity.levels.size(); ++l) {
      for (std::size_t t = 0; t < r.acuity.levels[l].when.size(); ++t) {
        const acuity_trigger& trigger = r.acuity.levels[l].when[t];
        const std::string key = fmt::format("acuity/levels/{}/when/{}", l, t);
        if (r.finding(trigger.label) == nullptr) {
          problem(r, key, fmt::format("acuity trigger on \"{}\", which is not a finding of this route", trigger.label));
        } else if (!trigger.changes.empty() &&
                   (!r.priors || std::find(r.priors->findings.begin(), r.priors->findings.end(), trigger.label) ==
                                     r.priors->findings.end())) {
          problem(r, key, fmt::format("acuity trigger on the change of \"{}\", which \"priors\" does not compare",
                                      trigger.label));
        }
      }
    }
  }

  // Priors compare value findings of the route.
  void priors(const route& r) {
    if (!r.priors) return;
    for (const std::string& label : r.priors->findings) {
      const finding_mapping* f = r.finding(label);
      if (f == nullptr || f->present) {
        report.problems.push_back(at(r.priors->where, fmt::format("\"priors\" compares \"{}\", which is not a value "
                                                                  "finding of this route",
                                                                  label)));
      }
    }
  }

  // Feedback reads verdicts only for present/absent findings and values only for value findings;
  // acceptance rules name present/absent findings.
  void feedback(const route& r) {
    if (r.feedback) {
      for (const finding_feedback& f : r.feedback->findings) {
        const finding_mapping* m = r.finding(f.label);
        if (m == nullptr) {
          report.problems.push_back(
              at(f.where, fmt::format("feedback on \"{}\", which is not a finding of this route", f.label)));
        } else if (m->present && !f.value_observation.empty()) {
          report.problems.push_back(at(f.where, fmt::format("finding \"{}\" is present/absent: its feedback is "
                                                            "\"coded\" and/or \"terms\", not a \"value\"",
                                                            f.label)));
        } else if (!m->present && f.value_observation.empty()) {
          report.problems.push_back(at(f.where, fmt::format("finding \"{}\" is a value in {}: its feedback is a "
                                                            "\"value\" (the OBX-3.1 of the report's measurement)",
                                                            f.label, m->ucum)));
        }
      }
    }
    for (const acceptance_rule& a : r.acceptance.findings) {
      const finding_mapping* m = r.finding(a.label);
      if (m == nullptr || !m->present) {
        report.problems.push_back(at(a.where, fmt::format("acceptance rule on \"{}\", which is not a present/absent "
                                                          "finding of this route",
                                                          a.label)));
      }
    }
  }

  void adt(const route& r) {
    const bool sends_adt = r.outputs.contains(output_kind::adt) && !r.outputs.at(output_kind::adt).empty();
    if (sends_adt && (!r.has_adt || !r.has_acuity)) {
      problem(r, "outputs/adt/0", "an ADT^A31 output needs \"acuity\" levels and \"adt\" settings (field and codes)");
      return;
    }
    if (!r.has_adt) return;
    std::set<std::string> levels{r.acuity.otherwise};
    for (const acuity_level& l : r.acuity.levels) levels.insert(l.name);
    if (!levels.contains(r.adt.min_level)) {
      problem(r, "adt/min_level", fmt::format("\"min_level\" names \"{}\", which is not an acuity level", r.adt.min_level));
      return;
    }
    for (const std::string& level : levels) {
      if (at_or_above(r.acuity, level, r.adt.min_level) && !r.adt.codes.contains(level)) {
        problem(r, "adt", fmt::format("\"codes\" has no value for acuity level \"{}\"", level));
      }
    }
  }

  void outputs(const route& r) {
    for (const auto& [kind, names] : r.outputs) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string key = fmt::format("outputs/{}/{}", to_string(kind), i);
        const destination* d = report.mappings.find_destination(names[i]);
        if (d == nullptr) {
          problem(r, key, fmt::format("unknown destination \"{}\"", names[i]));
          continue;
        }
        const bool fits = d->type == destination::kind::folder ||
                          ((kind == output_kind::oru || kind == output_kind::adt) && d->type == destination::kind::mllp) ||
                          (kind == output_kind::observation && d->type == destination::kind::fhir) ||
                          (kind == output_kind::sr && d->type == destination::kind::dicomweb);
        if (!fits) {
          problem(r, key, fmt::format("destination \"{}\" cannot take {} output (mllp takes oru and adt, fhir takes "
                                      "observation, dicomweb takes sr, folder takes any)",
                                      names[i], to_string(kind)));
        }
      }
    }
  }

  void overlaps() {
    const std::vector<route>& routes = report.mappings.routes;
    for (std::size_t i = 0; i < routes.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const auto shared = std::find_first_of(routes[i].models.begin(), routes[i].models.end(),
                                               routes[j].models.begin(), routes[j].models.end());
        if (!routes[i].complete || !routes[j].complete) continue;
        if (shared == routes[i].models.end() || exclusive(routes[i].match, routes[j].match)) continue;
        report.problems.push_back(at(
            routes[i].where,
            fmt::format("route \"{}\" overlaps route \"{}\" ({}:{}:{}): both run model \"{}\" and one message can "
                        "match both; make their conditions exclusive at the top level (e.g. different OBR-4.1 values)",
                        routes[i].name, routes[j].name, routes[j].where.file, routes[j].where.line,
                        routes[j].where.column, *shared)));
      }
    }
  }
};

}  // namespace

check_report check_mappings(const std::vector<std::string>& paths, const infer::model_registry& registry) {
  check_report report;
  collect(paths, report);
  for (const std::string& file : report.files) read_file(file, report);
  // The checks across files look at the routes that read cleanly.
  checks c{registry, report};
  c.unique_names();
  for (route& r : report.mappings.routes) {
    if (!r.complete) continue;
    c.models_and_findings(r);
    c.acuity(r);
    c.feedback(r);
    c.priors(r);
    c.adt(r);
    c.outputs(r);
  }
  c.overlaps();
  return report;
}

mapping_set load_mappings(const std::vector<std::string>& paths, const infer::model_registry& registry) {
  check_report report = check_mappings(paths, registry);
  if (!report.problems.empty()) {
    std::string text;
    for (const std::string& p : report.problems) text += (text.empty() ? "" : "\n") + p;
    throw mapping_error(text);
  }
  return std::move(report.mappings);
}

}  // namespace radbridge::route
