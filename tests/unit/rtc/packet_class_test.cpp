#include "rtc/packet_class.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace throng::rtc {
namespace {

PacketClass classify(std::uint8_t first, std::uint8_t second, std::size_t size) {
  std::vector<std::uint8_t> d(size, 0);
  if (size > 0) d[0] = first;
  if (size > 1) d[1] = second;
  return classifyPacket(d);
}

TEST(PacketClass, FollowsRfc7983) {
  EXPECT_EQ(classify(0x00, 0x01, 20), PacketClass::kStun);  // Binding request
  EXPECT_EQ(classify(0x01, 0x01, 20), PacketClass::kStun);  // Binding success
  EXPECT_EQ(classify(22, 0xFE, 13), PacketClass::kDtls);    // handshake record
  EXPECT_EQ(classify(23, 0xFE, 40), PacketClass::kDtls);    // application data
  EXPECT_EQ(classify(0x80, 96, 12), PacketClass::kRtp);
  EXPECT_EQ(classify(0x80, 96 | 0x80, 12), PacketClass::kRtp);  // marker set
  EXPECT_EQ(classify(0x80, 200, 28), PacketClass::kRtcp);       // SR
  EXPECT_EQ(classify(0x81, 201, 32), PacketClass::kRtcp);       // RR
  EXPECT_EQ(classify(0x8F, 206, 20), PacketClass::kRtcp);       // PSFB
  EXPECT_EQ(classify(0x80, 192, 8), PacketClass::kRtcp);        // lower edge (RFC 5761 §4)
  EXPECT_EQ(classify(0x80, 223, 8), PacketClass::kRtcp);        // upper edge
  EXPECT_EQ(classify(0x80, 224, 12), PacketClass::kRtp);        // PT 96 + marker, above RTCP
}

TEST(PacketClass, UnknownRangesAndShortDatagrams) {
  EXPECT_EQ(classifyPacket({}), PacketClass::kUnknown);
  EXPECT_EQ(classify(16, 0, 40), PacketClass::kUnknown);   // ZRTP
  EXPECT_EQ(classify(64, 0, 40), PacketClass::kUnknown);   // TURN channel
  EXPECT_EQ(classify(200, 0, 40), PacketClass::kUnknown);  // above RTP's range
  EXPECT_EQ(classify(0x00, 0x01, 19), PacketClass::kUnknown);
  EXPECT_EQ(classify(22, 0xFE, 12), PacketClass::kUnknown);
  EXPECT_EQ(classify(0x80, 96, 11), PacketClass::kUnknown);
  EXPECT_EQ(classify(0x80, 200, 7), PacketClass::kUnknown);
  EXPECT_EQ(classify(0x80, 0, 1), PacketClass::kUnknown);
}

}  // namespace
}  // namespace throng::rtc
