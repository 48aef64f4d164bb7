// SHA-256 of a byte string (OpenSSL), raw (32 bytes) or as lower-case hex.
#pragma once

#include <string>
#include <string_view>

namespace radbridge {

std::string sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string to_hex(std::string_view bytes);  // lower case, two digits per byte

// A short, stable reference to an identifier (accession number, patient ID,
// UID) for errors and logs that must not carry it: "sha256:" and the first
// 12 hex digits of its SHA-256 ("sha256:6b86b273ff34" for "1").
std::string reference_of(std::string_view identifier);

}  // namespace radbridge
