#include "route/overlaps.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace radbridge::route {

namespace {

// The tests every message matching `c` must pass.
std::vector<const condition*> required_tests(const condition& c) {
  std::vector<const condition*> out;
  if (c.what == condition::kind::test) out.push_back(&c);
  if (c.what == condition::kind::all) {
    for (const condition& child : c.children) {
      if (child.what == condition::kind::test) out.push_back(&child);
    }
  }
  return out;
}

std::string folded(std::string_view s, bool fold) {
  std::string out(s);
  if (fold) {
    for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

bool starts_with(std::string_view value, std::string_view prefix) { return value.substr(0, prefix.size()) == prefix; }

bool disjoint(const condition& a, const condition& b) {
  using op = condition::test_op;
  if (a.op == op::exists || b.op == op::exists) return false;
  const bool fold = a.ignore_case || b.ignore_case;
  if (a.op == op::prefix && b.op == op::prefix) {
    const std::string pa = folded(a.values[0], fold), pb = folded(b.values[0], fold);
    return !starts_with(pa, pb) && !starts_with(pb, pa);
  }
  if (b.op == op::prefix) return disjoint(b, a);
  if (a.op == op::prefix) {
    const std::string prefix = folded(a.values[0], fold);
    return std::none_of(b.values.begin(), b.values.end(),
                        [&](const std::string& v) { return starts_with(folded(v, fold), prefix); });
  }
  for (const std::string& x : a.values) {
    for (const std::string& y : b.values) {
      if (folded(x, fold) == folded(y, fold)) return false;
    }
  }
  return true;
}

}  // namespace

bool exclusive(const condition& a, const condition& b) {
  for (const condition* x : required_tests(a)) {
    for (const condition* y : required_tests(b)) {
      if (x->path.to_string() == y->path.to_string() && disjoint(*x, *y)) return true;
    }
  }
  return false;
}

}  // namespace radbridge::route
