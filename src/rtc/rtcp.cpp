// RTCP compound walking and the parsers of the packets throng acts on; see rtcp.h.
#include "rtc/rtcp.h"

#include "rtc/byte_order.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace throng::rtc {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t kHeaderSize = 4;           // V/P/count, PT, length (RFC 3550 §6.4.1)
constexpr std::size_t kReportBlockSize = 24;     // RFC 3550 §6.4.1
constexpr std::size_t kSenderInfoSize = 20;      // NTP, RTP timestamp, counts (§6.4.1)
constexpr std::size_t kFeedbackHeaderSize = 12;  // header + sender SSRC + media SSRC (RFC 4585)
constexpr std::size_t kFirEntrySize = 8;         // RFC 5104 §4.3.1.1
constexpr std::uint32_t kRembIdentifier = 0x52454D42;  // "REMB"

bool hasBlocks(Bytes packet, std::size_t start, std::size_t count) {
  return packet.size() >= start && (packet.size() - start) / kReportBlockSize >= count;
}

std::vector<RtcpReportBlock> readBlocks(Bytes packet, std::size_t at, std::size_t count) {
  std::vector<RtcpReportBlock> blocks(count);
  for (auto& b : blocks) {
    b.ssrc = wire::readU32(packet, at);
    b.fraction_lost = packet[at + 4];
    const std::uint32_t lost = wire::readU24(packet, at + 5);
    // 24-bit two's complement: sign-extend.
    b.cumulative_lost = static_cast<std::int32_t>(lost & 0x800000 ? lost | 0xFF000000 : lost);
    b.highest_sequence = wire::readU32(packet, at + 8);
    b.jitter = wire::readU32(packet, at + 12);
    b.last_sr = wire::readU32(packet, at + 16);
    b.delay_since_last_sr = wire::readU32(packet, at + 20);
    at += kReportBlockSize;
  }
  return blocks;
}

bool isFeedback(const RtcpPacketView& v, std::uint8_t type, std::uint8_t fmt) {
  return v.packet_type == type && v.count == fmt && v.packet.size() >= kFeedbackHeaderSize;
}

}  // namespace

namespace rtcp_detail {

std::size_t readPacket(std::span<const std::uint8_t> rest, RtcpPacketView& view) {
  if (rest.size() < kHeaderSize) return 0;
  if ((rest[0] >> 6) != 2) return 0;
  const std::size_t size = (std::size_t{wire::readU16(rest, 2)} + 1) * 4;  // length is words - 1
  if (size > rest.size()) return 0;
  std::size_t padding = 0;
  if ((rest[0] & 0x20) != 0) {
    // RFC 3550 §6.4.1: padding, counting its own last byte, only in the compound's last packet.
    if (size != rest.size()) return 0;
    padding = rest[size - 1];
    if (padding == 0 || padding > size - kHeaderSize) return 0;
  }
  view.packet_type = rest[1];
  view.count = rest[0] & 0x1F;
  view.packet = rest.first(size - padding);
  return size;
}

}  // namespace rtcp_detail

std::optional<RtcpReceiverReport> parseReceiverReport(const RtcpPacketView& v) {
  if (v.packet_type != kRtcpRr || !hasBlocks(v.packet, 8, v.count)) return std::nullopt;
  RtcpReceiverReport rr;
  rr.sender_ssrc = wire::readU32(v.packet, 4);
  rr.blocks = readBlocks(v.packet, 8, v.count);
  return rr;
}

std::optional<RtcpSenderReport> parseSenderReport(const RtcpPacketView& v) {
  constexpr std::size_t kBlocksAt = 8 + kSenderInfoSize;
  if (v.packet_type != kRtcpSr || !hasBlocks(v.packet, kBlocksAt, v.count)) return std::nullopt;
  RtcpSenderReport sr;
  sr.sender_ssrc = wire::readU32(v.packet, 4);
  sr.ntp_time = wire::readU64(v.packet, 8);
  sr.rtp_timestamp = wire::readU32(v.packet, 16);
  sr.packet_count = wire::readU32(v.packet, 20);
  sr.octet_count = wire::readU32(v.packet, 24);
  sr.blocks = readBlocks(v.packet, kBlocksAt, v.count);
  return sr;
}

std::optional<RtcpNack> parseNack(const RtcpPacketView& v) {
  if (!isFeedback(v, kRtcpRtpfb, kRtpfbNack)) return std::nullopt;
  RtcpNack nack;
  nack.sender_ssrc = wire::readU32(v.packet, 4);
  nack.media_ssrc = wire::readU32(v.packet, 8);
  // RFC 4585 §6.2.1: each FCI is a lost PID and a bitmask of the 16 packets after it.
  for (std::size_t at = kFeedbackHeaderSize; v.packet.size() - at >= 4; at += 4) {
    const std::uint16_t pid = wire::readU16(v.packet, at);
    const std::uint16_t blp = wire::readU16(v.packet, at + 2);
    if (nack.sequences.size() >= kRtcpMaxNackSequences) break;
    nack.sequences.push_back(pid);
    for (int bit = 0; bit < 16 && nack.sequences.size() < kRtcpMaxNackSequences; ++bit) {
      if ((blp >> bit) & 1) nack.sequences.push_back(static_cast<std::uint16_t>(pid + bit + 1));
    }
  }
  return nack;
}

std::optional<RtcpPli> parsePli(const RtcpPacketView& v) {
  if (!isFeedback(v, kRtcpPsfb, kPsfbPli)) return std::nullopt;
  return RtcpPli{wire::readU32(v.packet, 4), wire::readU32(v.packet, 8)};
}

std::optional<RtcpFir> parseFir(const RtcpPacketView& v) {
  if (!isFeedback(v, kRtcpPsfb, kPsfbFir)) return std::nullopt;
  RtcpFir fir;
  fir.sender_ssrc = wire::readU32(v.packet, 4);  // the media SSRC field is unused (§4.3.1.2)
  const std::size_t count =
      std::min((v.packet.size() - kFeedbackHeaderSize) / kFirEntrySize, kRtcpMaxFirEntries);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t at = kFeedbackHeaderSize + i * kFirEntrySize;
    fir.entries.emplace_back(wire::readU32(v.packet, at), v.packet[at + 4]);
  }
  return fir;
}

std::optional<RtcpRemb> parseRemb(const RtcpPacketView& v) {
  if (!isFeedback(v, kRtcpPsfb, kPsfbAfb) || v.packet.size() < kFeedbackHeaderSize + 8 ||
      wire::readU32(v.packet, kFeedbackHeaderSize) != kRembIdentifier) {
    return std::nullopt;
  }
  const Bytes p = v.packet;
  const std::size_t count = p[16];
  if ((p.size() - 20) / 4 < count) return std::nullopt;
  RtcpRemb remb;
  remb.sender_ssrc = wire::readU32(p, 4);
  const int exponent = p[17] >> 2;  // 6 bits
  const std::uint64_t mantissa = (std::uint64_t{p[17] & 0x03u} << 16) | wire::readU16(p, 18);
  remb.bitrate_bps = mantissa != 0 && std::countl_zero(mantissa) < exponent
                         ? std::numeric_limits<std::uint64_t>::max()
                         : mantissa << exponent;
  remb.ssrcs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) remb.ssrcs.push_back(wire::readU32(p, 20 + 4 * i));
  return remb;
}

}  // namespace throng::rtc
