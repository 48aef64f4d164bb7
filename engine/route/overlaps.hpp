// Whether two routes' conditions can both hold for one message.
//
// The check is conservative: two routes are exclusive when, on some HL7
// path, the top level of each route's conditions (the route's own test, or
// the tests directly under its top-level "all") requires values that cannot
// be equal: equals/in sets without a common value, a value that does not
// start with the other's prefix, or two prefixes neither of which starts
// with the other (ignore_case on either side compares without case). Every
// other pair is reported as possibly overlapping; deeper structure (any/not)
// is not analysed, so exclusive routes should say so at the top level.
#pragma once

#include "route/mapping.hpp"

namespace radbridge::route {

bool exclusive(const condition& a, const condition& b);

}  // namespace radbridge::route
