#include "review/validation.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace radbridge::review {

namespace {

constexpr double z95 = 1.959963984540054;

bool ai_positive(const store::scored_finding& r) { return r.present.value_or(false); }

percentiles percentiles_of(std::vector<double> v) {
  percentiles p;
  p.count = v.size();
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const auto n = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::max<std::size_t>(n, 1) - 1];
  };
  p.p50 = rank(0.5);
  p.p90 = rank(0.9);
  p.max = v.back();
  return p;
}

// The rows of one present/absent finding with a positive or negative verdict.
std::vector<const store::scored_finding*> decided(const std::vector<const store::scored_finding*>& rows) {
  std::vector<const store::scored_finding*> out;
  for (const auto* r : rows) {
    if (r->verdict == work::verdict::positive || r->verdict == work::verdict::negative) out.push_back(r);
  }
  return out;
}

void roc(finding_report& f, const std::vector<const store::scored_finding*>& rows) {
  std::size_t positives = 0, negatives = 0;
  std::set<double, std::greater<>> thresholds;
  for (const auto* r : rows) {
    if (!r->probability) return;  // a finding without probabilities has no ROC
    (r->verdict == work::verdict::positive ? positives : negatives) += 1;
    thresholds.insert(*r->probability);
  }
  if (positives == 0 || negatives == 0) return;
  f.roc.push_back({1.0 + 1e-9, 0, 0});
  for (double t : thresholds) {
    std::size_t tp = 0, fp = 0;
    for (const auto* r : rows) {
      if (*r->probability < t) continue;
      (r->verdict == work::verdict::positive ? tp : fp) += 1;
    }
    f.roc.push_back({t, static_cast<double>(tp) / static_cast<double>(positives),
                     static_cast<double>(fp) / static_cast<double>(negatives)});
  }
  if (f.roc.back().sensitivity < 1 || f.roc.back().false_positive_rate < 1) f.roc.push_back({0, 1, 1});
  double area = 0;
  for (std::size_t i = 1; i < f.roc.size(); ++i) {
    area += (f.roc[i].false_positive_rate - f.roc[i - 1].false_positive_rate) *
            (f.roc[i].sensitivity + f.roc[i - 1].sensitivity) / 2;
  }
  f.auc = area;
}

finding_report coded_finding(const std::string& label, const std::vector<const store::scored_finding*>& rows) {
  finding_report f;
  f.label = label;
  std::map<std::string, week_agreement> weeks;
  for (const auto* r : rows) {
    if (!r->verdict) {
      ++f.table.no_verdict;
      continue;
    }
    if (*r->verdict == work::verdict::uncertain) {
      ++f.table.uncertain;
      continue;
    }
    const bool truth = *r->verdict == work::verdict::positive;
    const bool said = ai_positive(*r);
    if (truth && said) ++f.table.true_positive;
    if (truth && !said) ++f.table.false_negative;
    if (!truth && said) ++f.table.false_positive;
    if (!truth && !said) ++f.table.true_negative;
    week_agreement& w = weeks[r->week];
    w.week = r->week;
    w.total += 1;
    w.agree += truth == said ? 1 : 0;
  }
  const confusion& t = f.table;
  f.sensitivity = wilson(t.true_positive, t.true_positive + t.false_negative);
  f.specificity = wilson(t.true_negative, t.true_negative + t.false_positive);
  f.ppv = wilson(t.true_positive, t.true_positive + t.false_positive);
  f.npv = wilson(t.true_negative, t.true_negative + t.false_negative);
  roc(f, decided(rows));
  for (auto& [week, w] : weeks) f.weeks.push_back(w);
  return f;
}

value_agreement value_finding(const std::string& label, const std::vector<const store::scored_finding*>& rows) {
  value_agreement a;
  a.label = label;
  std::vector<double> differences;
  for (const auto* r : rows) {
    if (r->value && r->radiologist_value) differences.push_back(*r->value - *r->radiologist_value);
  }
  a.pairs = differences.size();
  if (differences.empty()) return a;
  double sum = 0;
  for (double d : differences) sum += d;
  a.mean_difference = sum / static_cast<double>(differences.size());
  if (differences.size() > 1) {
    double squares = 0;
    for (double d : differences) squares += (d - a.mean_difference) * (d - a.mean_difference);
    a.sd = std::sqrt(squares / static_cast<double>(differences.size() - 1));
  }
  a.lower_limit = a.mean_difference - z95 * a.sd;
  a.upper_limit = a.mean_difference + z95 * a.sd;
  return a;
}

std::string show(const proportion& p) { return fmt::format("{:.2f} (95% CI {:.2f}-{:.2f})", p.estimate, p.lower, p.upper); }

void judge(group_report& g, const route::acceptance_rules& rules) {
  bool enough = true, met = true, any = false;
  for (const route::acceptance_rule& rule : rules.findings) {
    const auto f = std::find_if(g.findings.begin(), g.findings.end(), [&](const auto& x) { return x.label == rule.label; });
    if (f == g.findings.end()) continue;  // another model's finding
    any = true;
    const std::size_t have = f->table.decided();
    if (have < rule.min_studies) {
      enough = false;
      g.reasons.push_back(fmt::format("{}: {} of {} studies with a positive or negative verdict", rule.label, have,
                                      rule.min_studies));
      continue;
    }
    auto check = [&](std::string_view name, const std::optional<double>& threshold,
                     const std::optional<proportion>& measured) {
      if (!threshold) return;
      if (!measured) {
        enough = false;
        g.reasons.push_back(fmt::format("{}: {} undefined (no studies in its denominator)", rule.label, name));
        return;
      }
      const double compared = rules.on == route::acceptance_rules::compare::lower_bound ? measured->lower
                                                                                         : measured->estimate;
      const bool ok = compared >= *threshold;
      met = met && ok;
      g.reasons.push_back(fmt::format("{}: {} {} {} {:.2f}{}", rule.label, name, show(*measured),
                                      ok ? "reaches" : "is below", *threshold,
                                      rules.on == route::acceptance_rules::compare::lower_bound ? " (lower bound compared)"
                                                                                                : ""));
    };
    check("sensitivity", rule.sensitivity, f->sensitivity);
    check("specificity", rule.specificity, f->specificity);
    check("PPV", rule.ppv, f->ppv);
    check("NPV", rule.npv, f->npv);
  }
  if (!any) {
    g.verdict = acceptance::no_rules;
  } else if (!met) {
    g.verdict = acceptance::not_accepted;
  } else {
    g.verdict = enough ? acceptance::accepted : acceptance::not_enough_data;
  }
}

}  // namespace

std::optional<proportion> wilson(std::size_t hits, std::size_t total) {
  if (total == 0) return std::nullopt;
  const double n = static_cast<double>(total);
  const double p = static_cast<double>(hits) / n;
  const double z2 = z95 * z95;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z95 / (1 + z2 / n) * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return proportion{hits, total, p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::string_view to_string(acceptance a) noexcept {
  switch (a) {
    case acceptance::accepted: return "accepted";
    case acceptance::not_accepted: return "not accepted";
    case acceptance::not_enough_data: return "not enough data";
    case acceptance::no_rules: return "no acceptance rules";
  }
  return "no acceptance rules";
}

std::vector<group_report> validate(const std::vector<store::scored_finding>& rows, const route::acceptance_rules& rules) {
  struct group_rows {
    std::vector<std::string> labels;  // in first-seen order
    std::map<std::string, std::vector<const store::scored_finding*>> by_label;
    std::map<std::int64_t, const store::scored_finding*> jobs;
    std::set<std::int64_t> with_feedback;
  };
  std::vector<group_report> groups;
  std::vector<group_rows> grouped;
  for (const store::scored_finding& r : rows) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const group_report& x) {
      return x.model == r.model && x.version == r.version && x.mode == r.mode;
    });
    if (g == groups.end()) {
      group_report fresh;
      fresh.model = r.model;
      fresh.version = r.version;
      fresh.mode = r.mode;
      groups.push_back(std::move(fresh));
      grouped.emplace_back();
      g = groups.end() - 1;
    }
    group_rows& gr = grouped[static_cast<std::size_t>(g - groups.begin())];
    if (!gr.by_label.contains(r.label)) gr.labels.push_back(r.label);
    gr.by_label[r.label].push_back(&r);
    gr.jobs.emplace(r.job_id, &r);
    if (r.verdict || r.radiologist_value) gr.with_feedback.insert(r.job_id);
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    group_report& g = groups[i];
    const group_rows& gr = grouped[i];
    g.studies = gr.jobs.size();
    g.with_feedback = gr.with_feedback.size();
    std::vector<double> result_ms, notification_ms;
    for (const auto& [id, r] : gr.jobs) {
      result_ms.push_back(r->result_ms);
      if (r->notification_ms) notification_ms.push_back(*r->notification_ms);
    }
    g.to_result_ms = percentiles_of(std::move(result_ms));
    g.to_notification_ms = percentiles_of(std::move(notification_ms));
    for (const std::string& label : gr.labels) {
      const auto& list = gr.by_label.at(label);
      if (list.front()->present.has_value()) {
        g.findings.push_back(coded_finding(label, list));
      } else {
        g.values.push_back(value_finding(label, list));
      }
    }
    judge(g, rules);
  }
  return groups;
}

}  // namespace radbridge::review
