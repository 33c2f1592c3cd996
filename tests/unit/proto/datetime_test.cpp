#include "proto/datetime.h"

#include <gtest/gtest.h>

namespace throng::proto {
namespace {

using namespace std::chrono;

TEST(XmppDateTime, FormatsUtcWithMilliseconds) {
  const auto t = sys_days(year(2026) / 11 / 21) + hours(9) + minutes(30) + milliseconds(250);
  EXPECT_EQ(formatXmppDateTime(time_point_cast<system_clock::duration>(t)),
            "2026-11-21T09:30:00.250Z");
}

TEST(XmppDateTime, ParsesZonesAndFractions) {
  const auto utc = parseXmppDateTime("2026-11-21T09:30:00Z");
  ASSERT_TRUE(utc);
  EXPECT_EQ(parseXmppDateTime("2026-11-21T10:30:00+01:00"), utc);
  EXPECT_EQ(parseXmppDateTime("2026-11-21T04:00:00-05:30"), utc);
  const auto frac = parseXmppDateTime("2026-11-21T09:30:00.123456Z");
  ASSERT_TRUE(frac);
  EXPECT_EQ(duration_cast<milliseconds>(*frac - *utc).count(), 123);
}

TEST(XmppDateTime, RoundTrips) {
  const auto now = time_point_cast<milliseconds>(system_clock::now());
  EXPECT_EQ(parseXmppDateTime(formatXmppDateTime(now)), now);
}

TEST(XmppDateTime, RefusesMalformed) {
  for (const char* bad : {"", "2026-11-21", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-11-21T24:00:00Z", "2026-11-21T09:60:00Z", "2026-11-21T09:30:00",
                          "2026-11-21T09:30:00.Z", "2026-11-21T09:30:00Zjunk",
                          "2026-11-21T09:30:00+1:00", "2026-11-21 09:30:00Z", "２０２６-11-21T00:00:00Z"}) {
    EXPECT_FALSE(parseXmppDateTime(bad)) << bad;
  }
}

}  // namespace
}  // namespace throng::proto
