// The test picture: it moves, and its burned-in digits say the frame number and the time.
#include "media/test_pattern.h"

#include "ocr.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

namespace throng::media {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

// 2024-05-06 12:34:56.789 UTC.
const system_clock::time_point kWallClock{milliseconds(1'714'998'896'789)};

bool areaDiffers(const I420Frame& a, const I420Frame& b, TestPattern::Rect r) {
  for (int y = r.y; y < r.y + r.height; ++y) {
    for (int x = r.x; x < r.x + r.width; ++x) {
      const auto i = static_cast<std::size_t>(y * a.width + x);
      if (a.y[i] != b.y[i]) return true;
    }
  }
  return false;
}

TEST(TestPattern, DifferentFramesDifferAndDigitsChange) {
  TestPattern pattern(640, 360);
  I420Frame a;
  I420Frame b;
  pattern.render(a, 100, kWallClock);
  pattern.render(b, 101, kWallClock);
  ASSERT_EQ(a.y.size(), 640u * 360u);
  ASSERT_EQ(a.u.size(), 320u * 180u);
  EXPECT_NE(a.y, b.y);
  EXPECT_NE(a.u, b.u);  // the bars scroll
  EXPECT_TRUE(areaDiffers(a, b, pattern.frameCounterArea()));
  EXPECT_FALSE(areaDiffers(a, b, pattern.clockArea()));

  pattern.render(b, 100, kWallClock + milliseconds(1));
  EXPECT_FALSE(areaDiffers(a, b, pattern.frameCounterArea()));
  EXPECT_TRUE(areaDiffers(a, b, pattern.clockArea()));
}

TEST(TestPattern, DigitsReadBack) {
  for (auto [w, h] : {std::pair{640, 360}, std::pair{1280, 720}, std::pair{320, 240}}) {
    TestPattern pattern(w, h);
    I420Frame frame;
    pattern.render(frame, 1234567, kWallClock);
    const int s = pattern.textScale();
    EXPECT_EQ(testing::readText(frame.y.data(), w, pattern.frameCounterArea(), s, 8), "01234567")
        << w << "x" << h;
    EXPECT_EQ(testing::readText(frame.y.data(), w, pattern.clockArea(), s, 12), "12:34:56.789")
        << w << "x" << h;
  }
}

TEST(TestPattern, DigitsAreLargeEnoughToRead) {
  // A digit at least 20 px tall at 360p and 40 px at 720p.
  EXPECT_GE(TestPattern(640, 360).textScale() * kGlyphRows, 28);
  EXPECT_GE(TestPattern(1280, 720).textScale() * kGlyphRows, 56);
}

TEST(TestPattern, TinyAndHugePicturesRenderWithinBounds) {
  for (auto [w, h] : {std::pair{16, 16}, std::pair{3840, 2160}, std::pair{18, 2160}}) {
    TestPattern pattern(w, h);
    I420Frame frame;
    pattern.render(frame, 987654321, kWallClock);
    pattern.render(frame, 987654322, kWallClock);
    EXPECT_EQ(frame.y.size(), static_cast<std::size_t>(w * h));
  }
}

TEST(TestPattern, ReusesTheFrameBuffers) {
  TestPattern pattern(320, 240);
  I420Frame frame;
  pattern.render(frame, 1, kWallClock);
  const auto* y = frame.y.data();
  pattern.render(frame, 2, kWallClock);
  EXPECT_EQ(frame.y.data(), y);
}

}  // namespace
}  // namespace throng::media
