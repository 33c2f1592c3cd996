// RFC 7983 §7 demultiplexing; see packet_class.h.
#include "rtc/packet_class.h"

#include <cstddef>

namespace throng::rtc {
namespace {

// The shortest datagram each class can be: shorter ones are dropped before any parser sees them.
constexpr std::size_t kStunHeaderSize = 20;        // RFC 8489 §5
constexpr std::size_t kDtlsRecordHeaderSize = 13;  // RFC 6347 §4.1
constexpr std::size_t kRtpHeaderSize = 12;         // RFC 3550 §5.1
constexpr std::size_t kRtcpMinSize = 8;            // header + the sender's SSRC, RFC 3550 §6.4

}  // namespace

PacketClass classifyPacket(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return PacketClass::kUnknown;
  const std::uint8_t first = datagram[0];
  if (first <= 3) {
    return datagram.size() >= kStunHeaderSize ? PacketClass::kStun : PacketClass::kUnknown;
  }
  if (first >= 20 && first <= 63) {
    return datagram.size() >= kDtlsRecordHeaderSize ? PacketClass::kDtls : PacketClass::kUnknown;
  }
  if (first >= 128 && first <= 191) {
    if (datagram.size() < 2) return PacketClass::kUnknown;
    // RFC 5761 §4: RTCP packet types 192-223 never collide with RTP payload types 0-95 whatever
    // the marker bit, which is why payload types 64-95 are not used with rtcp-mux.
    const std::uint8_t second = datagram[1];
    if (second >= 192 && second <= 223) {
      return datagram.size() >= kRtcpMinSize ? PacketClass::kRtcp : PacketClass::kUnknown;
    }
    return datagram.size() >= kRtpHeaderSize ? PacketClass::kRtp : PacketClass::kUnknown;
  }
  return PacketClass::kUnknown;
}

}  // namespace throng::rtc
