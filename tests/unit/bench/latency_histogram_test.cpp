#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

namespace throng::bench {
namespace {

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentileMillis(99), 0);
  EXPECT_EQ(h.maxMillis(), 0);
  EXPECT_EQ(h.meanMillis(), 0);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int us = 1; us <= 50; ++us) h.recordMicros(us);
  EXPECT_EQ(h.count(), 50u);
  EXPECT_DOUBLE_EQ(h.percentileMillis(50), 0.025);  // 25th of 50 samples: 25 µs
  EXPECT_DOUBLE_EQ(h.percentileMillis(100), 0.050);
  EXPECT_DOUBLE_EQ(h.minMillis(), 0.001);
  EXPECT_DOUBLE_EQ(h.meanMillis(), 0.0255);
}

TEST(LatencyHistogram, LargeValuesWithinOneBucket) {
  LatencyHistogram h;
  // 1,000 samples from 1 ms to 1 s.
  for (int i = 1; i <= 1000; ++i) h.recordMicros(i * 1000);
  const double p99 = h.percentileMillis(99);  // the 990th sample: 990 ms
  EXPECT_GE(p99, 990.0);
  EXPECT_LE(p99, 990.0 * (1 + 1.0 / 64));
  EXPECT_DOUBLE_EQ(h.maxMillis(), 1000.0);
  EXPECT_LE(h.percentileMillis(99.99), 1000.0);  // capped at the true max
}

TEST(LatencyHistogram, NegativeCountsAsZeroAndMergeAdds) {
  LatencyHistogram a, b;
  a.recordMicros(-5);
  b.recordMicros(2000);
  b.recordMicros(3000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.minMillis(), 0);
  EXPECT_DOUBLE_EQ(a.maxMillis(), 3.0);
  EXPECT_GE(a.percentileMillis(50), 2.0);
  EXPECT_LT(a.percentileMillis(50), 2.1);
}

TEST(LatencyHistogram, HugeValuesDoNotOverflow) {
  LatencyHistogram h;
  h.recordMicros(std::int64_t{1} << 60);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_GT(h.percentileMillis(50), 0);
}

}  // namespace
}  // namespace throng::bench
