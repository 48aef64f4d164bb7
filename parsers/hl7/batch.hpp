// HL7 v2 batch files: FHS, BHS, messages, BTS, FTS.
//
// `parse_batch` splits a batch file into its messages (each parsed in full by
// message::parse) and keeps the envelope segments (FHS, BHS, BTS, FTS) as a
// message of their own, so header values are read with the ordinary path
// grammar: `envelope.value("BHS-9")`, `envelope.raw(BTS-1)`. FHS and BHS are
// optional, but present ones must come in order; BTS-1 and FTS-1, when
// given, must equal the number of messages in the batch and of batches in
// the file. Any violation is `bad_batch`; an error inside a message is
// reported with offsets into the whole file.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "hl7/message.hpp"

namespace radbridge::hl7 {

struct batch {
  std::optional<message> envelope;  // absent when the file has no FHS/BHS
  std::vector<message> messages;
};

// True when the bytes start (after blank lines) with FHS or BHS.
bool looks_like_batch(std::string_view bytes) noexcept;

result<batch> parse_batch(std::string_view bytes, const limits& lim = {});

}  // namespace radbridge::hl7
