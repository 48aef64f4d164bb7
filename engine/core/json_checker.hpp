// Reading files that people edit (configuration, model registry, mappings)
// into structs, reporting every problem at once as `file:line:col: reason`.
//
// A loader walks the json::document with one json_checker: each reader
// checks the value's kind and range and either stores it or records a
// problem at the value's position; `members` dispatches an object's keys to
// handlers and reports unknown keys (typos must not pass silently). The
// loader then throws with `report()` when `ok()` is false. Nothing here
// throws for bad input.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/json_document.hpp"

namespace radbridge {

// A file people edit, whole; nullopt with `problem` set to
// "PATH: cannot read: REASON".
std::optional<std::string> read_text_file(const std::string& path, std::string& problem);

class json_checker {
 public:
  // `file` names the file in every problem; relative paths read by `file()`
  // are taken relative to `base_dir`.
  json_checker(std::string_view file, std::string base_dir) : file_(file), base_dir_(std::move(base_dir)) {}

  void problem(const json::value& v, std::string_view reason);
  void problem(const json::member& m, std::string_view reason);
  bool ok() const noexcept { return problems_.empty(); }
  std::size_t problem_count() const noexcept { return problems_.size(); }
  std::string report() const;  // one problem per line

  using handler = std::function<void(const json::value&)>;
  void members(const json::value& object, std::string_view what, const std::map<std::string_view, handler>& handlers);

  void string(const json::value& v, std::string& out, bool non_empty = true);
  void file(const json::value& v, std::string& out);  // a path, made absolute against base_dir
  void boolean(const json::value& v, bool& out);
  // `over_max`, when given, is the problem for a whole number above `max`
  // (a limit with a reason the generic range would not say).
  void count(const json::value& v, std::size_t& out, std::int64_t min, std::int64_t max,
             std::string_view over_max = {});
  void number(const json::value& v, double& out, double min, double max);
  void millis(const json::value& v, std::chrono::milliseconds& out);
  void strings(const json::value& v, std::vector<std::string>& out);

  template <class Enum>
  void choice(const json::value& v, Enum& out, std::initializer_list<std::pair<std::string_view, Enum>> options) {
    std::string text;
    string(v, text);
    std::string names;
    for (const auto& [name, value] : options) {
      if (name == text) {
        out = value;
        return;
      }
      names += names.empty() ? "\"" : " or \"";
      names += name;
      names += '"';
    }
    if (!text.empty()) problem(v, "expected " + names + ", not \"" + text + "\"");
  }

 private:
  std::string_view file_;
  std::string base_dir_;
  std::vector<std::string> problems_;
};

}  // namespace radbridge
