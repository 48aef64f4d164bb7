#include "dicom_json/dicom_json.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace radbridge::dicom_json {

namespace {

constexpr std::size_t max_uid_length = 64;

[[noreturn]] void bad_shape(std::string message) { throw shape_error(message); }

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

bool is_uid(std::string_view s) noexcept {
  return !s.empty() && s.size() <= max_uid_length &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

const json::value* find_attribute(const json::value& dataset, std::string_view tag) {
  if (const json::value* v = dataset.find(tag)) return v;
  std::string lower(tag);
  for (char& c : lower) c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  return dataset.find(lower);
}

std::span<const json::value> values_of(const json::value& dataset, std::string_view tag) {
  const json::value* attribute = find_attribute(dataset, tag);
  if (attribute == nullptr || attribute->is_null()) return {};
  if (!attribute->is_object()) bad_shape(fmt::format("attribute {} is not an object", tag));
  const json::value* value = attribute->find("Value");
  if (value == nullptr || value->is_null()) return {};
  if (!value->is_array()) bad_shape(fmt::format("\"Value\" of {} is not an array", tag));
  return value->elements();
}

std::optional<std::string> text_of(const json::value& v, std::string_view tag) {
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) return std::string(trim(v.as_string()));
  if (v.is_number()) return v.is_integer() ? std::to_string(v.as_int64()) : fmt::format("{}", v.as_number());
  bad_shape(fmt::format("a value of {} is a {}, not text", tag, v.kind_name()));
}

std::string first_text(const json::value& dataset, std::string_view tag) {
  const auto values = values_of(dataset, tag);
  if (values.empty()) return {};
  return text_of(values.front(), tag).value_or(std::string{});
}

std::vector<std::string> all_texts(const json::value& dataset, std::string_view tag) {
  std::vector<std::string> out;
  for (const auto& v : values_of(dataset, tag))
    if (auto t = text_of(v, tag)) out.push_back(std::move(*t));
  return out;
}

std::optional<double> first_number(const json::value& dataset, std::string_view tag) {
  const auto values = values_of(dataset, tag);
  if (values.empty()) return std::nullopt;
  const json::value& v = values.front();
  if (v.is_number()) return v.as_number();
  if (!v.is_string()) return std::nullopt;
  const std::string_view s = trim(v.as_string());
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

std::optional<std::uint16_t> first_uint16(const json::value& dataset, std::string_view tag) {
  const auto n = first_number(dataset, tag);
  if (!n) return std::nullopt;
  if (!(*n >= 0 && *n <= 0xFFFF) || *n != static_cast<double>(static_cast<std::uint16_t>(*n)))
    bad_shape(fmt::format("{} is not an unsigned 16-bit number", tag));
  return static_cast<std::uint16_t>(*n);
}

std::vector<json::value> items_of(const json::value& dataset, std::string_view tag) {
  std::vector<json::value> items;
  for (const auto& v : values_of(dataset, tag)) {
    if (!v.is_object()) bad_shape(fmt::format("an item of {} is a {}, not an object", tag, v.kind_name()));
    items.push_back(v);
  }
  return items;
}

}  // namespace radbridge::dicom_json
