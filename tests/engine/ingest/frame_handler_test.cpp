// ingest/frame_handler: what each kind of frame gets, as bytes, without sockets.
#include <doctest/doctest.h>

#include <string>

#include "hl7/message.hpp"
#include "ingest/frame_handler.hpp"

namespace ingest = radbridge::ingest;
namespace config = radbridge::config;
namespace hl7 = radbridge::hl7;

namespace {

class fixed_stamp final : public ingest::ack_stamp {
 public:
  std::string next_control_id() override { return "ACK" + std::to_string(++n_); }
  std::string timestamp() override { return "20261123130000"; }

 private:
  int n_ = 0;
};

config::interface_settings ris() {
  config::interface_settings i;
  i.name = "ris";
  i.message_types = {"ORM^O01", "ADT^*"};
  i.processing_ids = {"P"};
  i.versions = {"2.5", "2.5.1"};
  return i;
}

const std::string sample_order =
    "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|AI|20261123120000||ORM^O01|CTRL-1|P|2.5.1\r"
    "PID|1||MRN1^^^GENHOSP^MR\r";

std::string value(const std::string& message, std::string_view path) {
  auto m = hl7::message::parse(std::string_view(message));
  REQUIRE(m);
  auto v = m->value(path);
  REQUIRE(v);
  return *v;
}

}  // namespace

TEST_CASE("frame handler: a valid order is to be stored, its AA prepared but not sent") {
  fixed_stamp stamp;
  const ingest::decision d = ingest::decide(ris(), sample_order, stamp);
  REQUIRE(d.what == ingest::action::store);
  CHECK(d.reply.empty());
  CHECK(d.row.interface == "ris");
  CHECK(d.row.sending_application == "RIS");
  CHECK(d.row.sending_facility == "GENHOSP");
  CHECK(d.row.control_id == "CTRL-1");
  CHECK(d.row.message_type == "ORM");
  CHECK(d.row.trigger_event == "O01");
  CHECK(d.row.payload == sample_order);
  CHECK(d.row.payload_sha256.size() == 32);
  CHECK(d.row.ack_code == "AA");
  CHECK(value(d.row.ack, "MSA-1") == "AA");
  CHECK(value(d.row.ack, "MSA-2") == "CTRL-1");
  CHECK(value(d.row.ack, "MSH-10") == "ACK1");

  // The verdicts of the store turn into bytes: stored -> the prepared ACK,
  // duplicate -> the ACK stored the first time, conflict -> AE 205.
  CHECK(ingest::after_commit(ris(), d.row, {radbridge::store::inbound_outcome::stored, 7, {}}, stamp) == d.row.ack);
  CHECK(ingest::after_commit(ris(), d.row, {radbridge::store::inbound_outcome::duplicate, 7, "FIRST ACK"}, stamp) ==
        "FIRST ACK");
  const std::string conflict =
      ingest::after_commit(ris(), d.row, {radbridge::store::inbound_outcome::conflict, 7, {}}, stamp);
  CHECK(value(conflict, "MSA-1") == "AE");
  CHECK(value(conflict, "ERR-3.1") == "205");
  CHECK(value(conflict, "ERR-2.1") == "MSH");
  CHECK(value(conflict, "ERR-2.3") == "10");
  auto rejecting = ris();
  rejecting.on_conflict = config::conflict_policy::reject;
  CHECK(value(ingest::after_commit(rejecting, d.row, {radbridge::store::inbound_outcome::conflict, 7, {}}, stamp),
              "MSA-1") == "AR");
}

TEST_CASE("frame handler: the row's key and type fields are UTF-8 whatever the message's character set") {
  // Found by fuzz_mllp: an 8859/1 event code with a byte over 0x7F went into
  // a text column unconverted, the insert failed, and a valid message got AE.
  fixed_stamp stamp;
  config::interface_settings any = ris();
  any.message_types = {"*"};
  const std::string latin1 =
      "MSH|^~\\&|RIS\xC9|GENHOSP|RADBRIDGE|AI|20261123120000||ADT^A0\xE9|CTRL-\xE9|P|2.5.1||||||8859/1\r"
      "PID|1||MRN1^^^GENHOSP^MR\r";
  const ingest::decision d = ingest::decide(any, latin1, stamp);
  REQUIRE_MESSAGE(d.what == ingest::action::store, d.reply);
  CHECK(d.row.sending_application == "RIS\xC3\x89");
  CHECK(d.row.message_type == "ADT");
  CHECK(d.row.trigger_event == "A0\xC3\xA9");
  CHECK(d.row.control_id == "CTRL-\xC3\xA9");
  CHECK(d.row.payload == latin1);  // the payload is kept as sent
}

TEST_CASE("frame handler: enhanced mode prepares CA, and NE means no accept ACK") {
  fixed_stamp stamp;
  std::string enhanced = sample_order;
  enhanced.replace(enhanced.find("|2.5.1\r"), 7, "|2.5.1|||AL|NE\r");
  const ingest::decision d = ingest::decide(ris(), enhanced, stamp);
  REQUIRE(d.what == ingest::action::store);
  CHECK(d.row.ack_code == "CA");
  CHECK(value(d.row.ack, "MSA-1") == "CA");

  std::string silent = sample_order;
  silent.replace(silent.find("|2.5.1\r"), 7, "|2.5.1|||NE|AL\r");
  const ingest::decision quiet = ingest::decide(ris(), silent, stamp);
  REQUIRE(quiet.what == ingest::action::store);
  CHECK(quiet.row.ack.empty());
}

TEST_CASE("frame handler: malformed HL7 with a readable MSH gets AE locating the problem") {
  fixed_stamp stamp;
  const std::string bad = "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|AI|20261123120000||ORM^O01|CTRL-2|P|2.5.1\r"
                          "PID|1||MRN1~MRN2^\\Q\\\r";
  const ingest::decision d = ingest::decide(ris(), bad, stamp);
  REQUIRE(d.what == ingest::action::reply);
  CHECK(d.reason == "bad_escape");
  CHECK(d.ack_code == "AE");
  CHECK(value(d.reply, "MSA-1") == "AE");
  CHECK(value(d.reply, "MSA-2") == "CTRL-2");
  CHECK(value(d.reply, "ERR-2.1") == "PID");
  CHECK(value(d.reply, "ERR-2.3") == "3");
  CHECK(value(d.reply, "ERR-2.4") == "2");
  CHECK(value(d.reply, "ERR-2.5") == "2");
  CHECK(value(d.reply, "ERR-3.1") == "102");
  CHECK(value(d.reply, "ERR-4") == "E");
  CHECK(value(d.reply, "MSH-5") == "RIS");
  CHECK(value(d.reply, "MSH-3") == "RADBRIDGE");
}

TEST_CASE("frame handler: unsupported type, event, processing id and version get AR 200-203") {
  fixed_stamp stamp;
  struct probe {
    std::string from, to;
    std::string reason;
    std::string code;
    std::string err2;
  };
  const probe probes[] = {
      {"ORM^O01", "SIU^S12", "unsupported_type", "200", "9"},
      {"ORM^O01", "ORM^O02", "unsupported_event", "201", "9"},
      {"|P|2.5.1", "|T|2.5.1", "unsupported_processing_id", "202", "11"},
      {"|P|2.5.1", "|P|2.3", "unsupported_version", "203", "12"},
  };
  for (const probe& p : probes) {
    CAPTURE(p.reason);
    std::string msg = sample_order;
    msg.replace(msg.find(p.from), p.from.size(), p.to);
    const ingest::decision d = ingest::decide(ris(), msg, stamp);
    REQUIRE(d.what == ingest::action::reply);
    CHECK(d.reason == p.reason);
    CHECK(value(d.reply, "MSA-1") == "AR");
    CHECK(value(d.reply, "ERR-3.1") == p.code);
    CHECK(value(d.reply, "ERR-2.3") == p.err2);
  }
  // Wildcards: every ADT event is welcome.
  std::string adt = sample_order;
  adt.replace(adt.find("ORM^O01"), 7, "ADT^A31");
  CHECK(ingest::decide(ris(), adt, stamp).what == ingest::action::store);
}

TEST_CASE("frame handler: XML-encoded HL7 is rejected, never parsed; an ACK is never acknowledged") {
  fixed_stamp stamp;
  const ingest::decision xml = ingest::decide(ris(), "<ORM_O01 xmlns=\"urn:hl7-org:v2xml\"><MSH/></ORM_O01>", stamp);
  REQUIRE(xml.what == ingest::action::reply);
  CHECK(xml.reason == "xml_encoded");
  CHECK(value(xml.reply, "MSA-1") == "AR");

  const ingest::decision ack =
      ingest::decide(ris(), "MSH|^~\\&|RIS|GENHOSP|RADBRIDGE|AI|20261123||ACK^O01|A1|P|2.5.1\rMSA|AA|X\r", stamp);
  CHECK(ack.what == ingest::action::ignore);
  CHECK(ack.reason == "ack_received");
}

TEST_CASE("frame handler: error_reply is AE/AR with ERR-3 207") {
  fixed_stamp stamp;
  const ingest::decision d = ingest::decide(ris(), sample_order, stamp);
  const std::string reply = ingest::error_reply(ris(), d.row, hl7::ack_code::reject, "database unavailable", stamp);
  CHECK(value(reply, "MSA-1") == "AR");
  CHECK(value(reply, "MSA-2") == "CTRL-1");
  CHECK(value(reply, "ERR-3.1") == "207");
  CHECK(value(reply, "MSA-3") == "database unavailable");
}

TEST_CASE("frame handler: the interface's ack_mode can force original or enhanced acknowledgement") {
  fixed_stamp stamp;
  std::string enhanced = sample_order;
  enhanced.replace(enhanced.find("|2.5.1\r"), 7, "|2.5.1|||AL|NE\r");
  auto original_only = ris();
  original_only.acks = config::ack_mode::original;
  CHECK(ingest::decide(original_only, enhanced, stamp).row.ack_code == "AA");
  auto enhanced_only = ris();
  enhanced_only.acks = config::ack_mode::enhanced;
  const ingest::decision d = ingest::decide(enhanced_only, sample_order, stamp);
  CHECK(d.row.ack_code == "CA");
  CHECK(value(d.row.ack, "MSA-1") == "CA");
  std::string bad = sample_order;
  bad.replace(bad.find("MRN1^"), 5, "\\Q\\^");
  CHECK(value(ingest::decide(enhanced_only, bad, stamp).reply, "MSA-1") == "CE");
}

TEST_CASE("frame handler: type patterns") {
  CHECK(ingest::type_allowed({}, "ORM", "O01"));
  CHECK(ingest::type_allowed({"*"}, "ORM", "O01"));
  CHECK(ingest::type_allowed({"ADT^*"}, "ADT", "A08"));
  CHECK(ingest::type_allowed({"ADT"}, "ADT", "A08"));
  CHECK_FALSE(ingest::type_allowed({"ADT^A01"}, "ADT", "A08"));
  CHECK_FALSE(ingest::type_allowed({"ADT^*"}, "ORM", "O01"));
}

namespace {

config::allowed_client entry(std::vector<std::string> applications, std::vector<std::string> facilities) {
  config::allowed_client e;
  e.match = config::allowed_client::field::cn;
  e.value = "ris-client";
  e.sending_applications = std::move(applications);
  e.sending_facilities = std::move(facilities);
  return e;
}

// "stored", or the reason the frame was answered instead.
std::string outcome_of(const ingest::decision& d) {
  return d.what == ingest::action::store ? std::string("stored") : d.reason;
}

// `sample_order` sent as MSH-3 `app`, MSH-4 `facility`.
std::string order_from(const std::string& app, const std::string& facility) {
  std::string m = sample_order;
  m.replace(m.find("RIS|GENHOSP"), 11, app + "|" + facility);
  return m;
}

}  // namespace

TEST_CASE("frame handler: a certificate bound to MSH-3/MSH-4 sending as another gets AR 207; nothing to store") {
  fixed_stamp stamp;
  const config::allowed_client ris_only = entry({"RIS"}, {"GENHOSP"});
  ingest::client_grant grant;
  grant.subject = "CN=ris-client";
  grant.restricted = true;
  grant.entries = {&ris_only};

  const ingest::decision ok = ingest::decide(ris(), sample_order, stamp, "RADBRIDGE", &grant);
  CHECK(outcome_of(ok) == "stored");
  CHECK_FALSE(ok.security_event);

  const ingest::decision lab = ingest::decide(ris(), order_from("LAB", "GENHOSP"), stamp, "RADBRIDGE", &grant);
  REQUIRE_MESSAGE(lab.what == ingest::action::reply, "got: ", outcome_of(lab));
  CHECK(lab.security_event);
  CHECK(lab.reason == "sending_application_not_allowed");
  CHECK(lab.control_id == "CTRL-1");
  CHECK(lab.ack_code == "AR");
  CHECK(value(lab.reply, "MSA-1") == "AR");
  CHECK(value(lab.reply, "MSA-2") == "CTRL-1");
  CHECK(value(lab.reply, "MSA-3") == "sending application not allowed for this client certificate");
  CHECK(value(lab.reply, "ERR-2") == "MSH^1^3^1");
  CHECK(value(lab.reply, "ERR-3") == "207^Application internal error^HL70357");
  CHECK(value(lab.reply, "ERR-4") == "E");
  CHECK(value(lab.reply, "ERR-8") == "sending application not allowed for this client certificate");
  CHECK(lab.row.payload == "");

  const ingest::decision east = ingest::decide(ris(), order_from("RIS", "EASTHOSP"), stamp, "RADBRIDGE", &grant);
  REQUIRE_MESSAGE(east.what == ingest::action::reply, "got: ", outcome_of(east));
  CHECK(east.reason == "sending_facility_not_allowed");
  CHECK(value(east.reply, "ERR-2") == "MSH^1^4^1");
  CHECK(value(east.reply, "ERR-3.1") == "207");
  CHECK(value(east.reply, "ERR-8") == "sending facility not allowed for this client certificate");

  // The whole field, as sent: "RIS^1.2.3^ISO" is not "RIS".
  CHECK(ingest::decide(ris(), order_from("RIS^1.2.3^ISO", "GENHOSP"), stamp, "RADBRIDGE", &grant).reason ==
        "sending_application_not_allowed");
  // Enhanced mode answers CR.
  std::string enhanced = order_from("LAB", "GENHOSP");
  enhanced.replace(enhanced.find("|2.5.1\r"), 7, "|2.5.1|||AL|NE\r");
  CHECK(value(ingest::decide(ris(), enhanced, stamp, "RADBRIDGE", &grant).reply, "MSA-1") == "CR");
}

TEST_CASE("frame handler: a certificate matching several entries may send as any of them; no list, any sender") {
  fixed_stamp stamp;
  const config::allowed_client ris_anywhere = entry({"RIS"}, {});
  const config::allowed_client lab_east = entry({"LAB"}, {"EAST"});
  ingest::client_grant grant;
  grant.restricted = true;
  grant.entries = {&ris_anywhere, &lab_east};
  auto reason = [&](const std::string& app, const std::string& facility) {
    return outcome_of(ingest::decide(ris(), order_from(app, facility), stamp, "RADBRIDGE", &grant));
  };
  CHECK(reason("RIS", "WEST") == "stored");
  CHECK(reason("LAB", "EAST") == "stored");
  CHECK(reason("LAB", "WEST") == "sending_facility_not_allowed");
  CHECK(reason("PACS", "EAST") == "sending_application_not_allowed");

  // An interface without an allow-list: a certificate may send as anyone.
  ingest::client_grant open;
  CHECK(outcome_of(ingest::decide(ris(), order_from("PACS", "WEST"), stamp, "RADBRIDGE", &open)) == "stored");
}
