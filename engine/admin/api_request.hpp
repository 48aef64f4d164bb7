// What every endpoint of the admin API (api.hpp) does with a request the
// same way: a query string read strictly (an unknown or repeated name, or a
// broken %-escape, is an error naming it), whole numbers and limits in
// range, ISO 8601 times, a JSON body's text members, and JSON answers
// ({"error": TEXT} for every refusal; empty text as null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/http_server.hpp"
#include "json/json_writer.hpp"

namespace radbridge::admin {

// A whole number above zero, the whole of `text`.
std::optional<std::int64_t> positive_id(std::string_view text);

// %XX decoded, '+' a space; nullopt for a broken escape.
std::optional<std::string> percent_decode(std::string_view raw);

// The target's path, without its query.
std::string_view path_of(std::string_view target);

class query {
 public:
  // The parameters of `target`'s query; nullopt (with `error`) for a broken
  // escape or an unknown or repeated name.
  static std::optional<query> parse(std::string_view target, const std::vector<std::string_view>& known,
                                    std::string& error);
  // The names `target`'s query holds, whatever they are (for the header check).
  static std::vector<std::string> names(std::string_view target);

  std::optional<std::string> get(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// 1..most, or `fallback` when absent; nullopt when given and out of range.
std::optional<std::size_t> limit_of(const std::optional<std::string>& text, std::size_t fallback, std::size_t most);

// Whether `text` is made of an ISO 8601 time's characters only (PostgreSQL
// then reads it; what it cannot read is a permanent store error).
bool looks_like_time(std::string_view text);

// The body's object member `name` as non-empty text of at most `most` bytes.
std::optional<std::string> body_text(const request& req, std::string_view name, std::size_t most = 1000);
// Whether the body is an object with a member `name` (whatever its value).
bool body_has(const request& req, std::string_view name);

// Writes `key` with `value`, or null when it is empty.
void text_or_null(json::writer& w, std::string_view key, const std::string& value);

response json_response(const request& req, http::status status, std::string body);
response error_response(const request& req, http::status status, std::string_view text);

}  // namespace radbridge::admin
