// The error every result builder (ORU^R01, ADT^A31, FHIR Observation, DICOM
// SR) throws when its input cannot make a correct output: no route or order,
// a missing patient identifier, a finding the route does not map, a malformed
// timestamp. It is permanent (the same input fails the same way: dead letter,
// never retry), and its message names fields and labels, never patient data.
#pragma once

#include <stdexcept>

namespace radbridge::results {

class build_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace radbridge::results
