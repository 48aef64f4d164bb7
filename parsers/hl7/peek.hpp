// A forgiving MSH reader that never fails, for building a NAK.
//
// When the full parse rejects a message, the receiver still owes the sender
// an answer that echoes MSH-10 and swaps the routing fields. `peek_msh` finds
// the first `MSH` segment in the bytes that starts a line or follows the
// leading blanks message::parse skips (it may follow garbage or an FHS/BHS
// envelope), takes the delimiters it declares (falling back to the defaults
// when MSH-2 is unusable: wrong length, repeated, alphanumeric or non-ASCII
// characters; and to all defaults, `|` included, when MSH-1 clashes with them) and returns whatever header fields it can see, raw.
// The MSH segment ends at CR, LF or an MLLP end block (0x1C followed by CR
// or LF, or last); a lone 0x1C elsewhere is data, as message::parse reads
// it. Fields it cannot find are empty. Views point into `bytes`, which must
// outlive the result. Nothing is unescaped or validated.
#pragma once

#include <array>
#include <string_view>

#include "hl7/delimiters.hpp"

namespace radbridge::hl7 {

struct msh_peek {
  bool found = false;          // an MSH segment was seen at all
  hl7::delimiters delimiters;  // as declared, or the defaults
  std::string_view encoding;   // MSH-1 and MSH-2 as written (e.g. "|^~\\&")
  std::array<std::string_view, 22> fields{};  // fields[n] is MSH-n, n in 3..21

  std::string_view field(std::size_t n) const noexcept { return n < fields.size() ? fields[n] : std::string_view{}; }
  std::string_view sending_application() const noexcept { return field(3); }
  std::string_view sending_facility() const noexcept { return field(4); }
  std::string_view receiving_application() const noexcept { return field(5); }
  std::string_view receiving_facility() const noexcept { return field(6); }
  std::string_view control_id() const noexcept { return field(10); }
  std::string_view processing_id() const noexcept { return field(11); }
  std::string_view version() const noexcept { return field(12); }
  std::string_view accept_ack_type() const noexcept { return field(15); }       // MSH-15
  std::string_view application_ack_type() const noexcept { return field(16); }  // MSH-16
  std::string_view charset() const noexcept { return field(18); }
  std::string_view message_type() const noexcept;   // MSH-9.1
  std::string_view trigger_event() const noexcept;  // MSH-9.2
};

msh_peek peek_msh(std::string_view bytes) noexcept;

}  // namespace radbridge::hl7
