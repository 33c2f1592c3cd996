#include "base/token_bucket.h"

#include <gtest/gtest.h>

namespace throng {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, StartsFullAndRefillsAtRate) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(10.0, 5.0, t0);  // 10 tokens/s, burst 5
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.tryTake(1, t0));
  EXPECT_FALSE(bucket.tryTake(1, t0));
  EXPECT_FALSE(bucket.tryTake(1, t0 + 50ms));  // half a token
  EXPECT_TRUE(bucket.tryTake(1, t0 + 100ms));
  EXPECT_DOUBLE_EQ(bucket.available(t0 + 10s), 5.0);  // capped at burst
}

TEST(TokenBucket, ClockGoingBackwardsAddsNothing) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(1.0, 1.0, t0);
  EXPECT_TRUE(bucket.tryTake(1, t0));
  EXPECT_FALSE(bucket.tryTake(1, t0 - 10s));
  EXPECT_FALSE(bucket.tryTake(1, t0 + 500ms));
  EXPECT_TRUE(bucket.tryTake(1, t0 + 1s));
}

}  // namespace
}  // namespace throng
