// A synthetic corpus of realistic HL7 v2 messages for benchmarks.
//
// `make_hl7_corpus` builds `count` messages with hl7::message_builder (no
// hand concatenation of segments): radiology orders ORM^O01 (MSH PID PV1 ORC
// OBR NTE), ADT^A01/A04/A08 (MSH EVN PID NK1 PV1 AL1 DG1) and results ORU^R01
// (MSH PID PV1 ORC OBR and NM/ST/CWE/FT OBX), about 1.5 KB each, CR segment
// terminators. Some text values carry delimiters (so \F\ \S\ \T\ \R\ \E\ appear),
// some carry \X0D0A\ and \.br\, PID-3 has 2-3 repetitions, OBR-4 is
// code^text^system, and a few messages are UTF-8 with MSH-18 set.
//
// Guarantee: the same seed gives the same bytes on every platform, because
// only the raw output of std::mt19937_64 is used (the std distributions are
// implementation-defined). Every message parses with hl7::message::parse; the
// generator does not check that itself (the benchmark does). Not a guarantee:
// clinical plausibility; names, ids and codes are synthetic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace radbridge::bench {

inline constexpr std::uint64_t default_corpus_seed = 0x7261646272696467ULL;  // "radbridg"

struct corpus_stats {
  std::size_t orm_o01 = 0;
  std::size_t adt = 0;  // A01, A04 and A08 together
  std::size_t oru_r01 = 0;
  std::size_t utf8 = 0;  // messages with MSH-18 = UNICODE UTF-8
  std::size_t bytes = 0;
};

std::vector<std::string> make_hl7_corpus(std::size_t count, std::uint64_t seed = default_corpus_seed,
                                         corpus_stats* stats = nullptr);

}  // namespace radbridge::bench
