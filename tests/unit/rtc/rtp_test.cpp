#include "rtc/rtp.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace throng::rtc {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A VP8 packet as Chrome sends it: marker, PT 96, one-byte extensions abs-send-time (id 2,
// 3 bytes), transport-wide sequence number (id 4, 2 bytes) and mid (id 9, "0"), one padding
// byte to the word boundary, then 4 bytes of payload.
const Bytes kChromePacket = {
    0x90, 0xE0, 0x12, 0x34,  // V=2 X=1, M=1 PT=96, seq 0x1234
    0x00, 0x01, 0xE2, 0x40,  // timestamp 123456
    0xDE, 0xAD, 0xBE, 0xEF,  // SSRC
    0xBE, 0xDE, 0x00, 0x03,  // one-byte profile, 3 words
    0x22, 0x0A, 0xBC, 0xDE,  // id 2 len 3: 0a bc de
    0x41, 0x00, 0x07,        // id 4 len 2: 00 07
    0x90, 0x30,              // id 9 len 1: "0"
    0x00, 0x00, 0x00,        // padding
    0x10, 0x02, 0x00, 0x9D,  // payload
};

TEST(Rtp, ParsesAChromePacketWithOneByteExtensions) {
  auto h = parseRtp(kChromePacket);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->marker);
  EXPECT_EQ(h->payload_type, 96);
  EXPECT_EQ(h->sequence, 0x1234);
  EXPECT_EQ(h->timestamp, 123456u);
  EXPECT_EQ(h->ssrc, 0xDEADBEEFu);
  EXPECT_EQ(h->csrc_count, 0);
  EXPECT_TRUE(h->has_extension);
  EXPECT_EQ(h->extension_profile, 0xBEDE);
  EXPECT_EQ(h->extension_offset, 16u);
  EXPECT_EQ(h->extension_size, 12u);
  EXPECT_EQ(h->header_size, 28u);
  EXPECT_EQ(h->payload_size, 4u);
  EXPECT_EQ(h->padding_size, 0u);

  auto abs_send_time = findOneByteExtension(kChromePacket, *h, 2);
  ASSERT_TRUE(abs_send_time);
  EXPECT_EQ(Bytes(abs_send_time->begin(), abs_send_time->end()), (Bytes{0x0A, 0xBC, 0xDE}));
  auto twcc = findOneByteExtension(kChromePacket, *h, 4);
  ASSERT_TRUE(twcc);
  EXPECT_EQ(Bytes(twcc->begin(), twcc->end()), (Bytes{0x00, 0x07}));
  auto mid = findOneByteExtension(kChromePacket, *h, 9);
  ASSERT_TRUE(mid);
  EXPECT_EQ(Bytes(mid->begin(), mid->end()), (Bytes{'0'}));
  EXPECT_FALSE(findOneByteExtension(kChromePacket, *h, 3));
  EXPECT_FALSE(findOneByteExtension(kChromePacket, *h, 15));
  EXPECT_FALSE(findOneByteExtension(kChromePacket, *h, 0));
}

TEST(Rtp, ReadsTwoByteExtensions) {
  const Bytes packet = {
      0x90, 0x60, 0x00, 0x01, 0,    0, 0, 1, 0, 0, 0, 2,  //
      0x10, 0x00, 0x00, 0x02,                             // two-byte profile, 2 words
      0x01, 0x00,                                         // id 1, empty
      0x00,                                               // padding
      0x20, 0x03, 0xAA, 0xBB, 0xCC,                       // id 32, 3 bytes
      0x55,                                               // payload
  };
  auto h = parseRtp(packet);
  ASSERT_TRUE(h);
  auto empty = findOneByteExtension(packet, *h, 1);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto value = findOneByteExtension(packet, *h, 32);
  ASSERT_TRUE(value);
  EXPECT_EQ(Bytes(value->begin(), value->end()), (Bytes{0xAA, 0xBB, 0xCC}));
  EXPECT_EQ(h->payload_size, 1u);
}

TEST(Rtp, StopsAtIdFifteenAndAtElementsOverrunningTheExtension) {
  Bytes stop = kChromePacket;
  stop[20] = 0xF0;  // id 15 before id 4: parsing stops (RFC 8285 §4.2)
  auto h = parseRtp(stop);
  ASSERT_TRUE(h);
  EXPECT_TRUE(findOneByteExtension(stop, *h, 2));
  EXPECT_FALSE(findOneByteExtension(stop, *h, 4));

  Bytes overrun = kChromePacket;
  overrun[23] = 0x9F;  // id 9 claims 16 bytes
  h = parseRtp(overrun);
  ASSERT_TRUE(h);
  EXPECT_FALSE(findOneByteExtension(overrun, *h, 9));
}

TEST(Rtp, HandlesCsrcsAndPadding) {
  Bytes packet = {0xA2, 0x6F, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7,  // P=1, CC=2, PT 111
                  0,    0,    0, 1, 0, 0, 0, 2,              // CSRCs
                  0xAA, 0xBB, 0, 0, 3};                      // payload, 3 bytes of padding
  auto h = parseRtp(packet);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->csrc_count, 2);
  EXPECT_EQ(h->header_size, 20u);
  EXPECT_EQ(h->payload_size, 2u);
  EXPECT_EQ(h->padding_size, 3u);

  packet.back() = 0;  // a padding count of zero is invalid
  EXPECT_FALSE(parseRtp(packet));
  packet.back() = 6;  // more padding than there is after the header
  EXPECT_FALSE(parseRtp(packet));
  packet.back() = 5;  // exactly everything after the header
  EXPECT_TRUE(parseRtp(packet));
}

TEST(Rtp, RejectsShortAndForeignPackets) {
  for (std::size_t size = 0; size < 28; ++size) {
    EXPECT_FALSE(parseRtp(std::span(kChromePacket).first(size))) << size;
  }
  Bytes v1 = kChromePacket;
  v1[0] = 0x50;
  EXPECT_FALSE(parseRtp(v1));
  Bytes csrcs = kChromePacket;
  csrcs[0] = 0x8F;  // 15 CSRCs do not fit
  EXPECT_FALSE(parseRtp(csrcs));
}

TEST(Rtp, WritesAndRewritesHeaders) {
  std::array<std::uint8_t, kRtpFixedHeaderSize + 2> packet{};
  writeRtpHeader(std::span(packet).first<kRtpFixedHeaderSize>(),
                 {true, 96, 65535, 0xFFFFFFFF, 0x01020304});
  auto h = parseRtp(packet);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->marker);
  EXPECT_EQ(h->payload_type, 96);
  EXPECT_EQ(h->sequence, 65535);
  EXPECT_EQ(h->timestamp, 0xFFFFFFFFu);
  EXPECT_EQ(h->ssrc, 0x01020304u);
  EXPECT_FALSE(h->has_extension);
  EXPECT_EQ(h->payload_size, 2u);

  setRtpPayloadType(packet, 102);
  setRtpSequence(packet, 7);
  setRtpSsrc(packet, 42);
  h = parseRtp(packet);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->marker);  // kept
  EXPECT_EQ(h->payload_type, 102);
  EXPECT_EQ(h->sequence, 7);
  EXPECT_EQ(h->ssrc, 42u);
  EXPECT_EQ(h->timestamp, 0xFFFFFFFFu);
}

TEST(Rtp, SequenceArithmeticWraps) {
  EXPECT_TRUE(sequenceNewer(1, 0));
  EXPECT_FALSE(sequenceNewer(0, 1));
  EXPECT_FALSE(sequenceNewer(5, 5));
  EXPECT_TRUE(sequenceNewer(0, 65535));
  EXPECT_TRUE(sequenceNewer(10, 65000));
  EXPECT_FALSE(sequenceNewer(65000, 10));
  EXPECT_TRUE(sequenceNewer(0x7FFF, 0));
  EXPECT_FALSE(sequenceNewer(0x8000, 0));  // exactly half-way: not newer
  EXPECT_EQ(sequenceDelta(0, 65535), 1);
  EXPECT_EQ(sequenceDelta(65535, 0), -1);
  EXPECT_EQ(sequenceDelta(100, 90), 10);
}

}  // namespace
}  // namespace throng::rtc
