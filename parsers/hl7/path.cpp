#include "hl7/path.hpp"

#include <fmt/format.h>

#include "hl7/ascii.hpp"

namespace radbridge::hl7 {

namespace {

constexpr int max_index = 99999;

using ascii::is_digit;
using ascii::is_upper;

class path_reader {
 public:
  explicit path_reader(std::string_view text) : text_(text) {}

  bool at_end() const noexcept { return pos_ == text_.size(); }
  bool accept(char c) noexcept {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // A positive decimal number, or 0 when there is none (or it is out of range);
  // then the position stays at its start, so errors point at the bad number.
  int number() noexcept {
    int value = 0;
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_]) && pos_ - start < 6) {
      value = value * 10 + (text_[pos_] - '0');
      ++pos_;
    }
    if (value >= 1 && value <= max_index) return value;
    pos_ = start;
    return 0;
  }
  std::size_t pos() const noexcept { return pos_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

error bad_path_at(std::size_t offset) { return error{errc::bad_path, offset, {}}; }

}  // namespace

std::string path::to_string() const {
  std::string out(segment_name());
  if (occurrence != 1) out += fmt::format("[{}]", occurrence);
  out += fmt::format("-{}", field);
  if (repetition != 1) out += fmt::format("[{}]", repetition);
  if (component > 0) out += fmt::format(".{}", component);
  if (component > 0 && subcomponent > 0) out += fmt::format(".{}", subcomponent);
  return out;
}

result<path> parse_path(std::string_view text) {
  path p;
  for (std::size_t i = 0; i < 3; ++i) {
    if (i >= text.size() || !(is_upper(text[i]) || (i > 0 && is_digit(text[i])))) return bad_path_at(i);
    p.segment[i] = text[i];
  }
  path_reader r(text.substr(3));
  auto here = [&] { return 3 + r.pos(); };
  if (r.accept('[')) {
    p.occurrence = r.number();
    if (p.occurrence == 0 || !r.accept(']')) return bad_path_at(here());
  }
  if (!r.accept('-')) return bad_path_at(here());
  p.field = r.number();
  if (p.field == 0) return bad_path_at(here());
  if (r.accept('[')) {
    p.repetition = r.number();
    if (p.repetition == 0 || !r.accept(']')) return bad_path_at(here());
  }
  if (r.accept('.')) {
    p.component = r.number();
    if (p.component == 0) return bad_path_at(here());
    if (r.accept('.')) {
      p.subcomponent = r.number();
      if (p.subcomponent == 0) return bad_path_at(here());
    }
  }
  if (!r.at_end()) return bad_path_at(here());
  return p;
}

}  // namespace radbridge::hl7
