#include "chat/write_pacer.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <utility>

namespace throng::chat {

WritePacer::WritePacer(boost::asio::any_io_executor executor, std::chrono::milliseconds period)
    : period_(period), timer_(std::move(executor)) {
  assert(period_ > std::chrono::milliseconds::zero());
}

void WritePacer::startWindow(std::shared_ptr<PacedConnection> connection) {
  place(std::move(connection));
  arm();
}

// The slot `connection` waits in: between kSlots/2 and kSlots - 1 slots after the cursor, so
// its window ends after more than half a period and at most a period; which one comes from a
// hash of its address, a phase that stays the connection's own.
void WritePacer::place(std::shared_ptr<PacedConnection> connection) {
  const auto address = reinterpret_cast<std::uintptr_t>(connection.get());
  const auto mixed = static_cast<std::uint64_t>(address >> 4) * 0x9E3779B97F4A7C15ULL;
  const std::size_t offset = kSlots / 2 + static_cast<std::size_t>(mixed >> 61) % (kSlots / 2);
  slots_[(cursor_ + offset) % kSlots].push_back(std::move(connection));
}

std::size_t WritePacer::listed() const {
  std::size_t count = 0;
  for (const auto& slot : slots_) count += slot.size();
  return count;
}

void WritePacer::arm() {
  if (armed_ || listed() == 0) return;
  armed_ = true;
  timer_.expires_after(std::max<std::chrono::steady_clock::duration>(
      std::chrono::milliseconds(1), std::chrono::steady_clock::duration(period_) / kSlots));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // stop(): the pacer may be going away
    armed_ = false;
    tick();
  });
}

void WritePacer::tick() {
  // Connections that write in onWindowEnd() are placed again; one that starts a window from
  // inside another's (an error ending a stream that touches others) lands in a slot, not in
  // the list walked.
  std::swap(slots_[cursor_], ending_);
  cursor_ = (cursor_ + 1) % kSlots;
  for (auto& connection : ending_) {
    if (connection->onWindowEnd()) place(std::move(connection));
  }
  ending_.clear();  // the references of those that left; capacity kept
  arm();
}

void WritePacer::stop() {
  timer_.cancel();
  armed_ = false;
  for (auto& slot : slots_) slot.clear();
  ending_.clear();
}

}  // namespace throng::chat
