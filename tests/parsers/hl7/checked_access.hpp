// Helpers for the HL7 parser suites: a parse, or a read of one value, that
// fails the test case with the parser's own error when it does not succeed.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <utility>

#include "hl7/message.hpp"

namespace radbridge::test {

// `bytes` parsed under `lim`; the test case fails with the parse error.
inline hl7::message parse_ok(std::string_view bytes, const hl7::limits& lim = {}) {
  auto m = hl7::message::parse(bytes, lim);
  if (!m) FAIL((std::string("does not parse: ") + m.error().to_string()));
  return std::move(*m);
}

// The value at `path` (e.g. "PID-3.1"); the test case fails with the error.
inline std::string value_at(const hl7::message& m, std::string_view path) {
  auto v = m.value(path);
  if (!v) FAIL((std::string("value(") + std::string(path) + ") failed: " + v.error().to_string()));
  return std::move(*v);
}

}  // namespace radbridge::test
