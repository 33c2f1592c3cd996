// The room word filter: what a pattern list matches, and every reason a list is refused.
#include "chat/muc/word_filter.h"

#include <gtest/gtest.h>

#include <chrono>

namespace throng::chat::muc {
namespace {

std::shared_ptr<const WordFilter> compiled(const std::vector<std::string>& patterns,
                                           const WordFilterLimits& limits = {}) {
  auto filter = WordFilter::compile(patterns, limits);
  EXPECT_TRUE(filter.ok()) << (filter.ok() ? "" : filter.error().message);
  return filter.ok() ? *filter : nullptr;
}

std::string refusal(const std::vector<std::string>& patterns, const WordFilterLimits& limits = {}) {
  auto filter = WordFilter::compile(patterns, limits);
  EXPECT_FALSE(filter.ok());
  return filter.ok() ? "" : filter.error().message;
}

TEST(WordFilter, MatchesAnywhereAndReportsTheFirstPatternByIndex) {
  auto filter = compiled({"spam", "buy now", "\\bfree\\s+money\\b"});
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->match("no spam here"), 0u);
  EXPECT_EQ(filter->match("please BUY NOW"), 1u);
  EXPECT_EQ(filter->match("get Free   Money today"), 2u);
  EXPECT_EQ(filter->match("freemoney"), std::nullopt);  // \s+ needs a space
  EXPECT_EQ(filter->match("hello world"), std::nullopt);
  EXPECT_EQ(filter->match(""), std::nullopt);
  // Several match: the lowest index wins, whatever the order in the body.
  EXPECT_EQ(filter->match("buy now, spam"), 0u);
  EXPECT_EQ(filter->patterns(),
            (std::vector<std::string>{"spam", "buy now", "\\bfree\\s+money\\b"}));
}

TEST(WordFilter, IsCaseInsensitiveOverUnicodeUnlessThePatternSaysOtherwise) {
  auto filter = compiled({"ärger", "(?-i:SHOUT)", "σίσυφος"});
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->match("so ein ÄRGER"), 0u);
  EXPECT_EQ(filter->match("SHOUT"), 1u);
  EXPECT_EQ(filter->match("shout"), std::nullopt);
  EXPECT_EQ(filter->match("ΣΊΣΥΦΟΣ"), 2u);
}

TEST(WordFilter, WordBoundariesAnchorsAndDotFollowRe2) {
  auto filter = compiled({"\\bass\\b", "^!cmd", "a.b"});
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->match("first class"), std::nullopt);
  EXPECT_EQ(filter->match("an ass."), 0u);
  EXPECT_EQ(filter->match("!cmd run"), 1u);
  EXPECT_EQ(filter->match("say !cmd"), std::nullopt);
  EXPECT_EQ(filter->match("aéb"), 2u);  // '.' is one code point, not one byte
  EXPECT_EQ(filter->match("a\nb"), std::nullopt);
}

TEST(WordFilter, AnEmptyListMatchesNothing) {
  auto filter = compiled({});
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter->empty());
  EXPECT_EQ(filter->match("anything"), std::nullopt);
}

TEST(WordFilter, InvalidUtf8BodiesAreMatchedWithoutFailing) {
  auto filter = compiled({"bad"});
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->match(std::string("\xff\xfe bad \xc0", 8)), 0u);
  EXPECT_EQ(filter->match(std::string("\xff\xfe\x00\xc0", 4)), std::nullopt);
}

TEST(WordFilter, RefusesTooManyPatterns) {
  WordFilterLimits limits;
  limits.max_patterns = 3;
  EXPECT_TRUE(compiled({"a", "b", "c"}, limits));
  const auto message = refusal({"a", "b", "c", "d"}, limits);
  EXPECT_NE(message.find("pattern 3"), std::string::npos) << message;
  EXPECT_NE(message.find("too many"), std::string::npos) << message;
}

TEST(WordFilter, RefusesEmptyLongAndNonUtf8Patterns) {
  auto empty = refusal({"ok", ""});
  EXPECT_NE(empty.find("pattern 1: empty"), std::string::npos) << empty;

  WordFilterLimits limits;
  limits.max_pattern_bytes = 10;
  EXPECT_TRUE(compiled({std::string(10, 'x')}, limits));
  auto long_one = refusal({"ok", "fine", std::string(11, 'x')}, limits);
  EXPECT_NE(long_one.find("pattern 2: longer than 10 bytes"), std::string::npos) << long_one;

  auto not_utf8 = refusal({"caf\xe9"});
  EXPECT_NE(not_utf8.find("pattern 0: not valid UTF-8"), std::string::npos) << not_utf8;
}

TEST(WordFilter, RefusesInvalidSyntaxWithRe2sReason) {
  auto unclosed = refusal({"fine", "(abc"});
  EXPECT_NE(unclosed.find("pattern 1: invalid syntax"), std::string::npos) << unclosed;
  EXPECT_NE(unclosed.find("missing )"), std::string::npos) << unclosed;
  // Backreferences and lookaround are not RE2 syntax (they are what makes matching slow).
  auto backref = refusal({"(a)\\1"});
  EXPECT_NE(backref.find("pattern 0: invalid syntax"), std::string::npos) << backref;
  auto lookahead = refusal({"a(?=b)"});
  EXPECT_NE(lookahead.find("pattern 0: invalid syntax"), std::string::npos) << lookahead;
}

TEST(WordFilter, RefusesPathologicalPatterns) {
  // Nested counted repetition: RE2 refuses it while parsing.
  auto nested = refusal({"ok", "(a{1000}){1000}"});
  EXPECT_NE(nested.find("pattern 1:"), std::string::npos) << nested;
  // Legal, but compiles to a program far over the bound.
  auto big = refusal({"[^x]{500}"});
  EXPECT_NE(big.find("pattern 0: too complex"), std::string::npos) << big;
  // The bound is the limit given: the same pattern passes a looser one.
  WordFilterLimits loose;
  loose.max_program_size = 1 << 20;
  loose.max_memory_bytes = 64 << 20;
  EXPECT_TRUE(compiled({"[^x]{500}"}, loose));
  // A memory budget too small for the pattern is refused as too large.
  WordFilterLimits tight;
  tight.max_memory_bytes = 1024;
  auto too_large = refusal({"(abc|def|ghi|jkl){50}"}, tight);
  EXPECT_NE(too_large.find("pattern 0: too"), std::string::npos) << too_large;
}

TEST(WordFilter, MatchingTimeIsLinearInTheBody) {
  // The classic catastrophic-backtracking pattern and body; a backtracking engine takes
  // exponential time here, RE2 a single pass.
  auto filter = compiled({"(a+)+$", "(x|xx)+y"});
  ASSERT_TRUE(filter);
  const std::string body = std::string(100000, 'a') + "!" + std::string(100000, 'x');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(filter->match(body), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(WordFilter, BoundsTheTotalProgramSize) {
  // Each pattern is small; together they pass the budget, and the error names the first
  // pattern that takes the total over.
  std::vector<std::string> patterns;
  for (int i = 0; i < 20; ++i) patterns.push_back("w" + std::to_string(i) + "[a-z]{10}x");
  WordFilterLimits limits;
  limits.max_total_program_size = 100;
  const auto message = refusal(patterns, limits);
  EXPECT_NE(message.find("too complex together"), std::string::npos) << message;
  EXPECT_EQ(message.find("pattern 0:"), std::string::npos) << message;
  limits.max_total_program_size = 100000;
  EXPECT_TRUE(compiled(patterns, limits));
}

TEST(WordFilter, AFullListAnswersEveryBody) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 100; ++i)
    patterns.push_back("w" + std::to_string(i) + "[a-z]{3}(foo|bar)\\d{2}");
  auto filter = compiled(patterns);
  ASSERT_TRUE(filter);
  EXPECT_EQ(filter->match("xx w57abcbar12 yy"), 57u);
  EXPECT_EQ(filter->match("xx w57abcbar1 yy"), std::nullopt);
  std::string noise;
  for (int i = 0; i < 5000; ++i) noise += "w" + std::to_string(i % 100) + "abc";
  EXPECT_EQ(filter->match(noise + " W99ZZZFOO00"), 99u);
}

}  // namespace
}  // namespace throng::chat::muc
