// The hostile corpus (tests/hostile/cases/): inputs a hostile or broken peer
// sends to an MLLP listener, each with the one outcome the listener owes it.
//
// A case is NAME.expect plus its input: NAME.frame (a payload; the runner
// wraps it in one MLLP frame), NAME.stream (bytes written to the socket as
// they are, framing included), or `generate=NAME` in the .expect for inputs
// too large to commit (generators are in hostile_case.cpp, one function per
// name). The .expect holds `#` comment lines (what the case is) and
// whitespace-separated key=value pairs:
//   ack=AE|AR|CE|CR err3=CODE|none locator=LOC|none [msa2=TEXT] [count=N]
//       an ACK with that MSA-1, ERR-3.1 and ERR-2 (written as a locator such
//       as PID-3[2].1, MSH[2]-1, NTE[2]-3; `none`: no ERR / no ERR-2),
//       MSA-2 read back (unescaped) as TEXT when given (empty allowed), N
//       times in a row;
//   reply=none            nothing is answered and the connection stays open;
//   close=frame_too_large|timeout   the listener closes without an ACK;
//   discarded=N           the listener counts exactly N discarded bytes;
//   generate=NAME         the input comes from a generator.
// In values, \xNN stands for the byte NN. See README.md ("Hostile corpus").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace radbridge::test::hostile {

enum class reply_kind { nak, none, close };

struct expectation {
  reply_kind kind = reply_kind::none;
  std::string ack;                          // MSA-1
  std::string err3;                         // ERR-3.1, or "none"
  std::string locator;                      // ERR-2 as a locator, or "none"
  std::optional<std::string> msa2;          // MSA-2's value
  std::size_t count = 1;                    // the same answer, this many times
  std::string close;                        // frame_too_large or timeout
  std::optional<std::uint64_t> discarded;   // bytes the listener discards
};

struct hostile_case {
  std::string name;
  std::string description;  // the comment lines
  std::string bytes;        // written to the socket, framing included
  expectation expect;
};

// Every case of `folder` in name order. Throws std::runtime_error naming the
// file (and line) of a malformed .expect, an input that is missing or given
// twice, an unknown generator, or an input file without its .expect.
std::vector<hostile_case> load_corpus(const std::filesystem::path& folder, std::size_t max_frame_bytes);

// The stream of generated case `name` (framing included) for a listener
// whose max_frame_bytes is `max_frame_bytes`; nullopt for an unknown name.
std::optional<std::string> generate(std::string_view name, std::size_t max_frame_bytes);

}  // namespace radbridge::test::hostile
