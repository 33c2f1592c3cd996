#include "bench/talker_schedule.h"

#include <gtest/gtest.h>

#include <set>

namespace throng::bench {
namespace {

using namespace std::chrono_literals;

TEST(TalkerSchedule, CountIsRateTimesDuration) {
  EXPECT_EQ(TalkerSchedule(2, 50, 10s).total(), 500u);
  EXPECT_EQ(TalkerSchedule(2, 0.5, 3s).total(), 1u);
  EXPECT_EQ(TalkerSchedule(0, 50, 10s).total(), 0u);
  EXPECT_EQ(TalkerSchedule(2, 0, 10s).total(), 0u);
  EXPECT_EQ(TalkerSchedule(2, 50, 0s).total(), 0u);
}

TEST(TalkerSchedule, MessagesAreEvenlySpacedAndRoundRobin) {
  const TalkerSchedule s(3, 10, 1s);  // 10 messages, 100 ms apart, talkers 0 1 2 0 1 2 ...
  EXPECT_EQ(s.offsetOf(0), 0ms);
  EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(s.offsetOf(7)), 700ms);
  EXPECT_EQ(s.talkerOf(7), 1);
  EXPECT_EQ(s.countFor(0), 4u);  // 0 3 6 9
  EXPECT_EQ(s.countFor(1), 3u);  // 1 4 7
  EXPECT_EQ(s.countFor(2), 3u);  // 2 5 8
  EXPECT_EQ(s.nextFor(1, 2), 7u);
  EXPECT_FALSE(s.nextFor(1, 3));
  EXPECT_FALSE(s.nextFor(3, 0));
  // Every message belongs to exactly one talker.
  std::set<std::uint64_t> seen;
  for (int t = 0; t < 3; ++t) {
    for (std::uint64_t k = 0; auto i = s.nextFor(t, k); ++k) {
      EXPECT_EQ(s.talkerOf(*i), t);
      EXPECT_TRUE(seen.insert(*i).second);
    }
  }
  EXPECT_EQ(seen.size(), s.total());
}

}  // namespace
}  // namespace throng::bench
