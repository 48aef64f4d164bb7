// Delivery into a folder, for receivers that pick files up (and for demos):
// the payload becomes `{folder}/{identity}.{ext}`, ext by type: hl7 (ORU,
// ADT), json (Observation), dcm (SR).
//
// The file appears whole or not at all: the bytes go to a hidden temporary
// file in the same folder (".{name}.tmp-PID-N", created exclusively, so
// never through a link), are fsynced, renamed over the name, and the folder
// is fsynced. Files get `file_mode` (0640 by default) whatever the umask; a
// folder the sender creates gets the same bits plus search where reading is
// allowed (0750). A file already there with the same bytes is left alone
// and counts as sent (a resend is harmless); one with other bytes is
// replaced (the latest build of that result wins) and the detail says so.
//
// What is already at the name is looked at without following a symbolic
// link and without opening anything but a regular file (a FIFO never
// blocks a lane); it is refused, permanently, when it is not a regular file
// ("NAME is a symbolic link; refusing it", "... a FIFO ...", "... a folder
// ...") or is larger than `max_existing_bytes` ("NAME is N bytes, over the
// limit of M; refusing to read or replace it"). An operator removes it and
// requeues the dead letter.
//
// Outcomes: written or already there → sent; an identity that cannot be a
// file name (empty, ".", "..", or holding '/' or NUL, or starting with '.')
// or a refused existing file → rejected; any I/O error → retry, with the
// path and the errno text ("folder /out: cannot create the folder: Not a
// directory"). `response` is empty. Not provided: owners, cleaning up
// temporary files a crash left behind (they are hidden).
//
// Thread-safe: concurrent sends of different identities are fine; two
// concurrent sends of one identity each write their own temporary file.
#pragma once

#include <cstdint>
#include <filesystem>

#include "deliver/sender.hpp"

namespace radbridge::deliver {

struct folder_options {
  unsigned file_mode = 0640;  // permission bits of the files written
  std::uintmax_t max_existing_bytes = std::uintmax_t{64} << 20;
};

class folder_sender final : public sender {
 public:
  // Throws std::invalid_argument for an empty path, or a file mode with bits
  // outside 0777.
  explicit folder_sender(std::filesystem::path folder, folder_options options = {});

  attempt_outcome send(const outbound_item& item) override;

  // "hl7", "json" or "dcm".
  static std::string_view extension(work::output_kind type) noexcept;

 private:
  std::filesystem::path folder_;
  folder_options options_;
};

}  // namespace radbridge::deliver
