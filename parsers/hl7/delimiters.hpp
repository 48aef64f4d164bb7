// The five (optionally six) characters a message declares in MSH-1 and MSH-2.
//
// Every message carries its own delimiters; nothing in the codec assumes the
// defaults `|^~\&`. The truncation character is the optional fifth MSH-2
// character of v2.7 (`^~\&#`); '\0' when the message does not declare one.
#pragma once

namespace radbridge::hl7 {

struct delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = '\0';

  bool operator==(const delimiters&) const = default;
};

}  // namespace radbridge::hl7
