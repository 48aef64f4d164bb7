#include "hl7/reencode.hpp"

#include "hl7/escape.hpp"
#include "hl7/split.hpp"

namespace radbridge::hl7 {

result<std::string> reencode_segment(const message& from, const segment_view& segment, const delimiters& to,
                                     charset to_charset) {
  if (segment.is_header()) return error{errc::bad_segment_name, segment.offset(), from.locate(segment.offset())};
  const delimiters& d = from.delimiters();
  std::string out(segment.name());
  std::optional<error> failed;
  std::string text;
  const auto leaf = [&](std::string_view raw) {
    if (failed) return;
    auto value = from.unescape(raw);
    if (!value) {
      failed = value.error();
      return;
    }
    text.clear();
    if (!append_from_utf8(text, *value, to_charset)) {
      const auto offset = static_cast<std::size_t>(raw.data() - from.bytes().data());
      failed = error{errc::invalid_text, offset, from.locate(offset)};
      return;
    }
    // escape() works on text; Latin-1 bytes pass through it unchanged, as no delimiter is above 0x7F.
    escape_into(out, text, to);
  };
  for (std::size_t f = 1; f <= segment.field_count(); ++f) {
    out += to.field;
    bool first_repetition = true;
    for_each_piece(segment.field(f), d.repetition, [&](std::string_view repetition) {
      if (!first_repetition) out += to.repetition;
      first_repetition = false;
      bool first_component = true;
      for_each_piece(repetition, d.component, [&](std::string_view component) {
        if (!first_component) out += to.component;
        first_component = false;
        bool first_subcomponent = true;
        for_each_piece(component, d.subcomponent, [&](std::string_view subcomponent) {
          if (!first_subcomponent) out += to.subcomponent;
          first_subcomponent = false;
          leaf(subcomponent);
        });
      });
    });
  }
  if (failed) return *failed;
  return out;
}

}  // namespace radbridge::hl7
