#include "chat/write_pacer.h"

#include <cassert>
#include <utility>

namespace throng::chat {

WritePacer::WritePacer(boost::asio::any_io_executor executor, std::chrono::milliseconds period)
    : period_(period), timer_(std::move(executor)) {
  assert(period_ > std::chrono::milliseconds::zero());
}

void WritePacer::startWindow(std::shared_ptr<PacedConnection> connection) {
  listed_.push_back(std::move(connection));
  arm();
}

void WritePacer::arm() {
  if (armed_ || listed_.empty()) return;
  armed_ = true;
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // stop(): the pacer may be going away
    armed_ = false;
    tick();
  });
}

void WritePacer::tick() {
  // Connections that write in onWindowEnd() stay; one that starts a window from inside another's
  // (an error ending a stream that touches others) lands in listed_, not in the list walked.
  std::swap(listed_, ending_);
  for (auto& connection : ending_) {
    if (connection->onWindowEnd()) listed_.push_back(std::move(connection));
  }
  ending_.clear();  // the references of those that left; capacity kept
  arm();
}

void WritePacer::stop() {
  timer_.cancel();
  armed_ = false;
  listed_.clear();
  ending_.clear();
}

}  // namespace throng::chat
