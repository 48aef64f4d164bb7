// deliver/sender's make_sender: each destination type gets its sender (the
// per-sender tests send through make_sender too); what a destination gets
// wrong fails at once, naming the destination.
#include "deliver/sender.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "deliver/fhir_sender.hpp"
#include "deliver/folder_sender.hpp"
#include "deliver/mllp_sender.hpp"
#include "deliver/stow_sender.hpp"
#include "support.hpp"
#include "support/process.hpp"

namespace {

namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
using kind = radbridge::route::destination::kind;
using namespace std::chrono_literals;

radbridge::route::destination destination(kind type, std::string address) {
  radbridge::route::destination d;
  d.name = "dest";
  d.type = type;
  d.address = std::move(address);
  return d;
}

}  // namespace

TEST_CASE("make_sender: the sender for each destination type") {
  CHECK(dynamic_cast<deliver::mllp_sender*>(deliver::make_sender(destination(kind::mllp, "127.0.0.1:2575"), 1s).get()));
  CHECK(dynamic_cast<deliver::fhir_sender*>(
      deliver::make_sender(destination(kind::fhir, "http://127.0.0.1:8080/fhir"), 1s).get()));
  CHECK(dynamic_cast<deliver::stow_sender*>(
      deliver::make_sender(destination(kind::dicomweb, "http://127.0.0.1:8042/dicom-web"), 1s).get()));
  CHECK(dynamic_cast<deliver::folder_sender*>(deliver::make_sender(destination(kind::folder, "/tmp/out"), 1s).get()));
}

TEST_CASE("make_sender: a destination that cannot work fails at once, naming it") {
  CHECK_THROWS_WITH_AS(deliver::make_sender(destination(kind::mllp, "ris.example"), 1s),
                       "destination \"dest\": address \"ris.example\" is not HOST:PORT", std::invalid_argument);
  CHECK_THROWS_WITH_AS(deliver::make_sender(destination(kind::mllp, "127.0.0.1:0"), 1s),
                       "destination \"dest\": address \"127.0.0.1:0\" is not HOST:PORT", std::invalid_argument);
  CHECK_THROWS_WITH_AS(deliver::make_sender(destination(kind::mllp, "127.0.0.1:2575"), 0s),
                       "destination \"dest\": MLLP sender: the timeout must be positive", std::invalid_argument);
  CHECK_THROWS_AS(deliver::make_sender(destination(kind::fhir, "ftp://127.0.0.1/fhir"), 1s), std::invalid_argument);
  CHECK_THROWS_AS(deliver::make_sender(destination(kind::dicomweb, "127.0.0.1:8042"), 1s), std::invalid_argument);
  CHECK_THROWS_WITH_AS(deliver::make_sender(destination(kind::folder, ""), 1s),
                       "destination \"dest\": folder sender: no folder", std::invalid_argument);

  auto tls = destination(kind::mllp, "127.0.0.1:2575");
  tls.tls = true;
  tls.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(deliver::make_sender(tls, 1s), std::runtime_error);
  try {
    deliver::make_sender(tls, 1s);
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).starts_with("destination \"dest\": TLS: "));
    CHECK(std::string(e.what()).find("/nonexistent/ca.pem") != std::string::npos);
  }
}
