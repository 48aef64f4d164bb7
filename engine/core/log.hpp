// Structured logs: one line per event, `key=value` pairs, to standard error.
//
//   2026-11-23T13:42:18.123Z info message_stored interface=ris control_id=X1 bytes=812
//
// Logs carry identifiers, types, sizes and hashes — never message bodies or
// patient names: callers pass only such fields, and there is deliberately no
// call that takes a message. Values with spaces, quotes or '=' are quoted.
// Thread-safe; lines are whole and in order, written by a background thread
// (core/line_writer.hpp) so that logging never blocks the caller on I/O.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace radbridge::log {

enum class level { debug, info, warn, error };

struct field {
  std::string_view key;
  std::string value;

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(v) {}
  field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <class Number>
    requires std::is_arithmetic_v<Number>
  field(std::string_view k, Number v) : key(k), value(std::to_string(v)) {}
};

void set_min_level(level l) noexcept;
void write(level l, std::string_view event, std::initializer_list<field> fields);

// The line `write` would print, without the timestamp (for tests).
std::string format(level l, std::string_view event, std::initializer_list<field> fields);

inline void debug(std::string_view event, std::initializer_list<field> f = {}) { write(level::debug, event, f); }
inline void info(std::string_view event, std::initializer_list<field> f = {}) { write(level::info, event, f); }
inline void warn(std::string_view event, std::initializer_list<field> f = {}) { write(level::warn, event, f); }
inline void error(std::string_view event, std::initializer_list<field> f = {}) { write(level::error, event, f); }

}  // namespace radbridge::log
