#include "proto/jid.h"

#include <gtest/gtest.h>

#include <string>

namespace throng::proto {
namespace {

TEST(Jid, ParsesAllForms) {
  auto full = Jid::parse("juliet@example.com/balcony");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->local(), "juliet");
  EXPECT_EQ(full->domain(), "example.com");
  EXPECT_EQ(full->resource(), "balcony");
  EXPECT_TRUE(full->hasLocal());
  EXPECT_TRUE(full->hasResource());
  EXPECT_EQ(full->full(), "juliet@example.com/balcony");
  EXPECT_EQ(full->bareString(), "juliet@example.com");

  auto bare = Jid::parse("juliet@example.com");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->hasResource());
  EXPECT_EQ(bare->full(), "juliet@example.com");

  auto domain = Jid::parse("example.com");
  ASSERT_TRUE(domain);
  EXPECT_FALSE(domain->hasLocal());
  EXPECT_EQ(domain->full(), "example.com");

  auto domain_resource = Jid::parse("example.com/worker 1");
  ASSERT_TRUE(domain_resource);
  EXPECT_FALSE(domain_resource->hasLocal());
  EXPECT_EQ(domain_resource->resource(), "worker 1");
}

TEST(Jid, SplitsAtFirstSlashThenFirstAt) {
  // RFC 7622 §3.1: '@' and '/' after the first '/' belong to the resource.
  auto jid = Jid::parse("room@muc.example.org/nick@home/with/slashes");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "room");
  EXPECT_EQ(jid->domain(), "muc.example.org");
  EXPECT_EQ(jid->resource(), "nick@home/with/slashes");
  auto no_local = Jid::parse("example.com/a@b");
  ASSERT_TRUE(no_local);
  EXPECT_FALSE(no_local->hasLocal());
  EXPECT_EQ(no_local->resource(), "a@b");
}

TEST(Jid, Normalizes) {
  auto jid = Jid::parse("Juliet@EXAMPLE.Com./Balcony");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->local(), "juliet");
  EXPECT_EQ(jid->domain(), "example.com");  // one trailing dot removed (RFC 7622 §3.2)
  EXPECT_EQ(jid->resource(), "Balcony");    // resources keep their case
  EXPECT_EQ(*jid, *Jid::parse("juliet@example.com/Balcony"));
  EXPECT_NE(*jid, *Jid::parse("juliet@example.com/balcony"));
  // Non-ASCII characters are kept as they are (no full PRECIS mapping).
  auto unicode = Jid::parse("\xC3\x89lodie@Example.com");
  ASSERT_TRUE(unicode);
  EXPECT_EQ(unicode->local(), "\xC3\x89lodie");
}

TEST(Jid, BareAndWithResource) {
  auto jid = *Jid::parse("a@b.example/r1");
  EXPECT_EQ(jid.bare(), *Jid::parse("a@b.example"));
  EXPECT_EQ(jid.bare().full(), "a@b.example");
  EXPECT_EQ(jid.withResource("r2").full(), "a@b.example/r2");
  EXPECT_EQ(jid.bare().withResource("r1"), jid);
}

TEST(Jid, Make) {
  auto jid = Jid::make("Room", "MUC.example.org", "Nick");
  ASSERT_TRUE(jid);
  EXPECT_EQ(jid->full(), "room@muc.example.org/Nick");
  auto domain_only = Jid::make("", "example.org", "");
  ASSERT_TRUE(domain_only);
  EXPECT_EQ(domain_only->full(), "example.org");
  EXPECT_FALSE(Jid::make("a@b", "example.org", ""));
  EXPECT_FALSE(Jid::make("a", "", "r"));
  EXPECT_FALSE(Jid::make("a", "example.org", std::string("r\x01", 2)));
}

TEST(Jid, DomainLiterals) {
  auto v6 = Jid::parse("user@[2001:DB8::1]/r");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->domain(), "[2001:db8::1]");
  for (const char* ok :
       {"[::1]", "[::]", "[1:2:3:4:5:6:7:8]", "[::ffff:192.0.2.1]", "[fe80::]", "[1::2:3]",
        "192.0.2.1", "localhost", "a-b.c0.example", "xn--bcher-kva.example"}) {
    EXPECT_TRUE(Jid::parse(ok)) << ok;
  }
  for (const char* bad :
       {"[]", "[1:2:3:4:5:6:7:8:9]", "[1::2::3]", "[:1]", "[1:]", "[12345::]", "[g::1]", "[::1",
        "::1", "[::1]x", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "[::1.2.3]"}) {
    EXPECT_FALSE(Jid::parse(bad)) << bad;
  }
}

TEST(Jid, DomainLabels) {
  for (const char* bad :
       {"", ".", "a..b", "..", "-a.example", "a-.example", "a_b.example", "a b", "exa!mple.com",
        "example.com..", ".example.com", "a@b@c", "user@a:5222"}) {
    EXPECT_FALSE(Jid::parse(bad)) << bad;
  }
  EXPECT_TRUE(Jid::parse(std::string(63, 'a') + ".example"));
  EXPECT_FALSE(Jid::parse(std::string(64, 'a') + ".example"));
  // Non-ASCII labels: accepted as UTF-8, lower-cased only in the ASCII range (no IDNA2008).
  auto idn = Jid::parse(
      "user@B\xC3\xBC"
      "cher.Example");
  ASSERT_TRUE(idn);
  EXPECT_EQ(idn->domain(),
            "b\xC3\xBC"
            "cher.example");
}

TEST(Jid, EmptyParts) {
  for (const char* bad : {"", "@example.com", "user@", "example.com/", "user@example.com/", "@",
                          "/", "@/", "/resource", "user@/resource"}) {
    EXPECT_FALSE(Jid::parse(bad)) << '"' << bad << '"';
  }
}

TEST(Jid, ForbiddenLocalpartCharacters) {
  // RFC 7622 §3.3.1, plus space (PRECIS IdentifierClass has no spaces).
  for (char c : {'"', '&', '\'', ':', '<', '>', ' '}) {
    std::string text = "a";
    text += c;
    text += "b@example.com";
    EXPECT_FALSE(Jid::parse(text)) << text;
  }
  EXPECT_TRUE(Jid::parse("a.b-c_d+e@example.com"));
}

TEST(Jid, ControlCharactersAndBadUtf8) {
  for (std::string bad :
       {std::string("a\x01@example.com"), std::string("a@example.com/r\x7F"),
        std::string("a@example.com/r\n"), std::string("a\xC2\x85@example.com"),  // U+0085 (C1)
        std::string("a\xFF@example.com"), std::string("a@example.com/\xC0\xAF"),
        std::string("a@example.com/\xED\xA0\x80"), std::string("a@exa\xE2\x82mple.com"),
        std::string("a@example.com/\xF4\x90\x80\x80"), std::string("a\0b@example.com", 15)}) {
    EXPECT_FALSE(Jid::parse(bad)) << bad;
  }
  EXPECT_TRUE(Jid::parse("a@example.com/\xF0\x9F\x8E\xA5 live"));  // 🎥 is fine in a resource
}

TEST(Jid, LengthLimits) {
  const std::string part1023(1023, 'a');
  const std::string part1024(1024, 'a');
  // 1023-byte domain: labels of 63 separated by dots.
  std::string domain;
  while (domain.size() < 1023) {
    if (!domain.empty()) domain += '.';
    domain += std::string(std::min<std::size_t>(63, 1023 - domain.size()), 'd');
  }
  ASSERT_EQ(domain.size(), 1023u);
  EXPECT_TRUE(Jid::parse(part1023 + "@" + domain + "/" + part1023));
  EXPECT_FALSE(Jid::parse(part1024 + "@example.com"));
  EXPECT_FALSE(Jid::parse("a@example.com/" + part1024));
  EXPECT_FALSE(Jid::parse("a@" + domain + "d"));
  EXPECT_TRUE(Jid::parse("a@" + domain + "."));  // the trailing dot is not counted
}

TEST(Jid, FullReparsesToTheSameJid) {
  for (const char* text : {"A@B.c/D", "b.c", "[::FFFF:1.2.3.4]/x/y", "x@1.2.3.4", "a@b./@/"}) {
    auto jid = Jid::parse(text);
    ASSERT_TRUE(jid) << text;
    auto again = Jid::parse(jid->full());
    ASSERT_TRUE(again) << text;
    EXPECT_EQ(*again, *jid) << text;
  }
}

}  // namespace
}  // namespace throng::proto
