// Private to engine/core: writes log lines to standard error from a
// background thread, so the threads that log (the listener's I/O thread
// above all) never wait on a slow disk or a full pipe.
//
// `write_line` appends one whole line (ending in '\n') to a buffer; the
// writer thread writes whatever has gathered with one write(2) per batch,
// at most ~20 ms after the first line of a batch (sooner once 64 KiB are
// pending). Lines keep their order and are never split. Past 8 MiB pending
// (stderr blocked), new lines are dropped and counted, and a
// `log_lines_dropped count=N` line says so once writing resumes. Pending
// lines are written at exit (std::atexit); a process killed with SIGKILL
// loses at most the last ~20 ms of lines.
#pragma once

#include <string>

namespace radbridge::log {

bool write_line(std::string line);

}  // namespace radbridge::log
