#include "core/log.hpp"

#include <atomic>

#include <fmt/format.h>

#include "core/line_writer.hpp"
#include "core/utc_clock.hpp"

namespace radbridge::log {

namespace {

std::atomic<level> min_level{level::info};
std::atomic<std::size_t> dropped_lines{0};  // not written because stderr was blocked

std::string_view name(level l) {
  switch (l) {
    case level::debug: return "debug";
    case level::info: return "info";
    case level::warn: return "warn";
    case level::error: return "error";
  }
  return "info";
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.append(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

void set_min_level(level l) noexcept { min_level = l; }

std::string format(level l, std::string_view event, std::initializer_list<field> fields) {
  std::string out(name(l));
  out.push_back(' ');
  out.append(event);
  for (const field& f : fields) {
    out.push_back(' ');
    out.append(f.key);
    out.push_back('=');
    append_value(out, f.value);
  }
  return out;
}

namespace {

std::string timestamped_line(level l, std::string_view event, std::initializer_list<field> fields) {
  const utc_time now = utc_now();
  const std::tm& t = now.fields;
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z ", t.tm_year + 1900, t.tm_mon + 1,
                                 t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, now.millis);
  line += format(l, event, fields);
  line.push_back('\n');
  return line;
}

}  // namespace

void write(level l, std::string_view event, std::initializer_list<field> fields) {
  if (l < min_level.load(std::memory_order_relaxed)) return;
  if (dropped_lines.load(std::memory_order_relaxed) > 0) {
    const std::size_t n = dropped_lines.exchange(0);
    if (n > 0 && !write_line(timestamped_line(level::warn, "log_lines_dropped", {{"count", n}}))) dropped_lines += n;
  }
  if (!write_line(timestamped_line(l, event, fields))) ++dropped_lines;
}

}  // namespace radbridge::log
