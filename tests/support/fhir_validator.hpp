// FHIR R4 validation for tests: Medplum's validator (tests/support/fhir/
// validate.mjs) run with Node.js on resources the test built.
//
// validate_fhir writes each resource to a temporary folder, runs the script
// once for all of them, and returns every issue it reported (errors and
// warnings), tagged with the name the caller gave the resource. It never
// lets a test pass for want of the validator: a missing `node` on PATH, a
// missing script or tests/support/fhir/node_modules (scripts/install-deps
// installs them), or a run that fails otherwise (bad usage, a crash, an exit
// status that disagrees with the issues printed) throws std::runtime_error
// with the validator's stderr. What Medplum itself does not check is listed
// at the top of validate.mjs.
#pragma once

#include <string>
#include <vector>

namespace radbridge::test {

struct fhir_resource {
  std::string name;  // for messages; any text
  std::string json;
};

struct fhir_issue {
  std::string resource;  // fhir_resource::name
  std::string severity;  // error, fatal, warning or information
  std::string message;   // e.g. Invalid dateTime format (Observation.effective[x])
};

std::vector<fhir_issue> validate_fhir(const std::vector<fhir_resource>& resources);

// "name: severity: message" lines, for a failing check's message.
std::string to_string(const std::vector<fhir_issue>& issues);

}  // namespace radbridge::test
