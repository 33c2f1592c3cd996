#include "base/utf8.h"

#include <gtest/gtest.h>

namespace throng {
namespace {

TEST(Utf8, AcceptsStrictUtf8AndCountsCodePoints) {
  EXPECT_EQ(utf8Length("abc"), 3u);
  EXPECT_EQ(utf8Length("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x8E\x89"), 9u);  // é € 🎉
  EXPECT_TRUE(isValidUtf8(""));
}

TEST(Utf8, RefusesOverlongsSurrogatesTruncationAndOutOfRange) {
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // U+D800 surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));              // lone continuation byte
}

TEST(Utf8, ControlCharactersAreRefusedWhereAsked) {
  EXPECT_TRUE(isUtf8WithoutControls("two words"));
  EXPECT_FALSE(isUtf8WithoutControls(std::string_view("a\0b", 3)));
  EXPECT_FALSE(isUtf8WithoutControls("tab\there"));
  EXPECT_FALSE(isUtf8WithoutControls("\x7F"));
  EXPECT_FALSE(isUtf8WithoutControls("\xC2\x85"));  // U+0085, C1
  EXPECT_TRUE(isValidUtf8("tab\there"));
}

}  // namespace
}  // namespace throng
