#include "hl7/json_tree.hpp"

#include "hl7/split.hpp"

namespace radbridge::hl7 {

namespace {

std::string_view charset_name(charset cs) {
  switch (cs) {
    case charset::ascii: return "ascii";
    case charset::latin1: return "8859/1";
    case charset::utf8: return "UNICODE UTF-8";
  }
  return "ascii";
}

}  // namespace

std::optional<error> write_json(const message& m, json::writer& out) {
  const delimiters& d = m.delimiters();
  std::optional<error> failure;
  auto leaf = [&](std::string_view raw) {
    if (is_null(raw)) {
      out.null();
      return;
    }
    auto text = m.unescape(raw);
    if (!text) {
      if (!failure) failure = text.error();
      out.string("");
      return;
    }
    out.string(*text);
  };

  out.begin_object();
  out.key("charset").string(charset_name(m.charset()));
  out.key("segments").begin_array();
  for (std::size_t s = 0; s < m.segment_count(); ++s) {
    const segment_view seg = m.segment(s);
    out.begin_object();
    out.key("name").string(seg.name());
    out.key("fields").begin_array();
    for (std::size_t f = 1; f <= seg.field_count(); ++f) {
      const std::string_view field = seg.field(f);
      if (seg.is_header() && f <= 2) {
        out.string(field);
        continue;
      }
      out.begin_array();
      for_each_piece(field, d.repetition, [&](std::string_view rep) {
        out.begin_array();
        for_each_piece(rep, d.component, [&](std::string_view comp) {
          out.begin_array();
          for_each_piece(comp, d.subcomponent, leaf);
          out.end_array();
        });
        out.end_array();
      });
      out.end_array();
    }
    out.end_array();
    out.end_object();
  }
  out.end_array();
  out.end_object();
  return failure;
}

}  // namespace radbridge::hl7
