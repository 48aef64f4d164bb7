#include "review/validation_format.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "json/json_writer.hpp"

namespace radbridge::review {

namespace {

std::string unit_of(const report_scope& scope, const std::string& label) {
  const route::finding_mapping* f = scope.route->finding(label);
  return f != nullptr ? f->ucum : std::string();
}

std::string measure_text(std::string_view name, const std::optional<proportion>& p) {
  if (!p) return fmt::format("    {:<12} undefined (no studies in its denominator)\n", name);
  return fmt::format("    {:<12} {:.2f} (95% CI {:.2f}-{:.2f}), {} of {}\n", name, p->estimate, p->lower, p->upper,
                     p->hits, p->total);
}

std::string seconds(double ms) { return fmt::format("{:.1f} s", ms / 1000); }

std::string times_text(std::string_view what, const percentiles& p) {
  if (p.count == 0) return fmt::format("  {}: none\n", what);
  return fmt::format("  {}: p50 {}, p90 {}, max {} ({} jobs)\n", what, seconds(p.p50), seconds(p.p90), seconds(p.max),
                     p.count);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

void proportion_json(json::writer& w, std::string_view name, const std::optional<proportion>& p) {
  w.key(name);
  if (!p) {
    w.null();
    return;
  }
  w.begin_object()
      .key("estimate").number(p->estimate)
      .key("lower").number(p->lower)
      .key("upper").number(p->upper)
      .key("hits").number(static_cast<std::int64_t>(p->hits))
      .key("total").number(static_cast<std::int64_t>(p->total))
      .end_object();
}

void percentiles_json(json::writer& w, std::string_view name, const percentiles& p) {
  w.key(name).begin_object().key("count").number(static_cast<std::int64_t>(p.count));
  if (p.count > 0) w.key("p50").number(p.p50).key("p90").number(p.p90).key("max").number(p.max);
  w.end_object();
}

std::string csv_number(const std::optional<double>& v) { return v ? fmt::format("{:.4f}", *v) : ""; }

// A CSV field: quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

bool is_date(std::string_view t) noexcept {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (t[i] < '0' || t[i] > '9') return false;
  }
  const int month = (t[5] - '0') * 10 + (t[6] - '0');
  const int day = (t[8] - '0') * 10 + (t[9] - '0');
  const int year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
  static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > days[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

std::string report_text(const report_scope& scope, const std::vector<group_report>& groups) {
  std::string out = fmt::format("validation report: route {}, {}, {}\n", scope.route->name,
                                scope.model.empty() ? "all models" : "model " + scope.model,
                                scope.since.empty() ? "all jobs" : "jobs since " + scope.since);
  if (groups.empty()) out += "no done jobs\n";
  for (const group_report& g : groups) {
    out += fmt::format("\n{} {}, {} mode: {} stud{}, {} with feedback\n", g.model, g.version, g.mode, g.studies,
                       g.studies == 1 ? "y" : "ies", g.with_feedback);
    for (const finding_report& f : g.findings) {
      const confusion& t = f.table;
      out += fmt::format("  {}                 radiologist positive  negative\n", f.label);
      out += fmt::format("    AI present     {:>8}  {:>8}\n", t.true_positive, t.false_positive);
      out += fmt::format("    AI absent      {:>8}  {:>8}\n", t.false_negative, t.true_negative);
      out += fmt::format("    uncertain {}, no verdict {}\n", t.uncertain, t.no_verdict);
      out += measure_text("sensitivity", f.sensitivity) + measure_text("specificity", f.specificity) +
             measure_text("PPV", f.ppv) + measure_text("NPV", f.npv);
      const auto thresholds = std::count_if(f.roc.begin(), f.roc.end(),
                                             [](const roc_point& p) { return p.threshold > 0 && p.threshold <= 1; });
      if (f.auc) out += fmt::format("    AUC {:.3f} from {} probability thresholds\n", *f.auc, thresholds);
      std::string weeks;
      for (const week_agreement& w : f.weeks) weeks += fmt::format(" {} {}/{}", w.week, w.agree, w.total);
      if (!weeks.empty()) out += "    agreement by week:" + weeks + "\n";
    }
    for (const value_agreement& v : g.values) {
      const std::string unit = unit_of(scope, v.label);
      if (v.pairs == 0) {
        out += fmt::format("  {}: no study with both values\n", v.label);
        continue;
      }
      out += fmt::format("  {}: {} pair{}, mean difference (AI - radiologist) {:.2f} {}, SD {:.2f}, limits of "
                         "agreement {:.2f} to {:.2f} {}\n",
                         v.label, v.pairs, v.pairs == 1 ? "" : "s", v.mean_difference, unit, v.sd, v.lower_limit,
                         v.upper_limit, unit);
    }
    out += times_text("order to result", g.to_result_ms) + times_text("order to first delivery", g.to_notification_ms);
    out += fmt::format("  verdict: {}\n", upper(to_string(g.verdict)));
    for (const std::string& reason : g.reasons) out += "    " + reason + "\n";
  }
  return out;
}

std::string report_json(const report_scope& scope, const std::vector<group_report>& groups) {
  json::writer w;
  w.begin_object().key("route").string(scope.route->name);
  w.key("model");
  scope.model.empty() ? w.null() : w.string(scope.model);
  w.key("since");
  scope.since.empty() ? w.null() : w.string(scope.since);
  w.key("groups").begin_array();
  for (const group_report& g : groups) {
    w.begin_object()
        .key("model").string(g.model)
        .key("version").string(g.version)
        .key("mode").string(g.mode)
        .key("studies").number(static_cast<std::int64_t>(g.studies))
        .key("with_feedback").number(static_cast<std::int64_t>(g.with_feedback));
    w.key("findings").begin_array();
    for (const finding_report& f : g.findings) {
      const confusion& t = f.table;
      w.begin_object().key("label").string(f.label);
      w.key("confusion").begin_object()
          .key("true_positive").number(static_cast<std::int64_t>(t.true_positive))
          .key("false_positive").number(static_cast<std::int64_t>(t.false_positive))
          .key("false_negative").number(static_cast<std::int64_t>(t.false_negative))
          .key("true_negative").number(static_cast<std::int64_t>(t.true_negative))
          .key("uncertain").number(static_cast<std::int64_t>(t.uncertain))
          .key("no_verdict").number(static_cast<std::int64_t>(t.no_verdict))
          .end_object();
      proportion_json(w, "sensitivity", f.sensitivity);
      proportion_json(w, "specificity", f.specificity);
      proportion_json(w, "ppv", f.ppv);
      proportion_json(w, "npv", f.npv);
      w.key("roc").begin_array();
      for (const roc_point& p : f.roc) {
        w.begin_object()
            .key("threshold").number(std::min(p.threshold, 1.0))
            .key("sensitivity").number(p.sensitivity)
            .key("false_positive_rate").number(p.false_positive_rate)
            .end_object();
      }
      w.end_array();
      w.key("auc");
      f.auc ? w.number(*f.auc) : w.null();
      w.key("weeks").begin_array();
      for (const week_agreement& wk : f.weeks) {
        w.begin_object()
            .key("week").string(wk.week)
            .key("agree").number(static_cast<std::int64_t>(wk.agree))
            .key("total").number(static_cast<std::int64_t>(wk.total))
            .end_object();
      }
      w.end_array().end_object();
    }
    w.end_array();
    w.key("values").begin_array();
    for (const value_agreement& v : g.values) {
      w.begin_object()
          .key("label").string(v.label)
          .key("unit").string(unit_of(scope, v.label))
          .key("pairs").number(static_cast<std::int64_t>(v.pairs));
      if (v.pairs > 0) {
        w.key("mean_difference").number(v.mean_difference)
            .key("sd").number(v.sd)
            .key("lower_limit").number(v.lower_limit)
            .key("upper_limit").number(v.upper_limit);
      }
      w.end_object();
    }
    w.end_array();
    percentiles_json(w, "order_to_result_ms", g.to_result_ms);
    percentiles_json(w, "order_to_delivery_ms", g.to_notification_ms);
    w.key("verdict").string(to_string(g.verdict));
    w.key("reasons").begin_array();
    for (const std::string& r : g.reasons) w.string(r);
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string report_csv(const report_scope& scope, const std::vector<group_report>& groups) {
  (void)scope;
  std::string out =
      "model,version,mode,studies,with_feedback,finding,true_positive,false_positive,false_negative,true_negative,"
      "uncertain,no_verdict,sensitivity,sensitivity_lower,sensitivity_upper,specificity,specificity_lower,"
      "specificity_upper,ppv,ppv_lower,ppv_upper,npv,npv_lower,npv_upper,auc,pairs,mean_difference,sd,"
      "lower_limit,upper_limit,verdict\n";
  auto measure = [](const std::optional<proportion>& p) {
    if (!p) return std::string(",,");
    return fmt::format("{:.4f},{:.4f},{:.4f}", p->estimate, p->lower, p->upper);
  };
  for (const group_report& g : groups) {
    const std::string head = fmt::format("{},{},{},{},{}", csv_field(g.model), csv_field(g.version), g.mode,
                                         g.studies, g.with_feedback);
    const std::string verdict = csv_field(to_string(g.verdict));
    for (const finding_report& f : g.findings) {
      const confusion& t = f.table;
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},,,,,,{}\n", head, csv_field(f.label), t.true_positive,
                         t.false_positive, t.false_negative, t.true_negative, t.uncertain, t.no_verdict,
                         measure(f.sensitivity), measure(f.specificity), measure(f.ppv), measure(f.npv),
                         csv_number(f.auc), verdict);
    }
    for (const value_agreement& v : g.values) {
      const bool any = v.pairs > 0;
      out += fmt::format("{},{},,,,,,,,,,,,,,,,,,,,{},{},{},{},{},{}\n", head, csv_field(v.label), v.pairs,
                         any ? csv_number(v.mean_difference) : "", any ? csv_number(v.sd) : "",
                         any ? csv_number(v.lower_limit) : "", any ? csv_number(v.upper_limit) : "", verdict);
    }
  }
  return out;
}

}  // namespace radbridge::review
