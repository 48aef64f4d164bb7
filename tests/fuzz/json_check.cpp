#include "json_check.hpp"

#include <rapidjson/document.h>

namespace radbridge::fuzz {

bool valid_message_json(std::string_view text, std::size_t segments) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return false;
  if (!doc.HasMember("segments")) return false;
  const rapidjson::Value& list = doc["segments"];
  return list.IsArray() && list.Size() == segments;
}

}  // namespace radbridge::fuzz
