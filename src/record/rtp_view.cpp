// Parses the RTP fixed header, CSRC list, header extension and padding (rtp_view.h).
#include "record/rtp_view.h"

namespace throng::record {

std::optional<RtpView> parseRtpView(std::span<const std::uint8_t> packet) {
  constexpr std::size_t kFixed = 12;
  if (packet.size() < kFixed || packet[0] >> 6 != 2) return std::nullopt;
  const bool padding = (packet[0] & 0x20) != 0;
  const bool extension = (packet[0] & 0x10) != 0;
  std::size_t header = kFixed + 4 * static_cast<std::size_t>(packet[0] & 0x0f);  // CSRCs
  if (extension) {
    // RFC 3550 §5.3.1: 16 bits profile-defined, 16 bits length in 32-bit words.
    if (packet.size() < header + 4) return std::nullopt;
    header += 4 + 4 * static_cast<std::size_t>(packet[header + 2] << 8 | packet[header + 3]);
  }
  if (packet.size() < header) return std::nullopt;
  std::size_t end = packet.size();
  if (padding) {
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
    const std::size_t pad = packet.back();
    if (pad == 0 || pad > end - header) return std::nullopt;
    end -= pad;
  }
  RtpView v;
  v.marker = (packet[1] & 0x80) != 0;
  v.payload_type = packet[1] & 0x7f;
  v.sequence = static_cast<std::uint16_t>(packet[2] << 8 | packet[3]);
  v.timestamp = static_cast<std::uint32_t>(packet[4]) << 24 |
                static_cast<std::uint32_t>(packet[5]) << 16 |
                static_cast<std::uint32_t>(packet[6]) << 8 | packet[7];
  v.ssrc = static_cast<std::uint32_t>(packet[8]) << 24 |
           static_cast<std::uint32_t>(packet[9]) << 16 |
           static_cast<std::uint32_t>(packet[10]) << 8 | packet[11];
  v.payload = packet.subspan(header, end - header);
  return v;
}

}  // namespace throng::record
