// The listeners' event loop: runs an io_context on the calling thread like
// io_context::run(), optionally busy-polling before it sleeps.
//
// With `spin` > 0, whenever nothing is ready the loop keeps looking (a
// non-blocking poll, one epoll_wait with no timeout each time) for up to
// `spin` before it blocks in the kernel, but only while `may_spin()` says so.
// The engine's rule (spin_pays): exactly one connection is sending, back
// to back. A single feed's messages wait on one round trip after another
// (its frame, the commit, its ACK, its next frame), and each wake-up of a
// sleeping loop adds to every one of them; where a sleeping CPU wakes
// slowly (a virtual machine halts it) that is tens of microseconds a
// wake-up. With many senders group commit shares the waits, the loop is
// rarely dry, and a spin would take CPU from PostgreSQL on a machine with
// few cores. A paced feed's next frame comes long after its ACK, so a spin
// would only burn CPU: the rule wants both of the sender's last two
// turnarounds (its verdict to its next row) within half the spin.
// Costs CPU: up to `spin` each time the loop runs dry while it may spin;
// nothing once the sender slows down or has been quiet for 20 ms.
// With `spin` 0 the loop is io.run().
// Returns, as run() does, when the io_context runs out of work or is
// stopped.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include <boost/asio/io_context.hpp>

namespace radbridge::ingest {

// The engine's `may_spin`: `sole_turnaround` (group_committer::
// sole_sender_turnaround) is at most half the spin, so the sender's next
// frame is likely to come within it.
bool spin_pays(std::optional<std::chrono::steady_clock::duration> sole_turnaround, std::chrono::microseconds spin);

void run_busy_polling(boost::asio::io_context& io, std::chrono::microseconds spin,
                      const std::function<bool()>& may_spin);

}  // namespace radbridge::ingest
