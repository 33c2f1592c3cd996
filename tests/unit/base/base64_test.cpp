#include "base/base64.h"

#include <gtest/gtest.h>

#include <vector>

namespace throng {
namespace {

TEST(Base64, Rfc4648Section10Vectors) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64Encode(plain), encoded);
    const auto decoded = base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base64, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(base64Decode(base64Encode(all)), all);
  for (std::size_t n = 0; n <= 20; ++n) {
    const std::string chunk = all.substr(200, n);
    const std::string encoded = base64Encode(chunk);
    EXPECT_EQ(encoded.size(), (n + 2) / 3 * 4);
    EXPECT_EQ(base64Decode(encoded), chunk) << n;
  }
  EXPECT_EQ(base64Encode(std::string("\xFB\xFF", 2)), "+/8=");
}

TEST(Base64, RejectsInvalidInput) {
  for (const std::string text : {
           "Zg",        // length not a multiple of 4
           "Zg=",       //
           "Zm9vY",     //
           "====",      // only padding
           "Z===",      // three pad characters
           "=Zg=",      // padding first
           "Zm=v",      // padding in the middle of a quantum
           "Zg==Zg==",  // padding before the end
           "Zm9v====",  // a quantum of padding
           "Zh==",      // non-zero pad bits (RFC 4648 §3.5)
           "Zm9=",      //
           "Zm9v\n",    // whitespace is outside the alphabet
           " Zm9v",     //
           "Zm 9v",     //
           "Zm-v",      // base64url alphabet (§5), not this one
           "Zm_v",      //
           "Zm9v\xC3\xA9",
       }) {
    EXPECT_FALSE(base64Decode(text).has_value()) << text;
  }
  EXPECT_FALSE(base64Decode(std::string("Zm9\0", 4)).has_value());
}

}  // namespace
}  // namespace throng
