#include "bench/process_sampler.h"

#include <gtest/gtest.h>

namespace throng::bench {
namespace {

// A real line from /proc/<pid>/stat (proc(5)): utime 1200, stime 345, rss 5000 pages.
constexpr std::string_view kStat =
    "4242 (throng) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1200 345 0 0 20 0 3 0 100 "
    "500000000 5000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcStat, ParsesCpuAndRss) {
  auto stat = parseProcStat(kStat);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->cpu_ticks, 1545u);
  EXPECT_EQ(stat->rss_pages, 5000u);
}

TEST(ProcStat, CommandNameWithSpacesAndParentheses) {
  auto stat = parseProcStat(
      "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5 1000 30 0 0\n");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->cpu_ticks, 30u);
  EXPECT_EQ(stat->rss_pages, 30u);
}

TEST(ProcStat, MalformedIsNothing) {
  EXPECT_FALSE(parseProcStat(""));
  EXPECT_FALSE(parseProcStat("12 (x) S 1 2 3"));
  EXPECT_FALSE(parseProcStat("12 (x) S 1 2 3 4 5 6 7 8 9 x y 0 0 20 0 1 0 5 1000 30"));
}

TEST(ProcessSampler, SamplesItself) {
  ProcessSampler self(0);
  auto first = self.sample();
  ASSERT_TRUE(first);
  EXPECT_GT(first->rss_bytes, 0u);
  ASSERT_TRUE(self.sample());
  EXPECT_EQ(self.history().size(), 2u);
  EXPECT_GE(self.peakRssBytes(), first->rss_bytes);
}

TEST(ProcessSampler, GoneProcessIsNothing) {
  ProcessSampler none(1 << 29);  // above pid_max
  EXPECT_FALSE(none.sample());
}

}  // namespace
}  // namespace throng::bench
