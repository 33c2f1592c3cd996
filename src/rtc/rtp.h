// RTP packets (RFC 3550 §5.1) and their header extensions (RFC 8285): a header view over bytes
// received, the fields a forwarder rewrites per viewer (design.md §5 step 4), and sequence
// arithmetic. Pure: no I/O, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace throng::rtc {

struct RtpHeader {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::uint8_t csrc_count = 0;
  bool has_extension = false;
  std::uint16_t extension_profile = 0;
  // The extension's data words (after its 4-byte header) within the packet.
  std::size_t extension_offset = 0, extension_size = 0;
  std::size_t header_size = 0;   // fixed header + CSRCs + extension
  std::size_t payload_size = 0;  // excludes padding
  std::size_t padding_size = 0;
};

// Version 2, CSRC list and extension within the packet, padding count (the last byte, counting
// itself) at least 1 and no larger than what follows the header (RFC 3550 §5.1, A.1).
std::optional<RtpHeader> parseRtp(std::span<const std::uint8_t> packet);

struct RtpHeaderFields {
  bool marker = false;
  std::uint8_t payload_type = 0;
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
};

inline constexpr std::size_t kRtpFixedHeaderSize = 12;

// Version 2, no padding, no CSRC, no extension.
void writeRtpHeader(std::span<std::uint8_t, kRtpFixedHeaderSize> out,
                    const RtpHeaderFields& fields);

// In-place rewrites of a packet that parseRtp accepted (at least 12 bytes; shorter is left alone).
void setRtpPayloadType(std::span<std::uint8_t> packet, std::uint8_t payload_type);  // keeps M
void setRtpSequence(std::span<std::uint8_t> packet, std::uint16_t sequence);
void setRtpSsrc(std::span<std::uint8_t> packet, std::uint32_t ssrc);

// The data of extension element `id` in a one-byte (profile 0xBEDE, ids 1-14, RFC 8285 §4.2) or
// two-byte (profile 0x100X, ids 1-255, §4.3) header extension; nothing if absent or malformed.
// `header` is parseRtp's result for `packet`.
std::optional<std::span<const std::uint8_t>> findOneByteExtension(
    std::span<const std::uint8_t> packet, const RtpHeader& header, std::uint8_t id);

// RFC 3550 Appendix A.1 sequence arithmetic, modulo 2^16.
// True when `a` comes after `b`: less than half the sequence space ahead of it.
bool sequenceNewer(std::uint16_t a, std::uint16_t b);
// How far `a` is ahead of `b` (negative: behind), in [-32768, 32767].
std::int32_t sequenceDelta(std::uint16_t a, std::uint16_t b);

}  // namespace throng::rtc
