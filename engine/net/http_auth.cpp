#include "net/http_auth.hpp"

#include <stdexcept>

namespace radbridge::net {

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto at = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[i])); };
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned group = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (const int shift : {18, 12, 6, 0}) out += alphabet[(group >> shift) & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    const unsigned group = at(i) << 16 | (left == 2 ? at(i + 1) << 8 : 0u);
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += left == 2 ? alphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string authorization_header(const http_auth& auth) {
  switch (auth.scheme) {
    case auth_scheme::none:
      return {};
    case auth_scheme::basic:
      if (auth.user.empty()) throw std::invalid_argument("basic authentication needs a user name");
      if (auth.user.find(':') != std::string::npos)
        throw std::invalid_argument("a basic authentication user name cannot hold ':'");
      return "Basic " + base64(auth.user + ":" + auth.password);
    case auth_scheme::bearer:
      if (auth.token.empty()) throw std::invalid_argument("bearer authentication needs a token");
      if (auth.token.find_first_of("\r\n") != std::string::npos)
        throw std::invalid_argument("the bearer token holds a line break");
      return "Bearer " + auth.token;
  }
  throw std::invalid_argument("unknown authentication scheme");
}

}  // namespace radbridge::net
