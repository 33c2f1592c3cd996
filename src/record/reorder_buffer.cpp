// Sequence-order release of one track's packets (reorder_buffer.h).
#include "record/reorder_buffer.h"

namespace throng::record {
namespace {

// A run of this many packets each more than kFarBehind behind what was released means the
// sender started numbering afresh (a restarted encoder), not that the network delayed them.
constexpr int kRestartRun = 16;
constexpr std::int64_t kFarBehind = 1000;

}  // namespace

void ReorderBuffer::push(std::uint16_t sequence, std::span<const std::uint8_t> rtp,
                         std::chrono::system_clock::time_point arrival,
                         std::vector<SequencedPacket>& out) {
  // RFC 3550 §A.1: the nearest extended number to the highest seen, within half the space.
  std::int64_t extended = sequence;
  if (highest_) {
    extended = *highest_ + static_cast<std::int16_t>(static_cast<std::uint16_t>(
                               sequence - static_cast<std::uint16_t>(*highest_)));
  }
  if (last_released_ && extended <= *last_released_) {
    ++late_;
    far_behind_run_ = extended < *last_released_ - kFarBehind ? far_behind_run_ + 1 : 0;
    if (far_behind_run_ < kRestartRun) return;
    // Numbering restarted: release what is held and start over from this packet.
    ++restarts_;
    drain(out);
    highest_.reset();
    last_released_.reset();
    far_behind_run_ = 0;
    extended = sequence;
  }
  far_behind_run_ = 0;
  if (held_.count(extended) != 0) {
    ++duplicates_;
    return;
  }
  if (!highest_ || extended > *highest_) highest_ = extended;
  SequencedPacket& p = held_[extended];
  p.sequence = extended;
  p.bytes.assign(rtp.begin(), rtp.end());
  p.arrival = arrival;

  // Release the run that continues what was released; past the window, give up on the gap.
  // The first packets wait for a full window too: the very first one may be late itself.
  while (!held_.empty()) {
    auto first = held_.begin();
    const bool next_in_line = last_released_ && first->first == *last_released_ + 1;
    if (!next_in_line && held_.size() <= window_) break;
    release(first, out);
  }
}

void ReorderBuffer::drain(std::vector<SequencedPacket>& out) {
  while (!held_.empty()) release(held_.begin(), out);
}

void ReorderBuffer::release(std::map<std::int64_t, SequencedPacket>::iterator it,
                            std::vector<SequencedPacket>& out) {
  SequencedPacket p = std::move(it->second);
  held_.erase(it);
  p.gap_before = last_released_ && p.sequence != *last_released_ + 1;
  last_released_ = p.sequence;
  out.push_back(std::move(p));
}

}  // namespace throng::record
