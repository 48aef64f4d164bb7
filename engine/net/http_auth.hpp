// HTTP authentication settings and the Authorization header they make, for
// every client that talks to a server needing credentials (DICOMweb QIDO,
// WADO and STOW-RS). Basic (RFC 7617: base64 of "user:password") or bearer
// (RFC 6750: the token as given). Settings that could not work, or that could
// inject another header, are refused with std::invalid_argument before
// anything is sent; the caller adds its own prefix to the message. Not
// provided: digest, OAuth token refresh, encodings of non-ASCII user names
// other than the bytes as given.
#pragma once

#include <string>
#include <string_view>

namespace radbridge::net {

enum class auth_scheme { none, basic, bearer };

struct http_auth {
  auth_scheme scheme = auth_scheme::none;
  std::string user;      // basic
  std::string password;  // basic
  std::string token;     // bearer
};

// "Basic dXNlcjpwdw==", "Bearer TOKEN", or empty for none. Throws
// std::invalid_argument: "basic authentication needs a user name", "a basic
// authentication user name cannot hold ':'", "bearer authentication needs a
// token", "the bearer token holds a line break".
std::string authorization_header(const http_auth& auth);

// Standard base64 (RFC 4648 section 4) with padding.
std::string base64(std::string_view bytes);

}  // namespace radbridge::net
