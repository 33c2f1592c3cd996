// RTCP (design.md §5 step 5): compound packets (RFC 3550 §6.1), sender and receiver reports
// (§6.4), SDES CNAME (§6.5), generic NACK and PLI (RFC 4585 §6), FIR (RFC 5104 §4.3.1) and REMB
// (draft-alvestrand-rmcat-remb-03 §2). Parsers are views or small values; builders append.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace throng::rtc {

inline constexpr std::uint8_t kRtcpSr = 200, kRtcpRr = 201, kRtcpSdes = 202, kRtcpBye = 203,
                              kRtcpRtpfb = 205, kRtcpPsfb = 206;
// Feedback message types (the FMT field): RFC 4585 §6.2.1 / §6.3.1, RFC 5104 §4.3.1, REMB.
inline constexpr std::uint8_t kRtpfbNack = 1, kPsfbPli = 1, kPsfbFir = 4, kPsfbAfb = 15;

// Bounds on what a stranger's packet can make us allocate.
// A NACK naming more than this many packets asks for more than the ~2 s retransmission ring
// holds at typical rates; the rest is dropped (parse) or not sent (build).
inline constexpr std::size_t kRtcpMaxNackSequences = 1024;
// FIR entries: one per media sender the request targets; a viewer has a handful.
inline constexpr std::size_t kRtcpMaxFirEntries = 64;
// Report blocks: the 5-bit count field (RFC 3550 §6.4.1).
inline constexpr std::size_t kRtcpMaxReportBlocks = 31;

struct RtcpPacketView {
  std::uint8_t packet_type = 0;
  std::uint8_t count = 0;                // RC, SC or FMT field
  std::span<const std::uint8_t> packet;  // whole packet incl. 4-byte header, padding removed
};

namespace rtcp_detail {
// One packet at the front of `rest`: its size and view, or 0 when malformed (RFC 3550 §6.4.1,
// A.2: version 2, length within the buffer, padding only in the last packet and sane).
std::size_t readPacket(std::span<const std::uint8_t> rest, RtcpPacketView& view);
}  // namespace rtcp_detail

// Calls fn(const RtcpPacketView&) for each packet of a compound. The whole compound is checked
// first: when any packet is malformed, fn is not called and the result is false. No allocation.
// Reduced-size RTCP (RFC 5506) is accepted: the first packet need not be a report.
template <class Fn>
bool forEachRtcpPacket(std::span<const std::uint8_t> compound, Fn&& fn) {
  if (compound.empty()) return false;
  RtcpPacketView view;
  for (std::size_t at = 0; at < compound.size();) {
    const std::size_t size = rtcp_detail::readPacket(compound.subspan(at), view);
    if (size == 0) return false;
    at += size;
  }
  for (std::size_t at = 0; at < compound.size();) {
    at += rtcp_detail::readPacket(compound.subspan(at), view);
    fn(static_cast<const RtcpPacketView&>(view));
  }
  return true;
}

struct RtcpReportBlock {
  std::uint32_t ssrc = 0;
  std::uint8_t fraction_lost = 0;
  std::int32_t cumulative_lost = 0;  // signed 24-bit (RFC 3550 §6.4.1)
  std::uint32_t highest_sequence = 0;
  std::uint32_t jitter = 0;
  std::uint32_t last_sr = 0;
  std::uint32_t delay_since_last_sr = 0;
};
struct RtcpReceiverReport {
  std::uint32_t sender_ssrc = 0;
  std::vector<RtcpReportBlock> blocks;  // ≤ 31 blocks
};
struct RtcpSenderReport {
  std::uint32_t sender_ssrc = 0;
  std::uint64_t ntp_time = 0;
  std::uint32_t rtp_timestamp = 0;
  std::uint32_t packet_count = 0;
  std::uint32_t octet_count = 0;
  std::vector<RtcpReportBlock> blocks;  // ≤ 31 blocks
};
struct RtcpNack {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::vector<std::uint16_t> sequences;  // PID+BLP pairs expanded; ≤ kRtcpMaxNackSequences
};
struct RtcpPli {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
};
struct RtcpFir {
  std::uint32_t sender_ssrc = 0;
  std::vector<std::pair<std::uint32_t, std::uint8_t>> entries;  // (ssrc, command seq nr)
};
struct RtcpRemb {
  std::uint32_t sender_ssrc = 0;
  std::uint64_t bitrate_bps = 0;  // mantissa << exponent; saturates at UINT64_MAX
  std::vector<std::uint32_t> ssrcs;
};

std::optional<RtcpReceiverReport> parseReceiverReport(const RtcpPacketView&);
std::optional<RtcpSenderReport> parseSenderReport(const RtcpPacketView&);
std::optional<RtcpNack> parseNack(const RtcpPacketView&);  // RTPFB FMT 1
std::optional<RtcpPli> parsePli(const RtcpPacketView&);    // PSFB FMT 1
std::optional<RtcpFir> parseFir(const RtcpPacketView&);    // PSFB FMT 4
std::optional<RtcpRemb> parseRemb(const RtcpPacketView&);  // PSFB FMT 15 with "REMB"

// Builders append one packet to `out`, so a compound is built by successive calls. Lists longer
// than the bounds above are cut (report blocks at 31, NACK sequences, FIR entries, REMB SSRCs at
// 255, CNAME at 255 bytes).
void appendSenderReport(std::string& out, const RtcpSenderReport&);
void appendReceiverReport(std::string& out, const RtcpReceiverReport&);
void appendSdesCname(std::string& out, std::uint32_t ssrc, std::string_view cname);
// Packs the sequences into PID+BLP pairs: each pair covers a PID and the 16 that follow it. An
// empty list appends nothing (a NACK needs at least one pair, RFC 4585 §6.2.1).
void appendNack(std::string& out, const RtcpNack&);
void appendPli(std::string& out, const RtcpPli&);
void appendFir(std::string& out, const RtcpFir&);
void appendRemb(std::string& out, const RtcpRemb&);

}  // namespace throng::rtc
