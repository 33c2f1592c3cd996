// parseRequestTarget and percentDecode: pure parsers, tested on literal targets (style.md rule 8).
#include "proto/request_target.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace throng::proto {
namespace {

using namespace std::string_view_literals;  // "\0"sv keeps the embedded NUL
using Query = std::vector<std::pair<std::string, std::string>>;

// The path of a target that must parse; fails the test (and returns "") otherwise.
std::string pathOf(std::string_view target) {
  auto parsed = parseRequestTarget(target);
  EXPECT_TRUE(parsed.has_value()) << "refused: " << target;
  return parsed ? parsed->path : std::string();
}

TEST(ParseRequestTarget, PlainPaths) {
  EXPECT_EQ(pathOf("/"), "/");
  EXPECT_EQ(pathOf("/index.html"), "/index.html");
  EXPECT_EQ(pathOf("/api/events/42"), "/api/events/42");
  EXPECT_EQ(pathOf("/api/events/"), "/api/events/");
  // Repeated slashes are kept as they are (documented in request_target.h).
  EXPECT_EQ(pathOf("//a//b"), "//a//b");
  // '+' is a literal in a path; only the query uses form encoding.
  EXPECT_EQ(pathOf("/a+b"), "/a+b");
}

TEST(ParseRequestTarget, PathWithoutQueryHasNoParams) {
  auto parsed = parseRequestTarget("/a/b");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->query.empty());
  EXPECT_FALSE(parsed->param("a"));
}

TEST(ParseRequestTarget, DecodesPercentEscapesInPath) {
  EXPECT_EQ(pathOf("/hello%20world"), "/hello world");
  EXPECT_EQ(pathOf("/%41%62c"), "/Abc");
  EXPECT_EQ(pathOf("/caf%C3%A9"), "/caf\xC3\xA9");
  // A single encoded dot is just a dot in a file name, not a segment of its own.
  EXPECT_EQ(pathOf("/a%2Ejs"), "/a.js");
}

TEST(ParseRequestTarget, RemovesDotSegments) {
  EXPECT_EQ(pathOf("/./a"), "/a");
  EXPECT_EQ(pathOf("/a/./b"), "/a/b");
  EXPECT_EQ(pathOf("/a/."), "/a/");
  EXPECT_EQ(pathOf("/a/%2e/b"), "/a/b");
  EXPECT_EQ(pathOf("/a/./././b"), "/a/b");
  // Dots inside a name are not dot segments.
  EXPECT_EQ(pathOf("/.well-known/x"), "/.well-known/x");
  EXPECT_EQ(pathOf("/a/.../b"), "/a/.../b");
  EXPECT_EQ(pathOf("/a/..b"), "/a/..b");
}

TEST(ParseRequestTarget, RefusesDotDotSegments) {
  EXPECT_FALSE(parseRequestTarget("/.."));
  EXPECT_FALSE(parseRequestTarget("/../etc/passwd"));
  EXPECT_FALSE(parseRequestTarget("/a/../b"));
  EXPECT_FALSE(parseRequestTarget("/a/.."));
  EXPECT_FALSE(parseRequestTarget("/a/../"));
  // Encoded, in either case and mixed with a raw dot.
  EXPECT_FALSE(parseRequestTarget("/%2e%2e/etc/passwd"));
  EXPECT_FALSE(parseRequestTarget("/a/%2E%2E/b"));
  EXPECT_FALSE(parseRequestTarget("/a/.%2e/b"));
  EXPECT_FALSE(parseRequestTarget("/a/%2e./b"));
}

TEST(ParseRequestTarget, RefusesEncodedSlashInPath) {
  EXPECT_FALSE(parseRequestTarget("/a%2Fb"));
  EXPECT_FALSE(parseRequestTarget("/a%2fb"));
  EXPECT_FALSE(parseRequestTarget("/..%2Fetc"));
  EXPECT_FALSE(parseRequestTarget("/%2F"));
}

TEST(ParseRequestTarget, RefusesNulAndControlCharacters) {
  EXPECT_FALSE(parseRequestTarget("/a\0b"sv));
  EXPECT_FALSE(parseRequestTarget("/a%00b"));
  EXPECT_FALSE(parseRequestTarget("/a%00"));
  EXPECT_FALSE(parseRequestTarget("/a\tb"));
  EXPECT_FALSE(parseRequestTarget("/a\x01"));
  EXPECT_FALSE(parseRequestTarget("/a\x7f"));
  EXPECT_FALSE(parseRequestTarget("/a%0d%0aSet-Cookie:x"));
  EXPECT_FALSE(parseRequestTarget("/a%1F"));
  EXPECT_FALSE(parseRequestTarget("/a%7F"));
  // In the query too.
  EXPECT_FALSE(parseRequestTarget("/a?q=%00"));
  EXPECT_FALSE(parseRequestTarget("/a?q=x\0y"sv));
  EXPECT_FALSE(parseRequestTarget("/a?%0a=1"));
}

TEST(ParseRequestTarget, RefusesBadEscapes) {
  EXPECT_FALSE(parseRequestTarget("/a%G1"));
  EXPECT_FALSE(parseRequestTarget("/a%1G"));
  EXPECT_FALSE(parseRequestTarget("/a%"));
  EXPECT_FALSE(parseRequestTarget("/a%4"));
  EXPECT_FALSE(parseRequestTarget("/a%4/b"));
  EXPECT_FALSE(parseRequestTarget("/a%%41"));
  EXPECT_FALSE(parseRequestTarget("/a?q=%"));
  EXPECT_FALSE(parseRequestTarget("/a?q=%zz"));
  EXPECT_FALSE(parseRequestTarget("/a?%4=1"));
}

TEST(ParseRequestTarget, RequiresOriginForm) {
  EXPECT_FALSE(parseRequestTarget(""));
  EXPECT_FALSE(parseRequestTarget("a/b"));
  EXPECT_FALSE(parseRequestTarget("index.html"));
  EXPECT_FALSE(parseRequestTarget("?a=1"));
  EXPECT_FALSE(parseRequestTarget("*"));                        // asterisk-form (OPTIONS)
  EXPECT_FALSE(parseRequestTarget("http://example.com/a"));     // absolute-form
  EXPECT_FALSE(parseRequestTarget("example.com:443"));          // authority-form (CONNECT)
}

TEST(ParseRequestTarget, RefusesFragment) {
  EXPECT_FALSE(parseRequestTarget("/a#top"));
  EXPECT_FALSE(parseRequestTarget("/#"));
  EXPECT_FALSE(parseRequestTarget("/a?x=1#frag"));
  // An encoded '#' is data, not a fragment.
  EXPECT_EQ(pathOf("/a%23b"), "/a#b");
}

TEST(ParseRequestTarget, DecodesQuery) {
  auto parsed = parseRequestTarget("/search?q=hello+world&tag=a%26b&x=%2Fy&empty=&flag");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path, "/search");
  const Query expected = {
      {"q", "hello world"}, {"tag", "a&b"}, {"x", "/y"}, {"empty", ""}, {"flag", ""}};
  EXPECT_EQ(parsed->query, expected);
}

TEST(ParseRequestTarget, QueryKeysAreDecodedAndValuesKeepLaterSeparators) {
  auto parsed = parseRequestTarget("/q?a+b=1&c%3Dd=2&e=f=g&h=i?j");
  ASSERT_TRUE(parsed);
  const Query expected = {{"a b", "1"}, {"c=d", "2"}, {"e", "f=g"}, {"h", "i?j"}};
  EXPECT_EQ(parsed->query, expected);
  // An encoded '+' stays a plus sign.
  auto plus = parseRequestTarget("/q?n=1%2B1");
  ASSERT_TRUE(plus);
  EXPECT_EQ(plus->param("n"), "1+1");
}

TEST(ParseRequestTarget, EmptyQueryAndEmptyPairsAreSkipped) {
  auto none = parseRequestTarget("/a?");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->path, "/a");
  EXPECT_TRUE(none->query.empty());

  auto parsed = parseRequestTarget("/a?&a=1&&b=2&");
  ASSERT_TRUE(parsed);
  const Query expected = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(parsed->query, expected);
}

TEST(ParseRequestTarget, LimitsParameterCount) {
  EXPECT_TRUE(parseRequestTarget("/a?x=1&y=2", 2));
  EXPECT_FALSE(parseRequestTarget("/a?x=1&y=2&z=3", 2));
  EXPECT_FALSE(parseRequestTarget("/a?x=1", 0));
  EXPECT_TRUE(parseRequestTarget("/a", 0));
  // Skipped empty pairs do not count against the limit.
  EXPECT_TRUE(parseRequestTarget("/a?x=1&&&&y=2&", 2));

  // The default allows 64.
  std::string target = "/a?";
  for (int i = 0; i < 64; ++i) target += "p" + std::to_string(i) + "=1&";
  EXPECT_TRUE(parseRequestTarget(target));
  target += "one=more";
  EXPECT_FALSE(parseRequestTarget(target));
}

TEST(RequestTargetParam, ReturnsTheFirstValue) {
  auto parsed = parseRequestTarget("/a?id=1&id=2&name=x");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->param("id"), "1");
  EXPECT_EQ(parsed->param("name"), "x");
  EXPECT_FALSE(parsed->param("missing"));
  EXPECT_FALSE(parsed->param("ID"));  // names are case-sensitive
  EXPECT_EQ(parsed->query.size(), 3u);
}

TEST(RequestTargetParam, DistinguishesEmptyFromMissing) {
  auto parsed = parseRequestTarget("/a?flag&v=");
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->param("flag"));
  EXPECT_EQ(*parsed->param("flag"), "");
  ASSERT_TRUE(parsed->param("v"));
  EXPECT_EQ(*parsed->param("v"), "");
}

TEST(PercentDecode, DecodesEscapes) {
  EXPECT_EQ(percentDecode("", false), "");
  EXPECT_EQ(percentDecode("plain", false), "plain");
  EXPECT_EQ(percentDecode("a%20b", false), "a b");
  EXPECT_EQ(percentDecode("%41", false), "A");  // an escape ending the input
  EXPECT_EQ(percentDecode("%4a%4A", false), "JJ");
  EXPECT_EQ(percentDecode("%E2%82%AC", false), "\xE2\x82\xAC");
  EXPECT_EQ(percentDecode("%FF", false), "\xFF");  // high bytes are not control characters
  EXPECT_EQ(percentDecode("%25", false), "%");
  EXPECT_EQ(percentDecode("%2541", false), "%41");  // decoded once, not twice
}

TEST(PercentDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(percentDecode("a+b", false), "a+b");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("%2B", true), "+");
  EXPECT_EQ(percentDecode("++", true), "  ");
}

TEST(PercentDecode, RefusesBadEscapes) {
  EXPECT_FALSE(percentDecode("%", false));
  EXPECT_FALSE(percentDecode("%4", false));
  EXPECT_FALSE(percentDecode("a%4", false));
  EXPECT_FALSE(percentDecode("%G1", false));
  EXPECT_FALSE(percentDecode("%1G", false));
  EXPECT_FALSE(percentDecode("%-1", false));
  EXPECT_FALSE(percentDecode("% 1", false));
}

TEST(PercentDecode, RefusesControlCharacters) {
  EXPECT_FALSE(percentDecode("%00", false));
  EXPECT_FALSE(percentDecode("a\0b"sv, false));
  EXPECT_FALSE(percentDecode("%0A", false));
  EXPECT_FALSE(percentDecode("%1f", true));
  EXPECT_FALSE(percentDecode("%7F", false));
  EXPECT_FALSE(percentDecode("\t", true));
  EXPECT_EQ(percentDecode("%20%7E", false), " ~");  // the printable edges are fine
}

}  // namespace
}  // namespace throng::proto
