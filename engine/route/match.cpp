#include "route/match.hpp"

#include <algorithm>
#include <cctype>

namespace radbridge::route {

namespace {

std::optional<std::string> read(const hl7::message& m, const hl7::path& p) {
  if (p.component == 0) {
    const auto raw = m.raw(p);
    return std::string(raw.value_or(""));
  }
  auto v = m.value(p);
  if (!v) return std::nullopt;
  return std::move(*v);
}

bool same(std::string_view a, std::string_view b, bool ignore_case) {
  if (!ignore_case) return a == b;
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool test(const condition& c, const hl7::message& m) {
  const std::optional<std::string> value = read(m, c.path);
  if (!value) return false;
  switch (c.op) {
    case condition::test_op::exists: return !value->empty();
    case condition::test_op::prefix:
      return value->size() >= c.values[0].size() &&
             same(std::string_view(*value).substr(0, c.values[0].size()), c.values[0], c.ignore_case);
    case condition::test_op::equals:
    case condition::test_op::in:
      return std::any_of(c.values.begin(), c.values.end(),
                         [&](const std::string& v) { return same(*value, v, c.ignore_case); });
  }
  return false;
}

}  // namespace

bool matches(const condition& c, const hl7::message& m) {
  switch (c.what) {
    case condition::kind::all:
      return std::all_of(c.children.begin(), c.children.end(), [&](const condition& x) { return matches(x, m); });
    case condition::kind::any:
      return std::any_of(c.children.begin(), c.children.end(), [&](const condition& x) { return matches(x, m); });
    case condition::kind::negate: return !matches(c.children.front(), m);
    case condition::kind::test: return test(c, m);
  }
  return false;
}

std::vector<const route*> matching_routes(const mapping_set& mappings, const hl7::message& m) {
  std::vector<const route*> out;
  for (const route& r : mappings.routes) {
    if (matches(r.match, m)) out.push_back(&r);
  }
  return out;
}

std::string value_at(const hl7::message& m, const hl7::path& p) {
  auto v = m.value(p);
  if (!v || hl7::is_null(*v)) return {};
  return std::move(*v);
}

std::optional<std::string> study_key_value(const route& r, const hl7::message& m) {
  return study_key_value(r.study, m);
}

std::optional<std::string> study_key_value(const study_key_rule& rule, const hl7::message& m) {
  std::optional<std::string> v = read(m, rule.path);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

}  // namespace radbridge::route
