// Checks an OpenAPI document and the answers a test got from the API it
// describes, with npm's @seriousme/openapi-schema-validator and ajv
// (tests/support/openapi/check.mjs, installed by scripts/install-deps).
#pragma once

#include <string>
#include <vector>

namespace radbridge::test {

struct api_answer {
  std::string method;
  std::string target;  // path and query
  int status = 0;
  std::string body;
};

// One line per problem (an invalid document, an answer its operation does
// not allow, an operation never answered); empty when there is none. Throws
// std::runtime_error when the checker cannot run.
std::vector<std::string> check_openapi(const std::string& document, const std::vector<api_answer>& answers);

}  // namespace radbridge::test
