#include "rtc/h264_profile.h"
#include "rtc/fmtp.h"

#include <gtest/gtest.h>

namespace throng::rtc {
namespace {

H264Profile profileOf(std::string_view hex) {
  auto id = parseH264ProfileLevelId(hex);
  EXPECT_TRUE(id) << hex;
  return id ? h264Profile(*id) : H264Profile::kOther;
}

TEST(Fmtp, FindsParametersWithoutCaseOrSpaces) {
  constexpr std::string_view fmtp =
      "level-asymmetry-allowed=1; Packetization-Mode = 1;profile-level-id=42e01f;flag";
  EXPECT_EQ(fmtpParameter(fmtp, "packetization-mode"), "1");
  EXPECT_EQ(fmtpParameter(fmtp, "PROFILE-LEVEL-ID"), "42e01f");
  EXPECT_EQ(fmtpParameter(fmtp, "level-asymmetry-allowed"), "1");
  EXPECT_FALSE(fmtpParameter(fmtp, "flag"));
  EXPECT_FALSE(fmtpParameter(fmtp, "apt"));
  EXPECT_FALSE(fmtpParameter("", "apt"));
  EXPECT_EQ(fmtpParameter("apt=96;apt=97", "apt"), "96");
}

TEST(H264Profile, ClassifiesByRfc6184Table5) {
  EXPECT_EQ(profileOf("42e01f"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(profileOf("42C01F"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(profileOf("42001f"), H264Profile::kBaseline);
  EXPECT_EQ(profileOf("4d001f"), H264Profile::kMain);
  EXPECT_EQ(profileOf("4d801f"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(profileOf("58c01f"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(profileOf("58801f"), H264Profile::kBaseline);
  EXPECT_EQ(profileOf("58001f"), H264Profile::kExtended);
  EXPECT_EQ(profileOf("64001f"), H264Profile::kHigh);
  EXPECT_EQ(profileOf("640c1f"), H264Profile::kConstrainedHigh);
  EXPECT_EQ(profileOf("f4001f"), H264Profile::kOther);
  EXPECT_FALSE(parseH264ProfileLevelId("42e01"));
  EXPECT_FALSE(parseH264ProfileLevelId("42e01g"));
  EXPECT_FALSE(parseH264ProfileLevelId("42e01f0"));
}

TEST(H264Profile, AcceptsModeOneBaselineOffers) {
  EXPECT_TRUE(h264FmtpAcceptsConstrainedBaseline(
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"));
  EXPECT_TRUE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=1;profile-level-id=42001f"));
  EXPECT_TRUE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=1"));  // 420010 by default
  EXPECT_FALSE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=0;profile-level-id=42e01f"));
  EXPECT_FALSE(h264FmtpAcceptsConstrainedBaseline("profile-level-id=42e01f"));  // mode 0
  EXPECT_FALSE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=1;profile-level-id=4d001f"));
  EXPECT_FALSE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=1;profile-level-id=64001f"));
  EXPECT_FALSE(h264FmtpAcceptsConstrainedBaseline("packetization-mode=1;profile-level-id=zz"));
  EXPECT_EQ(h264ProfileOfFmtp(""), H264Profile::kBaseline);
}

}  // namespace
}  // namespace throng::rtc
