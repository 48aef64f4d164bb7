// Operating the queues: `radbridge requeue`, `dead-letters` and `audit`.
//
//   radbridge requeue [--db CONNINFO] [--destination NAME] [--id N]...
// puts dead letters back on their lanes (all of them, one destination's, or
// the given outbound ids), attempts reset; prints how many.
//
//   radbridge dead-letters [--db CONNINFO] [--destination NAME] [--limit N]
// lists dead letters, oldest first (at most N, default 100): id,
// destination, output, identity, attempts, when queued, the last error.
//
//   radbridge audit [--db CONNINFO] STUDY_KEY
// prints what happened to a study (an accession number or a Study Instance
// UID): each job with the message that started it, its route, mode, status,
// acuity and error; each inference (study and series UIDs, model, version,
// sha256, step timings, findings); each outbound message (destination,
// output, identity, status, attempts, last error); then what the
// radiologists said (store/feedback_store.hpp), replaced verdicts marked.
//
// The database comes from --db, else RADBRIDGE_DB. Exit 1 (one line) when the
// database cannot be reached or audit finds no job for the key; 2 on usage.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_requeue(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int run_dead_letters(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int run_audit(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
