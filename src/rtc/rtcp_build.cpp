// RTCP builders: each appends one packet so that a compound is built by successive calls.
// See rtcp.h; layouts from RFC 3550 §6.4-6.5, RFC 4585 §6, RFC 5104 §4.3.1, REMB draft §2.
#include "rtc/byte_order.h"
#include "rtc/rtcp.h"

#include <algorithm>
#include <bit>

namespace throng::rtc {
namespace {

constexpr std::size_t kMaxRembSsrcs = 255;  // the 8-bit "Num SSRC" field
constexpr std::size_t kMaxCnameSize = 255;  // the 8-bit SDES item length (RFC 3550 §6.5)
constexpr int kRembMantissaBits = 18;

// Writes the common header with a zero length and returns where the packet starts.
std::size_t beginPacket(std::string& out, std::uint8_t count, std::uint8_t type) {
  const std::size_t start = out.size();
  wire::appendU8(out, static_cast<std::uint8_t>(0x80 | (count & 0x1F)));  // V=2, P=0
  wire::appendU8(out, type);
  wire::appendU16(out, 0);
  return start;
}

// The length field: the packet's size in 32-bit words minus one (RFC 3550 §6.4.1).
void endPacket(std::string& out, std::size_t start) {
  wire::patchU16(out, start + 2, static_cast<std::uint16_t>((out.size() - start) / 4 - 1));
}

void appendBlocks(std::string& out, const std::vector<RtcpReportBlock>& blocks, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const RtcpReportBlock& b = blocks[i];
    wire::appendU32(out, b.ssrc);
    wire::appendU8(out, b.fraction_lost);
    // Clamp to the signed 24-bit range (RFC 3550 §6.4.1 caps rather than wraps).
    const std::int32_t lost = std::clamp(b.cumulative_lost, -0x800000, 0x7FFFFF);
    wire::appendU24(out, static_cast<std::uint32_t>(lost) & 0xFFFFFF);
    wire::appendU32(out, b.highest_sequence);
    wire::appendU32(out, b.jitter);
    wire::appendU32(out, b.last_sr);
    wire::appendU32(out, b.delay_since_last_sr);
  }
}

void beginFeedback(std::string& out, std::size_t& start, std::uint8_t type, std::uint8_t fmt,
                   std::uint32_t sender, std::uint32_t media) {
  start = beginPacket(out, fmt, type);
  wire::appendU32(out, sender);
  wire::appendU32(out, media);
}

}  // namespace

void appendSenderReport(std::string& out, const RtcpSenderReport& sr) {
  const std::size_t count = std::min(sr.blocks.size(), kRtcpMaxReportBlocks);
  const std::size_t start = beginPacket(out, static_cast<std::uint8_t>(count), kRtcpSr);
  wire::appendU32(out, sr.sender_ssrc);
  wire::appendU64(out, sr.ntp_time);
  wire::appendU32(out, sr.rtp_timestamp);
  wire::appendU32(out, sr.packet_count);
  wire::appendU32(out, sr.octet_count);
  appendBlocks(out, sr.blocks, count);
  endPacket(out, start);
}

void appendReceiverReport(std::string& out, const RtcpReceiverReport& rr) {
  const std::size_t count = std::min(rr.blocks.size(), kRtcpMaxReportBlocks);
  const std::size_t start = beginPacket(out, static_cast<std::uint8_t>(count), kRtcpRr);
  wire::appendU32(out, rr.sender_ssrc);
  appendBlocks(out, rr.blocks, count);
  endPacket(out, start);
}

void appendSdesCname(std::string& out, std::uint32_t ssrc, std::string_view cname) {
  constexpr std::uint8_t kCnameItem = 1;
  cname = cname.substr(0, kMaxCnameSize);
  const std::size_t start = beginPacket(out, 1, kRtcpSdes);
  wire::appendU32(out, ssrc);
  wire::appendU8(out, kCnameItem);
  wire::appendU8(out, static_cast<std::uint8_t>(cname.size()));
  out.append(cname);
  // The item list ends with one to four null octets, reaching a 32-bit boundary (§6.5).
  const std::size_t used = out.size() - start;
  out.append(4 - used % 4, '\0');
  endPacket(out, start);
}

void appendNack(std::string& out, const RtcpNack& nack) {
  if (nack.sequences.empty()) return;
  std::size_t start = 0;
  beginFeedback(out, start, kRtcpRtpfb, kRtpfbNack, nack.sender_ssrc, nack.media_ssrc);
  const std::size_t count = std::min(nack.sequences.size(), kRtcpMaxNackSequences);
  std::uint16_t pid = nack.sequences[0];
  std::uint16_t blp = 0;
  for (std::size_t i = 1; i < count; ++i) {
    const std::uint16_t seq = nack.sequences[i];
    const auto offset = static_cast<std::uint16_t>(seq - pid);
    if (offset >= 1 && offset <= 16) {
      blp = static_cast<std::uint16_t>(blp | (1u << (offset - 1)));
      continue;
    }
    if (offset == 0) continue;  // a repeat of the PID
    wire::appendU16(out, pid);
    wire::appendU16(out, blp);
    pid = seq;
    blp = 0;
  }
  wire::appendU16(out, pid);
  wire::appendU16(out, blp);
  endPacket(out, start);
}

void appendPli(std::string& out, const RtcpPli& pli) {
  std::size_t start = 0;
  beginFeedback(out, start, kRtcpPsfb, kPsfbPli, pli.sender_ssrc, pli.media_ssrc);
  endPacket(out, start);
}

void appendFir(std::string& out, const RtcpFir& fir) {
  std::size_t start = 0;
  beginFeedback(out, start, kRtcpPsfb, kPsfbFir, fir.sender_ssrc, 0);  // media SSRC unused
  const std::size_t count = std::min(fir.entries.size(), kRtcpMaxFirEntries);
  for (std::size_t i = 0; i < count; ++i) {
    wire::appendU32(out, fir.entries[i].first);
    wire::appendU8(out, fir.entries[i].second);
    wire::appendU24(out, 0);  // reserved
  }
  endPacket(out, start);
}

void appendRemb(std::string& out, const RtcpRemb& remb) {
  std::size_t start = 0;
  beginFeedback(out, start, kRtcpPsfb, kPsfbAfb, remb.sender_ssrc, 0);  // media SSRC is 0
  wire::appendU32(out, 0x52454D42);                                     // "REMB"
  const std::size_t count = std::min(remb.ssrcs.size(), kMaxRembSsrcs);
  // The smallest exponent whose 18-bit mantissa holds the bitrate (rounding down).
  const int width = static_cast<int>(std::bit_width(remb.bitrate_bps));
  const int exponent = std::max(0, width - kRembMantissaBits);
  const std::uint64_t mantissa = remb.bitrate_bps >> exponent;
  wire::appendU8(out, static_cast<std::uint8_t>(count));
  wire::appendU8(out, static_cast<std::uint8_t>((exponent << 2) | (mantissa >> 16)));
  wire::appendU16(out, static_cast<std::uint16_t>(mantissa));
  for (std::size_t i = 0; i < count; ++i) wire::appendU32(out, remb.ssrcs[i]);
  endPacket(out, start);
}

}  // namespace throng::rtc
