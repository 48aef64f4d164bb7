// The fetch_error a call throws, for the fetch suites' error-path checks (a
// failed check when it throws none).
#pragma once

#include <doctest/doctest.h>

#include <functional>

#include "fetch/fetch_error.hpp"

namespace radbridge::test {

inline fetch::fetch_error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const fetch::fetch_error& e) {
    return e;
  }
  FAIL("no fetch_error thrown");
  return fetch::fetch_error(fetch::fetch_errc::bad_response, "unreachable");
}

}  // namespace radbridge::test
