#include "route/mapping_schema.hpp"

#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

namespace radbridge::route {

namespace {

// The schema as a document (to read a violated rule's details) and compiled.
struct embedded_schema {
  rapidjson::Document source;
  std::unique_ptr<rapidjson::SchemaDocument> compiled;

  embedded_schema() {
    const std::string_view text = mapping_schema_text();
    source.Parse(text.data(), text.size());
    if (source.HasParseError()) throw std::logic_error("the embedded mapping schema is not valid JSON");
    compiled = std::make_unique<rapidjson::SchemaDocument>(source);
  }
};

const embedded_schema& schema() {
  static const embedded_schema s;
  return s;
}

std::string stringify(const rapidjson::Pointer& p) {
  rapidjson::StringBuffer out;
  p.Stringify(out);
  return out.GetString();
}

// The value `pointer` names in our tree (as far as it can be followed).
const json::value* follow(const json::value& root, const rapidjson::Pointer& pointer) {
  const json::value* at = &root;
  for (std::size_t i = 0; i < pointer.GetTokenCount(); ++i) {
    const rapidjson::Pointer::Token& t = pointer.GetTokens()[i];
    const json::value* next = nullptr;
    if (at->is_object()) {
      next = at->find(std::string_view(t.name, t.length));
    } else if (at->is_array() && t.index != rapidjson::kPointerInvalidIndex && t.index < at->size()) {
      next = &(*at)[t.index];
    }
    if (next == nullptr) break;
    at = next;
  }
  return at;
}

std::string reason(std::string_view keyword, const rapidjson::Value* rule) {
  if (keyword == "pattern" && rule && rule->HasMember("pattern")) {
    return fmt::format("does not match the pattern {} of the mapping schema", (*rule)["pattern"].GetString());
  }
  if (keyword == "enum" && rule && rule->HasMember("enum")) {
    std::string names;
    for (const auto& e : (*rule)["enum"].GetArray()) {
      if (!e.IsString()) continue;
      names += names.empty() ? "" : ", ";
      names += e.GetString();
    }
    return fmt::format("expected one of {} (mapping schema)", names);
  }
  if (keyword == "required" && rule && rule->HasMember("required")) {
    std::string names;
    for (const auto& e : (*rule)["required"].GetArray()) {
      names += names.empty() ? "" : ", ";
      names += e.GetString();
    }
    return fmt::format("needs all of {} (mapping schema)", names);
  }
  return fmt::format("violates \"{}\" of the mapping schema", keyword);
}

}  // namespace

std::optional<std::string> schema_violation(std::string_view text, const json::value& root, std::string_view file) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError()) return json::located(file, root, "not valid JSON for the schema validator");
  const embedded_schema& s = schema();
  rapidjson::SchemaValidator validator(*s.compiled);
  if (d.Accept(validator)) return std::nullopt;
  const rapidjson::Pointer document_pointer = validator.GetInvalidDocumentPointer();
  const json::value* at = follow(root, document_pointer);
  const rapidjson::Value* rule = validator.GetInvalidSchemaPointer().Get(s.source);
  const std::string where = stringify(document_pointer);
  return json::located(file, *at,
                       reason(validator.GetInvalidSchemaKeyword(), rule) + (where.empty() ? "" : " at " + where));
}

}  // namespace radbridge::route
