// The JSON Schema of mapping files (mappings/schema/mapping.schema.json,
// embedded at build time) and the check of one file against it with
// RapidJSON's schema validator (draft 04).
//
// RapidJSON stops at the first violation; `schema_violation` reports it as
// `file:line:col: reason`, placed at the offending value of `root` (the same
// text parsed by json::parse_document), or nullopt when the text conforms.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json/json_document.hpp"

namespace radbridge::route {

std::string_view mapping_schema_text() noexcept;

std::optional<std::string> schema_violation(std::string_view text, const json::value& root, std::string_view file);

}  // namespace radbridge::route
