// PacketRing: the last `kCapacity` packets of one track, by sequence number, so that a NACK
// (RFC 4585 §6.2.1) is answered from memory. 2048 slots hold about 2 s of a 5 Mbps stream in
// 1200-byte packets; older packets are simply overwritten. The ring holds references: the bytes
// exist once however many workers keep a ring.
#pragma once

#include "rtc/media_packet.h"

#include <array>
#include <cstdint>

namespace throng::rtc {

class PacketRing {
 public:
  static constexpr std::size_t kCapacity = 2048;  // a power of two divides 2^16 evenly

  void store(MediaPacketRef packet) {
    auto& slot = slots_[packet->sequence % kCapacity];
    slot = std::move(packet);
  }

  // The packet with this sequence number, or null when it is older than the ring.
  const MediaPacket* find(std::uint16_t sequence) const {
    const auto& slot = slots_[sequence % kCapacity];
    return slot && slot->sequence == sequence ? slot.get() : nullptr;
  }

 private:
  std::array<MediaPacketRef, kCapacity> slots_;
};

}  // namespace throng::rtc
