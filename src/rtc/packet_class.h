// Demultiplexing of the one UDP port that carries STUN, DTLS, RTP and RTCP (design.md §5 step 1):
// RFC 7983 §7 by the first byte, and RTP vs RTCP by the second (RFC 5761 §4).
#pragma once

#include <cstdint>
#include <span>

namespace throng::rtc {

enum class PacketClass { kStun, kDtls, kRtp, kRtcp, kUnknown };

// First byte 0-3 STUN, 20-63 DTLS, 128-191 RTP or RTCP (RTCP when the second byte, RTCP's packet
// type, is 192..223). A datagram shorter than its class's fixed header is kUnknown, as is anything
// else (ZRTP 16-19, TURN channels 64-79: throng speaks neither).
PacketClass classifyPacket(std::span<const std::uint8_t> datagram);

}  // namespace throng::rtc
