// Whether `text` is one well-formed JSON object with a "segments" array of
// `segments` elements. Its own translation unit: RapidJSON 1.1.0 (Debian 12)
// does pointer arithmetic on a null pointer in internal::Stack::Reserve,
// which UBSan's pointer-overflow check reports, so the files that use
// RapidJSON are built without that one check (see CMakeLists.txt).
#pragma once

#include <cstddef>
#include <string_view>

namespace radbridge::fuzz {

bool valid_message_json(std::string_view text, std::size_t segments);

}  // namespace radbridge::fuzz
