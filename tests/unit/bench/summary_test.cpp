#include "bench/summary.h"

#include <gtest/gtest.h>

#include <vector>

namespace throng::bench {
namespace {

TEST(Percentile, EmptyIsZero) {
  std::vector<double> none;
  EXPECT_EQ(percentile(none, 50), 0);
}

TEST(Percentile, NearestRankOfTen) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile(v, 10), 1);   // ceil(0.1 * 10) = rank 1
  EXPECT_EQ(percentile(v, 11), 2);   // ceil(1.1) = rank 2
  EXPECT_EQ(percentile(v, 50), 5);   // rank 5, not the interpolated 5.5
  EXPECT_EQ(percentile(v, 90), 9);
  EXPECT_EQ(percentile(v, 99), 10);  // ceil(9.9) = rank 10
  EXPECT_EQ(percentile(v, 100), 10);
}

TEST(Percentile, OneSampleIsEveryPercentile) {
  const std::vector<double> v = {42};
  EXPECT_EQ(percentile(v, 1), 42);
  EXPECT_EQ(percentile(v, 50), 42);
  EXPECT_EQ(percentile(v, 99.9), 42);
}

TEST(Percentile, TailOfAThousand) {
  std::vector<double> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(i);
  EXPECT_EQ(percentile(v, 99), 990);
  EXPECT_EQ(percentile(v, 99.9), 999);
  EXPECT_EQ(percentile(v, 99.95), 1000);
}

TEST(Summarize, EmptyIsAllZero) {
  const Summary s = summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99, 0);
  EXPECT_EQ(s.max, 0);
}

TEST(Summarize, SortsUnorderedSamples) {
  const Summary s = summarize({30, 10, 50, 20, 40});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.min, 10);
  EXPECT_EQ(s.max, 50);
  EXPECT_DOUBLE_EQ(s.mean, 30);
  EXPECT_EQ(s.p50, 30);  // ceil(2.5) = rank 3
  EXPECT_EQ(s.p90, 50);  // ceil(4.5) = rank 5
  EXPECT_EQ(s.p99, 50);
}

TEST(Summarize, OneSlowOutlierShowsOnlyInTheTail) {
  std::vector<double> v(99, 1.0);
  v.push_back(500);
  const Summary s = summarize(v);
  EXPECT_EQ(s.p50, 1);
  EXPECT_EQ(s.p90, 1);
  EXPECT_EQ(s.p99, 1);  // rank 99 of 100
  EXPECT_EQ(s.max, 500);
  EXPECT_DOUBLE_EQ(s.mean, (99.0 + 500.0) / 100.0);
}

}  // namespace
}  // namespace throng::bench
