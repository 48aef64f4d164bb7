// net/loopback: which hosts count as this machine's loopback.
#include "net/loopback.hpp"

#include <doctest/doctest.h>

TEST_CASE("loopback hosts: localhost, 127.0.0.0/8, ::1 and v4-mapped 127/8; names are not resolved") {
  for (const char* host : {"localhost", "LocalHost", "db.localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    CAPTURE(host);
    CHECK(radbridge::net::is_loopback_host(host));
  }
  for (const char* host : {"10.0.0.1", "128.0.0.1", "ris.example.org", "localhost.example.org", "::2", "::ffff:10.0.0.1",
                           "0.0.0.0", "[::1]", ""}) {
    CAPTURE(host);
    CHECK_FALSE(radbridge::net::is_loopback_host(host));
  }
}
