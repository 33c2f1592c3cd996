#include "base/result.h"

#include <gtest/gtest.h>

namespace throng {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return makeError("odd");
  return n / 2;
}

TEST(Result, CarriesValueOrError) {
  auto good = half(4);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "odd");
  Status status = makeError("nope");
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Status().ok());
}

}  // namespace
}  // namespace throng
