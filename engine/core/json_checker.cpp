#include "core/json_checker.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace radbridge {

std::optional<std::string> read_text_file(const std::string& path, std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = fmt::format("{}: cannot read: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return std::move(text).str();
}

void json_checker::problem(const json::value& v, std::string_view reason) {
  problems_.push_back(json::located(file_, v, reason));
}

void json_checker::problem(const json::member& m, std::string_view reason) {
  problems_.push_back(json::located(file_, m, reason));
}

std::string json_checker::report() const {
  std::string out;
  for (const auto& p : problems_) out += p + "\n";
  if (!out.empty()) out.pop_back();
  return out;
}

void json_checker::members(const json::value& object, std::string_view what,
                           const std::map<std::string_view, handler>& handlers) {
  if (!object.is_object()) {
    problem(object, fmt::format("{} must be an object, not {}", what, object.kind_name()));
    return;
  }
  for (const json::member& m : object.members()) {
    const auto h = handlers.find(m.key);
    if (h == handlers.end()) {
      problem(m, fmt::format("unknown key \"{}\" in {}", m.key, what));
    } else {
      h->second(m.val);
    }
  }
}

void json_checker::string(const json::value& v, std::string& out, bool non_empty) {
  if (!v.is_string()) return problem(v, fmt::format("expected a string, not {}", v.kind_name()));
  if (non_empty && v.as_string().empty()) return problem(v, "must not be empty");
  out = v.as_string();
}

void json_checker::file(const json::value& v, std::string& out) {
  string(v, out);
  if (!out.empty() && std::filesystem::path(out).is_relative()) out = (std::filesystem::path(base_dir_) / out).string();
}

void json_checker::boolean(const json::value& v, bool& out) {
  if (!v.is_bool()) return problem(v, fmt::format("expected true or false, not {}", v.kind_name()));
  out = v.as_bool();
}

void json_checker::count(const json::value& v, std::size_t& out, std::int64_t min, std::int64_t max,
                         std::string_view over_max) {
  if (!over_max.empty() && v.is_number() && v.is_integer() && v.as_int64() > max) return problem(v, std::string(over_max));
  if (!v.is_number() || !v.is_integer() || v.as_int64() < min || v.as_int64() > max) {
    return problem(v, fmt::format("expected a whole number from {} to {}", min, max));
  }
  out = static_cast<std::size_t>(v.as_int64());
}

void json_checker::number(const json::value& v, double& out, double min, double max) {
  if (!v.is_number() || v.as_number() < min || v.as_number() > max) {
    return problem(v, fmt::format("expected a number from {} to {}", min, max));
  }
  out = v.as_number();
}

void json_checker::millis(const json::value& v, std::chrono::milliseconds& out) {
  std::size_t n = 0;
  const std::size_t before = problems_.size();
  count(v, n, 1, 7LL * 24 * 3600 * 1000);
  if (problems_.size() == before) out = std::chrono::milliseconds(static_cast<std::int64_t>(n));
}

void json_checker::strings(const json::value& v, std::vector<std::string>& out) {
  if (!v.is_array()) return problem(v, fmt::format("expected an array of strings, not {}", v.kind_name()));
  out.clear();
  for (const json::value& e : v.elements()) {
    std::string s;
    string(e, s);
    out.push_back(std::move(s));
  }
}

}  // namespace radbridge
