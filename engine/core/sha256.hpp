// SHA-256 of a byte string (OpenSSL), raw (32 bytes) or as lower-case hex.
#pragma once

#include <string>
#include <string_view>

namespace radbridge {

std::string sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string to_hex(std::string_view bytes);  // lower case, two digits per byte

}  // namespace radbridge
