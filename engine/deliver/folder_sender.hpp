// Delivery into a folder, for receivers that pick files up (and for demos):
// the payload becomes `{folder}/{identity}.{ext}`, ext by type: hl7 (ORU,
// ADT), json (Observation), dcm (SR).
//
// The file appears whole or not at all: the bytes go to a hidden temporary
// file in the same folder (".{name}.tmp-PID-N"), are fsynced, renamed over
// the name, and the folder is fsynced. The folder is created when missing. A
// file already there with the same bytes is left alone and counts as sent
// (a resend is harmless); one with other bytes is replaced (the latest
// build of that result wins) and the detail says so.
//
// Outcomes: written or already there → sent; an identity that cannot be a
// file name (empty, ".", "..", or holding '/' or NUL, or starting with '.')
// → rejected; any I/O error → retry, with the path and the errno text
// ("folder /out: cannot create the folder: Not a directory"). `response` is
// empty. Not provided: file modes other than 0644 less the umask, owners,
// cleaning up temporary files a crash left behind (they are hidden).
//
// Thread-safe: concurrent sends of different identities are fine; two
// concurrent sends of one identity each write their own temporary file.
#pragma once

#include <filesystem>

#include "deliver/sender.hpp"

namespace radbridge::deliver {

class folder_sender final : public sender {
 public:
  // Throws std::invalid_argument for an empty path.
  explicit folder_sender(std::filesystem::path folder);

  attempt_outcome send(const outbound_item& item) override;

  // "hl7", "json" or "dcm".
  static std::string_view extension(work::output_kind type) noexcept;

 private:
  std::filesystem::path folder_;
};

}  // namespace radbridge::deliver
