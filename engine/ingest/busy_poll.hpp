// The listeners' event loop: runs an io_context on the calling thread like
// io_context::run(), optionally busy-polling before it sleeps.
//
// With `spin` > 0, whenever nothing is ready the loop keeps looking (a
// non-blocking poll, one epoll_wait with no timeout each time) for up to
// `spin` before it blocks in the kernel, but only while `may_spin()` says so.
// The engine passes "exactly one connection is sending": a single feed's
// messages wait on one round trip after another (its frame, the commit, its
// ACK, its next frame), and each wake-up of a sleeping loop adds to every
// one of them; where a sleeping CPU wakes slowly (a virtual machine halts
// it) that is tens of microseconds a wake-up. With many senders group
// commit shares the waits, the loop is rarely dry, and a spin would take
// CPU from PostgreSQL on a machine with few cores.
// Costs CPU: up to `spin` each time the loop runs dry while it may spin;
// nothing once the sender has been quiet for 20 ms. It pays while one
// sender sends back to back (a backlog after an outage, a replay); at a
// paced rate the waits outlast the spin, and on a virtual machine the
// spinning CPU even made ACKs slower, so the engine's default is 0, which
// is io.run().
// Returns, as run() does, when the io_context runs out of work or is
// stopped.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace radbridge::ingest {

void run_busy_polling(boost::asio::io_context& io, std::chrono::microseconds spin,
                      const std::function<bool()>& may_spin);

}  // namespace radbridge::ingest
