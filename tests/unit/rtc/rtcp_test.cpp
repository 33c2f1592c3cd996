#include "rtc/rtcp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace throng::rtc {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::vector<RtcpPacketView> packetsOf(std::span<const std::uint8_t> compound, bool* ok = nullptr) {
  std::vector<RtcpPacketView> out;
  const bool result =
      forEachRtcpPacket(compound, [&](const RtcpPacketView& v) { out.push_back(v); });
  if (ok != nullptr) *ok = result;
  return out;
}

// What Chrome sends a forwarding server after a loss burst with reduced-size RTCP off: a receiver
// report, a NACK for 100, 101 and 103, a PLI and a REMB of 1 Mbit/s, in one compound.
const Bytes kChromeCompound = {
    // RR, RC=1, length 7: sender 0x11111111, block for 0xDEADBEEF
    0x81, 0xC9, 0x00, 0x07, 0x11, 0x11, 0x11, 0x11,  //
    0xDE, 0xAD, 0xBE, 0xEF, 0x0A, 0xFF, 0xFF, 0xFE,  // fraction 10, cumulative -2
    0x00, 0x01, 0x12, 0x34, 0x00, 0x00, 0x00, 0x20,  // highest 0x11234, jitter 32
    0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x10, 0x00,  // LSR, DLSR
    // RTPFB NACK, length 3: PID 100, BLP 0b101 (101 and 103)
    0x81, 0xCD, 0x00, 0x03, 0x11, 0x11, 0x11, 0x11, 0xDE, 0xAD, 0xBE, 0xEF,  //
    0x00, 0x64, 0x00, 0x05,                                                  //
    // PSFB PLI, length 2
    0x81, 0xCE, 0x00, 0x02, 0x11, 0x11, 0x11, 0x11, 0xDE, 0xAD, 0xBE, 0xEF,  //
    // PSFB REMB, length 5: 1 SSRC, exponent 2, mantissa 250000 = 1 000 000 bit/s
    0x8F, 0xCE, 0x00, 0x05, 0x11, 0x11, 0x11, 0x11, 0x00, 0x00, 0x00, 0x00,  //
    0x52, 0x45, 0x4D, 0x42, 0x01, 0x0B, 0xD0, 0x90, 0xDE, 0xAD, 0xBE, 0xEF,  //
};

TEST(Rtcp, WalksAndParsesAChromeCompound) {
  bool ok = false;
  const auto packets = packetsOf(kChromeCompound, &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(packets.size(), 4u);

  auto rr = parseReceiverReport(packets[0]);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc, 0x11111111u);
  ASSERT_EQ(rr->blocks.size(), 1u);
  EXPECT_EQ(rr->blocks[0].ssrc, 0xDEADBEEFu);
  EXPECT_EQ(rr->blocks[0].fraction_lost, 10);
  EXPECT_EQ(rr->blocks[0].cumulative_lost, -2);
  EXPECT_EQ(rr->blocks[0].highest_sequence, 0x11234u);
  EXPECT_EQ(rr->blocks[0].jitter, 32u);
  EXPECT_EQ(rr->blocks[0].last_sr, 0x12345678u);
  EXPECT_EQ(rr->blocks[0].delay_since_last_sr, 0x1000u);

  auto nack = parseNack(packets[1]);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->media_ssrc, 0xDEADBEEFu);
  EXPECT_EQ(nack->sequences, (std::vector<std::uint16_t>{100, 101, 103}));

  auto pli = parsePli(packets[2]);
  ASSERT_TRUE(pli);
  EXPECT_EQ(pli->sender_ssrc, 0x11111111u);
  EXPECT_EQ(pli->media_ssrc, 0xDEADBEEFu);

  auto remb = parseRemb(packets[3]);
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, 1'000'000u);
  EXPECT_EQ(remb->ssrcs, std::vector<std::uint32_t>{0xDEADBEEF});

  // Each parser refuses the other packets.
  EXPECT_FALSE(parseNack(packets[2]));
  EXPECT_FALSE(parsePli(packets[1]));
  EXPECT_FALSE(parsePli(packets[3]));
  EXPECT_FALSE(parseRemb(packets[2]));
  EXPECT_FALSE(parseFir(packets[2]));
  EXPECT_FALSE(parseSenderReport(packets[0]));
  EXPECT_FALSE(parseReceiverReport(packets[1]));
}

TEST(Rtcp, BuildersProduceWhatTheParsersRead) {
  std::string out;
  RtcpSenderReport sr{0x01020304, 0xE8D4A51000000000, 90000, 1000, 1'200'000, {}};
  sr.blocks.push_back({0xAABBCCDD, 3, -8388608, 70000, 5, 6, 7});
  appendSenderReport(out, sr);
  appendSdesCname(out, 0x01020304, "throng");
  appendReceiverReport(out, {0x05060708, {}});
  appendNack(out, {1, 2, {100, 101, 103, 116, 117, 200, 65535, 0}});
  appendPli(out, {1, 2});
  appendFir(out, {1, {{2, 7}, {3, 8}}});
  appendRemb(out, {1, 2'500'000, {2, 3}});

  bool ok = false;
  const auto packets = packetsOf(bytes(out), &ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(packets.size(), 7u);

  auto sr2 = parseSenderReport(packets[0]);
  ASSERT_TRUE(sr2);
  EXPECT_EQ(sr2->sender_ssrc, sr.sender_ssrc);
  EXPECT_EQ(sr2->ntp_time, sr.ntp_time);
  EXPECT_EQ(sr2->rtp_timestamp, 90000u);
  EXPECT_EQ(sr2->packet_count, 1000u);
  EXPECT_EQ(sr2->octet_count, 1'200'000u);
  ASSERT_EQ(sr2->blocks.size(), 1u);
  EXPECT_EQ(sr2->blocks[0].cumulative_lost, -8388608);
  EXPECT_EQ(sr2->blocks[0].highest_sequence, 70000u);

  EXPECT_EQ(packets[1].packet_type, kRtcpSdes);
  EXPECT_EQ(packets[1].packet.size() % 4, 0u);

  auto rr = parseReceiverReport(packets[2]);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->sender_ssrc, 0x05060708u);
  EXPECT_TRUE(rr->blocks.empty());

  auto nack = parseNack(packets[3]);
  ASSERT_TRUE(nack);
  // 100 covers 101, 103, 116; 117 starts a pair; 200; 65535 covers 0 across the wrap.
  EXPECT_EQ(nack->sequences, (std::vector<std::uint16_t>{100, 101, 103, 116, 117, 200, 65535, 0}));
  EXPECT_EQ(packets[3].packet.size(), 12u + 4 * 4);

  EXPECT_TRUE(parsePli(packets[4]));
  auto fir = parseFir(packets[5]);
  ASSERT_TRUE(fir);
  EXPECT_EQ(fir->entries, (std::vector<std::pair<std::uint32_t, std::uint8_t>>{{2, 7}, {3, 8}}));
  auto remb = parseRemb(packets[6]);
  ASSERT_TRUE(remb);
  EXPECT_EQ(remb->bitrate_bps, 2'500'000u);  // mantissa 156250, exponent 4
  EXPECT_EQ(remb->ssrcs, (std::vector<std::uint32_t>{2, 3}));
}

TEST(Rtcp, SdesCnameIsNullTerminatedAndWordAligned) {
  std::string out;
  appendSdesCname(out, 0x01020304, "abcd");  // 4 + 4 + 2 + 4 = 14, two nulls to 16
  ASSERT_EQ(out.size(), 16u);
  EXPECT_EQ(out[3], 3);  // length in words - 1
  EXPECT_EQ(out.substr(8, 2), std::string("\x01\x04", 2));
  EXPECT_EQ(out.substr(14), std::string(2, '\0'));
  std::string exact;
  appendSdesCname(exact, 1, "ab");  // 4 + 4 + 2 + 2 = 12: a whole word of nulls follows
  EXPECT_EQ(exact.size(), 16u);
}

TEST(Rtcp, RembExponentsSaturate) {
  Bytes remb = {0x8F, 0xCE, 0x00, 0x04, 0,    0,    0,    1,    0,   0, 0,
                0,    0x52, 0x45, 0x4D, 0x42, 0x00, 0xFF, 0xFF, 0xFF};  // exponent 63, mantissa max
  const auto packets = packetsOf(remb);
  ASSERT_EQ(packets.size(), 1u);
  auto parsed = parseRemb(packets[0]);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->bitrate_bps, std::numeric_limits<std::uint64_t>::max());
  remb[16] = 1;  // claims an SSRC that is not there
  EXPECT_FALSE(parseRemb(packetsOf(remb)[0]));
}

TEST(Rtcp, NackExpansionIsBounded) {
  // 3400 lost packets: the builder sends the first kRtcpMaxNackSequences, the parser keeps as
  // many.
  std::string out;
  RtcpNack many{1, 2, {}};
  for (int i = 0; i < 3400; ++i) many.sequences.push_back(static_cast<std::uint16_t>(i));
  appendNack(out, many);
  const auto packets = packetsOf(bytes(out));
  ASSERT_EQ(packets.size(), 1u);
  auto nack = parseNack(packets[0]);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->sequences.size(), kRtcpMaxNackSequences);

  std::string none;
  appendNack(none, {1, 2, {}});
  EXPECT_TRUE(none.empty());
}

TEST(Rtcp, RejectsMalformedCompoundsWithoutCallingBack) {
  auto reject = [](Bytes b) {
    int calls = 0;
    EXPECT_FALSE(forEachRtcpPacket(b, [&](const RtcpPacketView&) { ++calls; }));
    EXPECT_EQ(calls, 0);
  };
  reject({});
  Bytes version = kChromeCompound;
  version[0] = 0x41;
  reject(version);
  Bytes long_last = kChromeCompound;
  long_last[long_last.size() - 21] = 0x06;  // REMB's length runs past the buffer
  reject(long_last);
  Bytes truncated(kChromeCompound.begin(), kChromeCompound.end() - 2);
  reject(truncated);
  Bytes padded_first = kChromeCompound;
  padded_first[0] |= 0x20;  // padding only in the last packet
  reject(padded_first);
  Bytes trailing = kChromeCompound;
  trailing.push_back(0x80);
  reject(trailing);
}

TEST(Rtcp, PaddingOfTheLastPacketIsRemoved) {
  Bytes pli = {0xA1, 0xCE, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4};  // 4 bytes padding
  const auto packets = packetsOf(pli);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].packet.size(), 12u);
  EXPECT_TRUE(parsePli(packets[0]));
  pli.back() = 0;
  EXPECT_TRUE(packetsOf(pli).empty());
  pli.back() = 13;  // more than the packet after its header
  EXPECT_TRUE(packetsOf(pli).empty());
}

TEST(Rtcp, ReportCountsMustFit) {
  Bytes rr = {0x82, 0xC9, 0x00, 0x07, 0, 0, 0, 1};  // RC=2, one block's room
  rr.resize(32, 0);
  const auto packets = packetsOf(rr);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_FALSE(parseReceiverReport(packets[0]));
}

}  // namespace
}  // namespace throng::rtc
