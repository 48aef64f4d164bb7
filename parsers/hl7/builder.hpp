// Builds HL7 v2 messages field by field, escaping every value.
//
// No radbridge code concatenates segments by hand: results, ACKs and test
// messages all come from here. Values given to `set` are UTF-8 text and are
// escaped with the builder's delimiters; `set_raw` takes an already-encoded
// field (for copying fields verbatim from a message with the same
// delimiters) and keeps its structure. Positions are 1-based as in path.hpp.
// The structure grows to the position set and no further: `set(5, "")`
// writes `PID|||||`, and trailing empty fields appear only if set.
// MSH/FHS/BHS fields 1 and 2 come from the delimiters and cannot be set.
// Misuse (an invalid segment name, position 0, setting MSH-1) throws
// std::invalid_argument: it is a programming error, not bad input.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "hl7/delimiters.hpp"

namespace radbridge::hl7 {

class segment_builder {
 public:
  segment_builder(std::string_view name, const hl7::delimiters& d);

  std::string_view name() const noexcept { return name_; }

  segment_builder& set(std::size_t field, std::string_view text);
  segment_builder& set(std::size_t field, std::size_t repetition, std::size_t component,
                       std::size_t subcomponent, std::string_view text);
  // Components 1..n of the first repetition.
  segment_builder& set_components(std::size_t field, std::initializer_list<std::string_view> components);
  // The HL7 null `""`.
  segment_builder& set_null(std::size_t field);
  // An already-encoded field, repetitions and components included.
  segment_builder& set_raw(std::size_t field, std::string_view raw);

  void encode_into(std::string& out) const;

 private:
  // The leaf at (field, repetition, component, subcomponent), created with
  // the separators before it when missing: [start, end) in fields_[field-1].
  std::pair<std::size_t, std::size_t> leaf(std::size_t field, std::size_t repetition, std::size_t component,
                                           std::size_t subcomponent);
  std::string& field_at(std::size_t field);

  std::string name_;
  hl7::delimiters delims_;
  std::vector<std::string> fields_;  // fields_[i] is field i+1, encoded
};

class message_builder {
 public:
  explicit message_builder(hl7::delimiters d = {});

  const hl7::delimiters& delimiters() const noexcept { return delims_; }

  // Appends a segment; a reference stays valid until the next add.
  segment_builder& add(std::string_view name);
  // The n-th segment with that name, or nullptr.
  segment_builder* find(std::string_view name, int occurrence = 1) noexcept;
  // Sets a value by path (e.g. "PID-3[2].1"); the segment is appended when
  // the path names the next occurrence of it.
  message_builder& set(std::string_view path_expression, std::string_view text);

  // The message, each segment terminated by CR.
  std::string encode() const;

 private:
  hl7::delimiters delims_;
  std::vector<segment_builder> segments_;
};

}  // namespace radbridge::hl7
