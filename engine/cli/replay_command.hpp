// `radbridge replay --to HOST:PORT [options] PATH...`: sends HL7 v2 messages
// over MLLP (plain TCP or TLS), waits for each ACK and reports.
//
// Inputs are files and folders (folders recursively, files sorted by path,
// names starting with '.' skipped). A file holds one message, several
// messages (each starting at an MSH line; blank lines between them are
// fine), or a batch (FHS/BHS ... BTS/FTS); every message is parsed first, so
// a file that is not HL7 stops the run before anything is sent. What is sent
// is the parsed message's bytes: segments as written, LF and CRLF turned
// into CR, blank lines dropped; batch envelopes are not sent.
//
// Messages go over --connections N connections (default 1) that take the
// next unsent message from one shared, ordered list; each connection waits
// for the ACK of a message before sending the next (MLLP is synchronous).
// --rate caps the total send rate (a paced schedule, no bursts). --repeat K
// sends the whole list K times with the same bytes, so the receiver sees the
// same MSH-10 again (resends, to exercise dedupe); with --unique, repeat k>1
// sends MSH-10 as "ID-k" instead, so every message is new.
//
// When a connection is refused, reset or closed before the ACK, the
// connection reconnects with backoff (50 ms doubling to 1 s) and RESENDS the
// message that had no ACK, until --give-up-s seconds (default 60) have passed
// without a successful exchange on that connection; then that connection
// stops and its message counts as "none" (the other connections carry on
// with the rest). A timeout (--timeout-ms, default 10000, also used for
// connecting) or an unreadable answer counts the message as "none", with no
// resend: the peer is alive and has made its choice.
//
// Each ACK's MSA-1 is counted (AA AE AR CA CE CR; anything else, or no ACK,
// is "none"); an ACK whose MSA-2 is not the sent MSH-10 counts as
// "ack_mismatch" instead. The summary on `out`, one "name: value" per line:
// messages, the eight outcome counts (they add up to messages), resent,
// reconnects, elapsed_s, msgs_per_s and latency_ms p50/p95/p99 (send start to
// ACK, for a resent message from its last send). --ack-log FILE writes one
// line per message, in completion order: "CONTROL_ID CODE LATENCY_MS" (CODE
// one of the outcomes; latency "-" when there was no ACK). A progress line is
// drawn on standard error when it is a terminal (at most 10 times a second).
// Exit: 0 when every message got AA or CA, 1 otherwise or for unreadable or
// non-HL7 input (one line on `err`), 2 for bad usage.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>

namespace radbridge::cli {

int run_replay(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace radbridge::cli
