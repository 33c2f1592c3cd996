// ReorderBuffer: puts one track's RTP packets back in sequence order before they are
// depacketized. Packets arrive as the network delivered them; sequence numbers are extended
// past 16 bits (RFC 3550 §A.1) and a packet is held until the ones before it arrive or
// `window` later ones have, then released with a flag saying whether packets are missing before
// it. Late packets (older than one already released) and duplicates are dropped and counted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

namespace throng::record {

struct SequencedPacket {
  std::int64_t sequence = 0;  // extended
  std::vector<std::uint8_t> bytes;
  std::chrono::system_clock::time_point arrival;
  bool gap_before = false;  // packets between the previous one released and this are missing
};

class ReorderBuffer {
 public:
  // Precondition: window >= 1.
  explicit ReorderBuffer(std::size_t window) : window_(window) {}

  // Copies `rtp` (whose header carries `sequence`) in; appends what can now be released.
  void push(std::uint16_t sequence, std::span<const std::uint8_t> rtp,
            std::chrono::system_clock::time_point arrival, std::vector<SequencedPacket>& out);
  // Releases everything held, in order (at the end of the recording).
  void drain(std::vector<SequencedPacket>& out);

  std::uint64_t late() const { return late_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t restarts() const { return restarts_; }

 private:
  void release(std::map<std::int64_t, SequencedPacket>::iterator it,
               std::vector<SequencedPacket>& out);

  std::size_t window_;
  std::map<std::int64_t, SequencedPacket> held_;
  std::optional<std::int64_t> highest_;        // highest extended sequence seen
  std::optional<std::int64_t> last_released_;  // nothing at or below it is accepted again
  int far_behind_run_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t restarts_ = 0;
};

}  // namespace throng::record
