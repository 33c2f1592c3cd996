// RTP header parsing, rewriting and extension lookup; see rtp.h.
#include "rtc/rtp.h"

#include "rtc/byte_order.h"

namespace throng::rtc {
namespace {

constexpr std::uint8_t kVersion = 2;
constexpr std::uint16_t kOneByteProfile = 0xBEDE;      // RFC 8285 §4.2
constexpr std::uint16_t kTwoByteProfileMask = 0xFFF0;  // 0x100X, the X being app bits, §4.3
constexpr std::uint16_t kTwoByteProfile = 0x1000;
constexpr std::uint8_t kOneByteStopId = 15;  // §4.2: stop parsing the extension

}  // namespace

std::optional<RtpHeader> parseRtp(std::span<const std::uint8_t> packet) {
  if (packet.size() < kRtpFixedHeaderSize) return std::nullopt;
  if ((packet[0] >> 6) != kVersion) return std::nullopt;
  RtpHeader h;
  const bool has_padding = (packet[0] & 0x20) != 0;
  h.has_extension = (packet[0] & 0x10) != 0;
  h.csrc_count = packet[0] & 0x0F;
  h.marker = (packet[1] & 0x80) != 0;
  h.payload_type = packet[1] & 0x7F;
  h.sequence = wire::readU16(packet, 2);
  h.timestamp = wire::readU32(packet, 4);
  h.ssrc = wire::readU32(packet, 8);

  std::size_t at = kRtpFixedHeaderSize + 4 * std::size_t{h.csrc_count};
  if (at > packet.size()) return std::nullopt;
  if (h.has_extension) {
    if (packet.size() - at < 4) return std::nullopt;
    h.extension_profile = wire::readU16(packet, at);
    h.extension_size = 4 * std::size_t{wire::readU16(packet, at + 2)};
    h.extension_offset = at + 4;
    if (h.extension_size > packet.size() - h.extension_offset) return std::nullopt;
    at = h.extension_offset + h.extension_size;
  }
  h.header_size = at;
  if (has_padding) {
    h.padding_size = packet.back();
    if (h.padding_size == 0 || h.padding_size > packet.size() - at) return std::nullopt;
  }
  h.payload_size = packet.size() - at - h.padding_size;
  return h;
}

void writeRtpHeader(std::span<std::uint8_t, kRtpFixedHeaderSize> out, const RtpHeaderFields& f) {
  out[0] = kVersion << 6;
  out[1] = static_cast<std::uint8_t>((f.marker ? 0x80 : 0) | (f.payload_type & 0x7F));
  wire::writeU16(out, 2, f.sequence);
  wire::writeU32(out, 4, f.timestamp);
  wire::writeU32(out, 8, f.ssrc);
}

void setRtpPayloadType(std::span<std::uint8_t> packet, std::uint8_t payload_type) {
  if (packet.size() < kRtpFixedHeaderSize) return;
  packet[1] = static_cast<std::uint8_t>((packet[1] & 0x80) | (payload_type & 0x7F));
}

void setRtpSequence(std::span<std::uint8_t> packet, std::uint16_t sequence) {
  if (packet.size() < kRtpFixedHeaderSize) return;
  wire::writeU16(packet, 2, sequence);
}

void setRtpSsrc(std::span<std::uint8_t> packet, std::uint32_t ssrc) {
  if (packet.size() < kRtpFixedHeaderSize) return;
  wire::writeU32(packet, 8, ssrc);
}

std::optional<std::span<const std::uint8_t>> findOneByteExtension(
    std::span<const std::uint8_t> packet, const RtpHeader& header, std::uint8_t id) {
  if (!header.has_extension || id == 0) return std::nullopt;
  if (header.extension_offset > packet.size() ||
      header.extension_size > packet.size() - header.extension_offset) {
    return std::nullopt;  // `header` does not describe `packet`
  }
  const auto data = packet.subspan(header.extension_offset, header.extension_size);
  const bool one_byte = header.extension_profile == kOneByteProfile;
  const bool two_byte = (header.extension_profile & kTwoByteProfileMask) == kTwoByteProfile;
  if (!one_byte && !two_byte) return std::nullopt;
  if (one_byte && id >= kOneByteStopId) return std::nullopt;

  std::size_t at = 0;
  while (at < data.size()) {
    if (data[at] == 0) {  // padding between elements (§4.1)
      ++at;
      continue;
    }
    std::uint8_t element_id = 0;
    std::size_t size = 0;
    if (one_byte) {
      element_id = data[at] >> 4;
      if (element_id == kOneByteStopId) return std::nullopt;
      size = std::size_t{data[at]} % 16 + 1;  // the length field is size - 1
      at += 1;
    } else {
      if (data.size() - at < 2) return std::nullopt;
      element_id = data[at];
      size = data[at + 1];
      at += 2;
    }
    if (size > data.size() - at) return std::nullopt;
    if (element_id == id) return data.subspan(at, size);
    at += size;
  }
  return std::nullopt;
}

bool sequenceNewer(std::uint16_t a, std::uint16_t b) {
  return a != b && static_cast<std::uint16_t>(a - b) < 0x8000;
}

std::int32_t sequenceDelta(std::uint16_t a, std::uint16_t b) {
  return static_cast<std::int16_t>(static_cast<std::uint16_t>(a - b));
}

}  // namespace throng::rtc
