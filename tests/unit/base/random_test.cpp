#include "base/random.h"

#include <gtest/gtest.h>

#include <set>

namespace throng {
namespace {

TEST(RandomHexToken, HasRequestedLengthAndDiffers) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = randomHexToken(16);
    ASSERT_EQ(token.size(), 32u);
    ASSERT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret1"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

}  // namespace
}  // namespace throng
