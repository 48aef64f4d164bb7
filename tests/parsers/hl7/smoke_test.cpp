#include <doctest/doctest.h>
#include "hl7/message.hpp"
TEST_CASE("smoke") {
  auto m = radbridge::hl7::message::parse(std::string_view("MSH|^~\\&|A|B|C|D|20260101||ORM^O01|X1|P|2.5\rPID|1||123^^^H~456||DOE^JOHN\r"));
  REQUIRE(m);
  CHECK(*m->value("PID-3[2].1") == "456");
}
