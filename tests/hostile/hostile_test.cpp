// The hostile corpus (tests/hostile/cases, see hostile_case.hpp) against a
// real listener and a real PostgreSQL: every case on its own connection over
// real MLLP, its exact outcome checked; afterwards a well-formed message on a
// fresh connection still gets AA and nothing hostile was stored.
//
// After a case's expected answers (or none), two probes follow on the same
// connection (an SIU^S12, answered AR 200 with the probe's MSH-10): the
// first answer after the case must be the first probe's, so a case that gets
// more answers than expected, or whose connection died, fails. Once the
// second probe is answered, the listener has counted every byte sent before
// the first one, so the discarded-byte count of each case is exact.
// Cases that end in a timeout are opened first and checked last, so their
// waits overlap the rest of the run.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/ingest/listener_checks.hpp"
#include "engine/ingest/listener_support.hpp"
#include "hostile/hostile_case.hpp"
#include "support.hpp"

namespace config = radbridge::config;
namespace hl7 = radbridge::hl7;
namespace ingest = radbridge::ingest;
namespace mllp = radbridge::mllp;
namespace hostile = radbridge::test::hostile;
using namespace radbridge::test;  // NOLINT: test helpers
using outcome = mllp_test_client::outcome;

namespace {

constexpr std::size_t max_frame_bytes = std::size_t{1} << 20;
constexpr auto reply_limit = std::chrono::seconds(10);

// The interface every expectation is written for (README.md, "Hostile corpus").
config::interface_settings hostile_interface() {
  config::interface_settings i = test_interface("hostile");
  i.message_types = {"ORM^O01", "ADT^*", "ORU^R01"};
  i.versions = {"2.3", "2.3.1", "2.4", "2.5", "2.5.1"};
  i.max_frame_bytes = max_frame_bytes;
  i.idle_timeout = std::chrono::seconds(2);
  i.partial_frame_timeout = std::chrono::seconds(2);
  return i;
}

// Bytes outside printable ASCII as \xNN, as the .expect files write them.
std::string printable(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f) {
      out += "\\x";
      out += digits[b >> 4];
      out += digits[b & 0x0f];
    } else {
      out += c;
    }
  }
  return out;
}

std::string value_at(const hl7::message& m, std::string_view path) {
  auto v = m.value(path);
  return v ? *v : "<" + v.error().to_string() + ">";
}

// ERR-2 (segment^occurrence^field^repetition^component^subcomponent) written
// as a locator, as hl7::location does: PID-3[2].1, MSH[2]-1, "none" when empty.
std::string locator_of(const hl7::message& ack) {
  const std::string segment = value_at(ack, "ERR-2.1");
  if (segment.empty()) return "none";
  auto number = [&](const char* path) {
    const std::string v = value_at(ack, path);
    return v.empty() ? 0 : std::stoi(v);
  };
  std::string out = segment;
  if (number("ERR-2.2") > 1) out += "[" + std::to_string(number("ERR-2.2")) + "]";
  if (number("ERR-2.3") == 0) return out;
  out += "-" + std::to_string(number("ERR-2.3"));
  if (number("ERR-2.4") > 1) out += "[" + std::to_string(number("ERR-2.4")) + "]";
  if (number("ERR-2.5") > 0) out += "." + std::to_string(number("ERR-2.5"));
  if (number("ERR-2.5") > 0 && number("ERR-2.6") > 0) out += "." + std::to_string(number("ERR-2.6"));
  return out;
}

// An answer as the .expect keys describe it, or what came instead.
std::string describe(const mllp_test_client::reply& r, bool with_msa2) {
  if (r.what == outcome::timeout) return "no answer within " + std::to_string(reply_limit.count()) + " s";
  if (r.what == outcome::closed) return "connection closed (" + r.ec.message() + ")";
  const auto ack = hl7::message::parse(std::string_view(r.payload));
  if (!ack) return "an answer that does not parse (" + ack.error().to_string() + "): " + printable(r.payload);
  if (value_at(*ack, "MSH-9.1") != "ACK") return "an answer that is not an ACK: " + printable(r.payload);
  std::string out = "ack=" + value_at(*ack, "MSA-1");
  out += " err3=" + (ack->find("ERR") ? printable(value_at(*ack, "ERR-3.1")) : std::string("none"));
  out += " locator=" + printable(locator_of(*ack));
  if (with_msa2) out += " msa2=" + printable(value_at(*ack, "MSA-2"));
  return out;
}

std::string describe(const hostile::expectation& e) {
  std::string out = "ack=" + e.ack + " err3=" + e.err3 + " locator=" + printable(e.locator);
  if (e.msa2) out += " msa2=" + printable(*e.msa2);
  return out;
}

std::string probe(std::size_t n) {
  return "MSH|^~\\&|HOSTILE-PROBE|EVILCORP|RADBRIDGE|AI|20260101120000||SIU^S12|PROBE-" + std::to_string(n) +
         "|P|2.5.1\r";
}

std::string probe_answer(std::size_t n) {
  return "ack=AR err3=200 locator=MSH-9.1 msa2=PROBE-" + std::to_string(n);
}

struct stats_snapshot {
  std::uint64_t discarded, oversize;
  explicit stats_snapshot(const ingest::listener_stats& s)
      : discarded(s.discarded_bytes.load()), oversize(s.oversize_frames.load()) {}
};

}  // namespace

TEST_CASE("hostile corpus: every input gets its exact NAK, silence or close; a good message still gets AA") {
  const auto cases = hostile::load_corpus(source_dir() / "tests/hostile/cases", max_frame_bytes);
  REQUIRE(cases.size() >= 100);

  postgres_server& pg = shared_db();
  listener_fixture fx(pg.conninfo());
  ingest::listener& l = fx.add(hostile_interface());
  const auto ep = l.local_endpoint();
  fx.run();
  const ingest::listener_stats& stats = l.stats();

  // Timeouts first, checked at the end.
  std::vector<std::pair<const hostile::hostile_case*, std::unique_ptr<mllp_test_client>>> waiting;
  for (const auto& c : cases) {
    if (c.expect.kind != hostile::reply_kind::close || c.expect.close != "timeout") continue;
    auto client = std::make_unique<mllp_test_client>();
    REQUIRE_FALSE(client->connect(ep));
    if (!c.bytes.empty()) REQUIRE_FALSE(client->send(c.bytes));
    waiting.emplace_back(&c, std::move(client));
  }

  std::size_t probes = 0;
  for (const auto& c : cases) {
    const hostile::expectation& e = c.expect;
    if (e.kind == hostile::reply_kind::close && e.close == "timeout") continue;
    CAPTURE(c.name);
    CAPTURE(c.description);
    const stats_snapshot before(stats);
    mllp_test_client client;
    REQUIRE_FALSE(client.connect(ep));
    const auto sent = client.send(c.bytes);

    if (e.kind == hostile::reply_kind::close) {  // frame_too_large
      // The listener may close while the rest is still being written: a
      // failed write is part of the outcome, not an error of the test.
      (void)sent;
      const auto r = client.read_frame(reply_limit);
      CHECK_MESSAGE(r.what == outcome::closed, "expected a close without ACK, got ", describe(r, true));
      CHECK(reaches(stats.oversize_frames, before.oversize + 1, reply_limit) == before.oversize + 1);
      continue;
    }
    REQUIRE_MESSAGE(!sent, "sending failed: ", sent.message());
    if (e.kind == hostile::reply_kind::nak) {
      for (std::size_t i = 0; i < e.count; ++i) {
        CAPTURE(i);
        CHECK(describe(client.read_frame(reply_limit), e.msa2.has_value()) == describe(e));
      }
    }
    // Nothing more was answered, and the connection still serves.
    for (int k = 0; k < 2; ++k) {
      const std::size_t n = ++probes;
      REQUIRE_FALSE(client.send_frame(probe(n)));
      CHECK(describe(client.read_frame(reply_limit), true) == probe_answer(n));
    }
    CHECK(stats.discarded_bytes.load() - before.discarded == e.discarded.value_or(0));
    CHECK(stats.oversize_frames.load() == before.oversize);
    client.close();
  }

  for (auto& [c, client] : waiting) {
    CAPTURE(c->name);
    const auto r = client->read_frame(std::chrono::seconds(30));
    CHECK_MESSAGE(r.what == outcome::closed, "expected a close at the timeout, got ", describe(r, true));
  }
  CHECK(reaches(stats.timeouts, waiting.size(), reply_limit) == waiting.size());

  // Nothing hostile was stored.
  CHECK(stats.stored.load() == 0);
  CHECK(pg.psql("SELECT count(*) FROM inbound_messages") == "0");

  // A well-formed message on a fresh connection is still accepted and stored.
  mllp_test_client good;
  REQUIRE_FALSE(good.connect(ep));
  const auto r = good.exchange(order("HOSTILE-AFTER", "AFTER-1"), reply_limit);
  CHECK(describe(r, true) == "ack=AA err3=none locator=none msa2=AFTER-1");
  CHECK(pg.psql("SELECT string_agg(control_id, ',') FROM inbound_messages") == "AFTER-1");
  good.close();

  fx.request_stop();
  REQUIRE(fx.finished_within(std::chrono::seconds(30)));
  fx.join();
  CHECK_FALSE(fx.io_failed());
  CHECK(stats.stored.load() == 1);
  MESSAGE(cases.size(), " hostile cases, ", waiting.size(), " of them timeouts");
}
