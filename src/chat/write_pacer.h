// WritePacer: coalesces a worker's room fan-out writes (xmpp.fanout_flush_ms; see
// docs/life-of-a-stanza.md, "Coalescing").
//
// On loopback and on busy servers the cost of fan-out is the kernel's, per write: a room of
// N occupants at R messages/s costs N·R sendmsg calls, each a TCP segment and a wake-up of
// the reader, while throng's own fan-out loop is a small part. So a connection that has just
// written does not write again for each fan-out stanza: it starts a window when it writes,
// stanzas queued during the window wait, and at the window's end everything it gathered goes
// out in one writev. Under load each occupant gets one write per window carrying several
// stanzas; a connection whose window ends with nothing queued leaves the pacer, so the first
// stanza after a quiet period is written at once and low load sees no added latency.
//
// Windows are not timed per connection: the pacer keeps one timer for the worker and a wheel
// of kSlots slots, ticking every period / kSlots while any connection is listed; a tick ends
// the windows in one slot. A connection's window ends between period / 2 and period after it
// starts, at a phase of its own (from its address), so a room's occupants — who all receive
// the same stanza at the same moment — do not all write on the same tick: the kernel's and
// the readers' work is spread over the period instead of arriving as one burst. A stanza
// waits at most `period`; a connection pays for no timer and reads no clock per stanza.
//
// Threading: one pacer per worker; everything here runs on that worker.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

namespace throng::chat {

// A connection whose writes are paced (implemented by the TCP transport).
class PacedConnection {
 public:
  virtual ~PacedConnection() = default;
  // Its window is over. Either it writes what it has gathered and returns true (a new window
  // starts; it stays listed), or it has nothing to write now and returns false (it leaves the
  // list, and its next write is not held back).
  virtual bool onWindowEnd() = 0;
};

class WritePacer {
 public:
  static constexpr std::size_t kSlots = 8;  // ticks per period

  // `period`: the window, greater than zero. The timer runs on `executor` (the worker's).
  WritePacer(boost::asio::any_io_executor executor, std::chrono::milliseconds period);

  // `connection` wrote and was not listed: list it until its window ends. The pacer holds a
  // reference until then, so a connection that ends meanwhile is released when its slot comes.
  void startWindow(std::shared_ptr<PacedConnection> connection);
  // Ends the windows of the current slot and moves to the next. The timer calls it every
  // period / kSlots; tests may call it by hand (kSlots calls make one period).
  void tick();
  // Cancels the timer and releases every listed connection (on the worker, or once it has
  // stopped).
  void stop();

  std::size_t listed() const;
  std::chrono::milliseconds period() const { return period_; }

 private:
  void arm();
  void place(std::shared_ptr<PacedConnection> connection);

  const std::chrono::milliseconds period_;
  boost::asio::steady_timer timer_;
  std::array<std::vector<std::shared_ptr<PacedConnection>>, kSlots> slots_;
  std::size_t cursor_ = 0;  // the slot the next tick ends
  std::vector<std::shared_ptr<PacedConnection>> ending_;  // tick()'s scratch, kept for its capacity
  bool armed_ = false;
};

}  // namespace throng::chat
