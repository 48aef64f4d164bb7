// deliver/mllp_sender against python-hl7's asyncio MLLP server
// (tests/support/hl7_receiver.py), a receiver we did not write: what it
// parsed is what we sent, and each of its answers (and silences) comes to
// the outcome outbound.hpp names, with exact details.
#include "deliver/mllp_sender.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "deliver/sender.hpp"
#include "support/delivery_peers.hpp"
#include "engine/net/test_certs.hpp"
#include "support/process.hpp"

namespace {

namespace test = radbridge::test;
namespace deliver = radbridge::deliver;
using deliver::attempt_result;
using deliver::outbound_item;
using test::deliver::hl7_receiver;
using namespace std::chrono_literals;

outbound_item oru(const std::string& control_id) {
  outbound_item item;
  item.type = radbridge::work::output_kind::oru;
  item.identity = control_id;
  item.payload = "MSH|^~\\&|RADBRIDGE|HOSP|RIS|HOSP|20250301120000||ORU^R01^ORU_R01|" + control_id +
                 "|P|2.5.1\r"
                 "PID|1||MRN123^^^HOSP^MR||TEST^DELIVER\r"
                 "OBR|1||ACC1|24727-0^CT head^LN\r"
                 "OBX|1|CWE|RDES194^Intracranial hemorrhage^RADELEMENT||1386000^Intracranial hemorrhage^SCT||||||P\r"
                 "OBX|2|NM|ich-probability^ICH probability^99RADBRIDGE||0.93|1^no units^UCUM|||||P\r";
  return item;
}

deliver::mllp_sender sender_for(std::uint16_t port, std::chrono::milliseconds timeout = 10s) {
  return deliver::mllp_sender({"127.0.0.1", port, false, {}, timeout, {}, {}});
}

std::string at(std::uint16_t port) { return "MLLP 127.0.0.1:" + std::to_string(port) + ": "; }

}  // namespace

TEST_CASE("mllp sender: AA is sent; the receiver parsed what was sent; one connection serves several messages") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());

  const auto first = sender.send(oru("RB0001"));
  const auto second = sender.send(oru("RB0002"));
  const auto records = peer.records();
  REQUIRE(records.size() == 2);

  CHECK(first.result == attempt_result::sent);
  CHECK(first.detail == at(peer.port()) + "ACK AA");
  CHECK(first.response == records[0].ack);
  CHECK(records[0].ack.find("\rMSA|AA|RB0001\r") != std::string::npos);
  CHECK(second.result == attempt_result::sent);
  CHECK(second.response == records[1].ack);

  CHECK(records[0].control_id == "RB0001");
  CHECK(records[0].type == "ORU^R01^ORU_R01");
  CHECK(records[0].pid3 == "MRN123");
  CHECK(records[0].obx5 == std::vector<std::string>{"1386000^Intracranial hemorrhage^SCT", "0.93"});
  CHECK(records[1].control_id == "RB0002");
  CHECK(records[0].connection == 1);
  CHECK(records[1].connection == 1);
}

TEST_CASE("mllp sender: each ACK code comes to its outcome, with the ACK kept; the connection stays up") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());
  struct expectation {
    const char* control_id;
    attempt_result result;
    const char* detail;
  };
  const expectation cases[] = {
      {"AE-1", attempt_result::rejected, "ACK AE (application error)"},
      {"AR-1", attempt_result::retry, "ACK AR (application reject)"},
      {"CA-1", attempt_result::sent, "ACK CA"},
      {"CE-1", attempt_result::rejected, "ACK CE (commit error)"},
      {"CR-1", attempt_result::retry, "ACK CR (commit reject)"},
      {"AA-1", attempt_result::sent, "ACK AA"},
  };
  for (const expectation& e : cases) {
    CAPTURE(e.control_id);
    const auto outcome = sender.send(oru(e.control_id));
    const auto records = peer.records();
    REQUIRE(!records.empty());
    CHECK(records.back().control_id == e.control_id);
    CHECK(outcome.result == e.result);
    CHECK(outcome.detail == at(peer.port()) + e.detail);
    CHECK(outcome.response == records.back().ack);
    CHECK(outcome.response.find(std::string("\rMSA|") + std::string(e.control_id).substr(0, 2) + "|" + e.control_id +
                                "\r") != std::string::npos);
  }
  const auto records = peer.records();
  REQUIRE(records.size() == 6);
  for (const auto& r : records) CHECK(r.connection == 1);
}

TEST_CASE("mllp sender: an ACK for another message (MSA-2) is retry; the next message goes on a new connection") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());
  const auto mismatched = sender.send(oru("OTHER-1"));
  CHECK(mismatched.result == attempt_result::retry);
  CHECK(mismatched.detail == at(peer.port()) + "ACK for another message: MSA-2 is 'OTHER-1-OTHER', sent 'OTHER-1'");
  const auto next = sender.send(oru("RB0003"));
  CHECK(next.result == attempt_result::sent);
  const auto records = peer.records();
  REQUIRE(records.size() == 2);
  CHECK(mismatched.response == records[0].ack);
  CHECK(records[0].answer == "OTHER");
  CHECK(records[1].control_id == "RB0003");
  CHECK(records[1].connection == 2);
}

TEST_CASE("mllp sender: a receiver that never answers is retry after the timeout; the sender recovers") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port(), 300ms);
  const auto silent = sender.send(oru("SILENT-1"));
  CHECK(silent.result == attempt_result::retry);
  CHECK(silent.detail == at(peer.port()) + "no ACK within 300 ms");
  CHECK(silent.response.empty());
  const auto next = sender.send(oru("RB0004"));
  CHECK(next.result == attempt_result::sent);
  const auto records = peer.records();
  REQUIRE(records.size() == 2);
  CHECK(records[0].answer == "SILENT");
  CHECK(records[1].control_id == "RB0004");
  CHECK(records[1].connection == 2);
}

TEST_CASE("mllp sender: an answer that is not HL7 is retry, with the answer kept") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());
  const auto garbage = sender.send(oru("GARBAGE-1"));
  CHECK(garbage.result == attempt_result::retry);
  CHECK(garbage.detail == at(peer.port()) + "the answer is not an HL7 message: missing_msh (byte 0)");
  CHECK(garbage.response == "this is not an HL7 message");
}

TEST_CASE("mllp sender: a connection the receiver closed while idle is replaced within the attempt") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());
  CHECK(sender.send(oru("CLOSE-1")).result == attempt_result::sent);  // AA, then the receiver hangs up
  const auto next = sender.send(oru("RB0005"));
  CHECK(next.result == attempt_result::sent);
  CHECK(next.detail == at(peer.port()) + "ACK AA");
  const auto records = peer.records();
  REQUIRE(records.size() == 2);
  CHECK(records[1].control_id == "RB0005");
  CHECK(records[1].connection == 2);
}

TEST_CASE("mllp sender: no receiver is retry naming the connect failure, also once a kept connection's peer is gone") {
  SUBCASE("nothing listens") {
    const std::uint16_t port = test::free_tcp_port();
    auto sender = sender_for(port);
    const auto outcome = sender.send(oru("RB0006"));
    CHECK(outcome.result == attempt_result::retry);
    CHECK(outcome.detail == "MLLP: cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    CHECK(outcome.response.empty());
  }
  SUBCASE("the receiver stops after a message") {
    hl7_receiver peer;
    auto sender = sender_for(peer.port());
    CHECK(sender.send(oru("RB0007")).result == attempt_result::sent);
    peer.stop();
    const auto outcome = sender.send(oru("RB0008"));
    CHECK(outcome.result == attempt_result::retry);
    CHECK(outcome.detail == "MLLP: cannot connect to 127.0.0.1:" + std::to_string(peer.port()) + ": Connection refused");
  }
}

TEST_CASE("mllp sender: a payload whose MSH-10 is not the identity is rejected before anything is sent") {
  hl7_receiver peer;
  auto sender = sender_for(peer.port());
  auto item = oru("RB0009");
  item.identity = "RB0010";
  const auto outcome = sender.send(item);
  CHECK(outcome.result == attempt_result::rejected);
  CHECK(outcome.detail == at(peer.port()) + "the payload's MSH-10 'RB0009' is not the item's identity 'RB0010'");
  item.payload = "not HL7";
  const auto no_msh = sender.send(item);
  CHECK(no_msh.result == attempt_result::rejected);
  CHECK(no_msh.detail == at(peer.port()) + "the payload has no MSH segment");
  CHECK(peer.records().empty());
}

TEST_CASE("mllp sender over TLS (make_sender): verified against the destination's CA; another CA is retry") {
  const auto& certs = test::certs();
  hl7_receiver peer(true, certs.server_cert, certs.server_key);
  radbridge::route::destination d;
  d.name = "ris";
  d.type = radbridge::route::destination::kind::mllp;
  d.address = peer.address();
  d.tls = true;
  d.ca_file = certs.ca;
  const auto sender = deliver::make_sender(d, 10s);
  const auto outcome = sender->send(oru("RB0011"));
  CHECK(outcome.result == attempt_result::sent);
  CHECK(outcome.detail == at(peer.port()) + "ACK AA");
  REQUIRE(peer.records().size() == 1);
  CHECK(peer.records()[0].control_id == "RB0011");

  d.ca_file = certs.other_ca;
  const auto untrusting = deliver::make_sender(d, 10s);
  const auto refused = untrusting->send(oru("RB0012"));
  CHECK(refused.result == attempt_result::retry);
  CHECK(refused.detail == "MLLP: TLS handshake with " + peer.address() + " failed: certificate verify failed");
  CHECK(peer.records().size() == 1);
}
