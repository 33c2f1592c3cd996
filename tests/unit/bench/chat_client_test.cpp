// The parts of the bench client that need no socket: the talker's body marker, and the option
// checks that keep load on loopback.
#include "bench/chat_bench_options.h"
#include "bench/chat_client.h"

#include <gtest/gtest.h>

namespace throng::bench {
namespace {

TEST(BenchBody, RoundTripsInsideAMessage) {
  const BenchBody body{3, 17, 123456789012345};
  const std::string raw = "<message from='r@rooms.localhost/n' type='groupchat'><body>" +
                          formatBenchBody(body) + "</body><stanza-id/></message>";
  auto found = findBenchBody(raw);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->talker, 3);
  EXPECT_EQ(found->seq, 17u);
  EXPECT_EQ(found->sent_ns, 123456789012345);
}

TEST(BenchBody, OtherBodiesAreNotOurs) {
  EXPECT_FALSE(findBenchBody("<message><body>hello</body></message>"));
  EXPECT_FALSE(findBenchBody("<message><body>tb 1 2</body></message>"));
  EXPECT_FALSE(findBenchBody("<message><body>tb 1 2 3 4</body></message>"));
  EXPECT_FALSE(findBenchBody("<message><occupants count='3'/></message>"));
}

TEST(ChatBenchOptions, LoopbackOnly) {
  ChatBenchOptions o;
  EXPECT_TRUE(validateChatBenchOptions(o));
  o.host = "127.5.6.7";
  EXPECT_TRUE(validateChatBenchOptions(o));
  for (const char* host : {"10.0.0.1", "192.168.1.1", "8.8.8.8", "::1", "localhost"}) {
    o.host = host;
    EXPECT_FALSE(validateChatBenchOptions(o)) << host;
  }
}

TEST(ChatBenchOptions, BoundsAndTimeBound) {
  using namespace std::chrono_literals;
  ChatBenchOptions o;
  o.talkers = o.clients + 1;
  EXPECT_FALSE(validateChatBenchOptions(o));
  o.talkers = 2;
  o.account_prefix = "user";
  EXPECT_FALSE(validateChatBenchOptions(o));  // no password
  o.password = "secret";
  EXPECT_TRUE(validateChatBenchOptions(o));
  o.join_timeout = 30s;
  o.settle = 500ms;
  o.duration = 10s;
  o.drain = 10s;
  EXPECT_EQ(chatBenchTimeBound(o), 30s + 1s + 10s + 10s + 5s);
}

}  // namespace
}  // namespace throng::bench
