#include "admin/api_request.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "json/json_document.hpp"

namespace radbridge::admin {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls `each(name, value)` (both still escaped) for every non-empty pair.
template <class F>
void for_each_pair(std::string_view target, F each) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return;
  for (std::string_view rest = target.substr(q + 1); !rest.empty();) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    each(pair.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
  }
}

}  // namespace

std::optional<std::int64_t> positive_id(std::string_view text) {
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::optional<std::string> percent_decode(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out += ' ';
    } else if (raw[i] != '%') {
      out += raw[i];
    } else {
      const int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
      const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

std::optional<query> query::parse(std::string_view target, const std::vector<std::string_view>& known,
                                  std::string& error) {
  query q;
  for_each_pair(target, [&](std::string_view raw_name, std::string_view raw_value) {
    if (!error.empty()) return;
    const std::optional<std::string> name = percent_decode(raw_name);
    const std::optional<std::string> value = percent_decode(raw_value);
    if (!name || !value) {
      error = "a malformed %-escape in the query";
    } else if (std::find(known.begin(), known.end(), *name) == known.end()) {
      error = fmt::format("unknown parameter \"{}\"", *name);
    } else if (!q.values_.emplace(*name, *value).second) {
      error = fmt::format("parameter \"{}\" given twice", *name);
    }
  });
  if (!error.empty()) return std::nullopt;
  return q;
}

std::vector<std::string> query::names(std::string_view target) {
  std::vector<std::string> out;
  for_each_pair(target, [&](std::string_view raw_name, std::string_view) {
    if (auto name = percent_decode(raw_name)) out.push_back(std::move(*name));
  });
  return out;
}

std::optional<std::string> query::get(const std::string& name) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::size_t> limit_of(const std::optional<std::string>& text, std::size_t fallback, std::size_t most) {
  if (!text) return fallback;
  const auto n = positive_id(*text);
  if (!n || static_cast<std::size_t>(*n) > most) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

bool looks_like_time(std::string_view text) {
  return !text.empty() && text.size() <= 40 && text.find_first_not_of("0123456789-:T.Z+ ") == std::string_view::npos;
}

std::optional<std::string> body_text(const request& req, std::string_view name, std::size_t most) {
  const json::document_result body = json::parse_document(req.body());
  const json::value* given = body && body.value().is_object() ? body.value().find(name) : nullptr;
  if (given == nullptr || !given->is_string() || given->as_string().empty() || given->as_string().size() > most) {
    return std::nullopt;
  }
  return given->as_string();
}

bool body_has(const request& req, std::string_view name) {
  const json::document_result body = json::parse_document(req.body());
  return body && body.value().is_object() && body.value().find(name) != nullptr;
}

void text_or_null(json::writer& w, std::string_view key, const std::string& value) {
  w.key(key);
  if (value.empty()) {
    w.null();
  } else {
    w.string(value);
  }
}

response json_response(const request& req, http::status status, std::string body) {
  return make_response(req, status, std::move(body), "application/json");
}

response error_response(const request& req, http::status status, std::string_view text) {
  json::writer w;
  w.begin_object().key("error").string(text).end_object();
  return json_response(req, status, w.str());
}

}  // namespace radbridge::admin
