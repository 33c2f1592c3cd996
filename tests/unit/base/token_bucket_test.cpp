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

// Rates and times are powers of two so that the arithmetic is exact in binary.
TEST(TokenBucket, ChargeRunsIntoDebtThatTheRefillPaysBack) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(128.0, 64.0, t0);  // 128 tokens/s, burst 64
  bucket.charge(96, t0);                // 32 more than there were
  EXPECT_DOUBLE_EQ(bucket.available(t0), -32.0);
  EXPECT_FALSE(bucket.tryTake(1, t0 + 125ms));  // -32 + 16: still in debt
  EXPECT_EQ(bucket.timeUntil(0, t0 + 125ms), 125ms);
  EXPECT_EQ(bucket.timeUntil(0, t0 + 250ms), TokenBucket::Clock::duration::zero());
  EXPECT_TRUE(bucket.tryTake(1, t0 + 260ms));
}

TEST(TokenBucket, TimeUntilCapsAtTheBurst) {
  const auto t0 = TokenBucket::Clock::time_point{} + 1h;
  TokenBucket bucket(8.0, 4.0, t0);
  EXPECT_TRUE(bucket.tryTake(4, t0));
  EXPECT_EQ(bucket.timeUntil(2, t0), 250ms);
  EXPECT_EQ(bucket.timeUntil(1000, t0), 500ms);  // never more than a full bucket
}

}  // namespace
}  // namespace throng
