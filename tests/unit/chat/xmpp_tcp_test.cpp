// The XMPP TCP transport in process: a ChatService and an XmppTcpServer on one Worker, bound to
// 127.0.0.1 port 0, driven by a raw socket on the test thread. What ClientStream decides is
// tested on a fake clock (client_stream_policy_test.cpp); this checks that the transport
// carries it out: the timer, paused reads, a cut-off for a reader that stopped reading.
// Every wait is bounded by kWait; time-based checks are lower bounds, which cannot flake.
#include "chat/xmpp_tcp.h"

#include "net/worker.h"
#include "support/xmpp_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

namespace throng::chat {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using throng::testing::RawXmppClient;
using ::testing::HasSubstr;

constexpr auto kWait = 10s;
class XmppTcpTest : public ::testing::Test {
 protected:
  void start(ChatOptions options, XmppTcpOptions tcp = {}) {
    chat_.emplace(std::move(options), std::vector<net::Worker*>{&worker_});
    tcp.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    server_.emplace(tcp, *chat_, std::vector<net::Worker*>{&worker_});
    auto port = server_->listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    worker_.start();
    server_->start();
  }
  void TearDown() override { worker_.stop(); }

  StreamCounters& counters() { return chat_->shard(0).counters(); }

  // Polls an atomic the worker writes; bounded.
  template <class F>
  bool eventually(F&& condition) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  // Declared first, destroyed last: connections the stopped loop still holds call into it.
  std::optional<ChatService> chat_;
  net::Worker worker_{0, "test-w"};
  std::optional<XmppTcpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(XmppTcpTest, AnIdleStreamIsPingedAndThenTimedOut) {
  ChatOptions options;
  options.idle_timeout = 200ms;
  options.ping_timeout = 200ms;
  start(options);
  RawXmppClient client(port_);
  client.bindAnonymous();
  EXPECT_EQ(server_->counters().open_connections.load(), 1);
  const auto bound = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.readUntil("<ping xmlns='urn:xmpp:ping'/></iq>")) << client.received();
  EXPECT_GE(std::chrono::steady_clock::now() - bound, 200ms);
  ASSERT_TRUE(client.readToEnd());
  EXPECT_THAT(client.received(),
              HasSubstr("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  EXPECT_TRUE(eventually([&] { return server_->counters().open_connections.load() == 0; }));
}

TEST_F(XmppTcpTest, APongBuysAnotherIdlePeriod) {
  ChatOptions options;
  options.idle_timeout = 200ms;
  options.ping_timeout = 200ms;
  start(options);
  RawXmppClient client(port_);
  client.bindAnonymous();
  ASSERT_TRUE(client.readUntil("<ping xmlns='urn:xmpp:ping'/></iq>"));
  const auto& text = client.received();
  const auto id_at = text.rfind("id='ping-") + 4;
  const auto id = text.substr(id_at, text.find('\'', id_at) - id_at);
  client.send("<iq type='result' id='" + id + "' to='anon.localhost'/>");
  // Alive: the next thing to arrive is another ping, not a stream error.
  ASSERT_TRUE(client.readUntil("<ping xmlns='urn:xmpp:ping'/></iq>")) << client.received();
  EXPECT_THAT(client.received(), ::testing::Not(HasSubstr("connection-timeout")));
}

TEST_F(XmppTcpTest, ReadingPausesWhenTheByteBucketIsEmpty) {
  ChatOptions options;
  options.rate_bytes_per_second = 64 * 1024;
  options.rate_bytes_burst = 1024;
  start(options);
  RawXmppClient client(port_);
  client.bindAnonymous();
  // 64 KiB of whitespace (legal between stanzas), then a ping. Reads take at most 16 KiB, so
  // at least 48 KiB are charged before the read that completes the ping, and the server
  // reads only while the bucket is out of debt: the answer cannot come before ~0.73 s.
  const auto sent = std::chrono::steady_clock::now();
  client.send(std::string(64 * 1024, ' ') +
              "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
  ASSERT_TRUE(client.readUntil("id='p1'"));
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 700ms);
}

TEST_F(XmppTcpTest, AReaderThatStopsReadingIsCutOffAndCounted) {
  ChatOptions options;
  options.rate_bytes_per_second = 1e9;
  options.rate_bytes_burst = 1e9;
  options.rate_stanzas_per_second = 1e6;
  options.rate_stanzas_burst = 1e6;
  XmppTcpOptions tcp;
  tcp.outbox_budget_bytes = 16 * 1024;
  start(options, tcp);
  RawXmppClient client(port_, /*receive_buffer=*/4096);
  const auto jid = client.bindAnonymous();
  // Messages to itself, never read: the kernel buffers fill, then the 16 KiB outbox.
  const std::string message = "<message to='" + jid + "' type='chat'><body>" +
                              std::string(60000, 'x') + "</body></message>";
  // Kernel buffers on loopback can absorb megabytes (autotuning); the bound is generous.
  for (int i = 0; i < 2000 && counters().dropped_slow.load() == 0; ++i) client.send(message);
  EXPECT_TRUE(eventually([&] { return counters().dropped_slow.load() == 1; }));
  EXPECT_TRUE(client.readToEnd());  // what the kernel held, then the end: no stream error
  EXPECT_THAT(client.received(), ::testing::Not(HasSubstr("<stream:error>")));
  EXPECT_TRUE(eventually([&] { return server_->counters().open_connections.load() == 0; }));
  EXPECT_EQ(counters().dropped_slow.load(), 1u);
}

// xmpp.fanout_flush_ms (write_pacer.h): a room message to a stream that has been quiet goes
// out at once; what follows within the window waits for its end and shares one write.
TEST_F(XmppTcpTest, FanOutAfterAQuietSpellGoesAtOnceAndABurstSharesAWrite) {
  constexpr auto kWindow = 1000ms;
  ChatOptions options;
  options.muc.anonymous_may_create = true;
  XmppTcpOptions tcp;
  tcp.fanout_flush = kWindow;
  start(options, tcp);
  RawXmppClient client(port_);
  client.bindAnonymous();
  // The joiner creates the room and makes it an instant room (XEP-0045 §10.1.2).
  client.send("<presence to='burst@rooms.localhost/ann'><x xmlns='http://jabber.org/protocol/muc'/>"
              "</presence>");
  ASSERT_TRUE(client.readUntil("code='110'")) << client.received();
  client.send("<iq type='set' id='create' to='burst@rooms.localhost'>"
              "<query xmlns='http://jabber.org/protocol/muc#owner'>"
              "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
  ASSERT_TRUE(client.readUntil("id='create'")) << client.received();
  // That answer opened a window; once it is over the stream is quiet. (The pacer's tick ends
  // every window at most kWindow after it opened.)
  std::this_thread::sleep_for(kWindow + 200ms);

  const auto message = [](int i) {
    return "<message to='burst@rooms.localhost' type='groupchat' id='m" + std::to_string(i) +
           "'><body>b" + std::to_string(i) + "</body></message>";
  };
  const auto writes_before = counters().tcp_writes.load();
  const auto out_before = counters().stanzas_out.load();
  const auto first_sent = std::chrono::steady_clock::now();
  client.send(message(1));
  ASSERT_TRUE(client.readUntil("<body>b1</body>")) << client.received();
  // Upper bound with a wide margin: held back, it would have waited for the window's end.
  EXPECT_LT(std::chrono::steady_clock::now() - first_sent, kWindow / 2);

  // Five more while the window the first one opened is still open: none is written before it
  // ends (a window lasts more than half the period, write_pacer.h), and then all five go in
  // one write.
  std::string burst;
  for (int i = 2; i <= 6; ++i) burst += message(i);
  client.send(burst);
  ASSERT_TRUE(client.readUntil("<body>b6</body>")) << client.received();
  EXPECT_GE(std::chrono::steady_clock::now() - first_sent, kWindow / 2);
  for (int i = 2; i <= 6; ++i) {
    EXPECT_THAT(client.received(), HasSubstr("<body>b" + std::to_string(i) + "</body>"));
  }
  EXPECT_TRUE(eventually([&] { return counters().stanzas_out.load() == out_before + 6; }));
  EXPECT_EQ(counters().tcp_writes.load() - writes_before, 2u);  // 6 stanzas, 2 writes
}

// Zero turns the pacing off: every fan-out stanza is its own write, as soon as it is queued.
TEST_F(XmppTcpTest, WithoutAWindowEveryFanOutStanzaIsWrittenAtOnce) {
  ChatOptions options;
  options.muc.anonymous_may_create = true;
  XmppTcpOptions tcp;
  tcp.fanout_flush = 0ms;
  start(options, tcp);
  RawXmppClient client(port_);
  client.bindAnonymous();
  client.send("<presence to='plain@rooms.localhost/ann'><x xmlns='http://jabber.org/protocol/muc'/>"
              "</presence>");
  ASSERT_TRUE(client.readUntil("code='110'")) << client.received();
  client.send("<iq type='set' id='create' to='plain@rooms.localhost'>"
              "<query xmlns='http://jabber.org/protocol/muc#owner'>"
              "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
  ASSERT_TRUE(client.readUntil("id='create'")) << client.received();
  const auto writes_before = counters().tcp_writes.load();
  // One at a time, each read before the next is sent: nothing can share a write.
  for (int i = 1; i <= 3; ++i) {
    const auto body = "<body>p" + std::to_string(i) + "</body>";
    client.send("<message to='plain@rooms.localhost' type='groupchat'>" + body + "</message>");
    ASSERT_TRUE(client.readUntil(body)) << client.received();
  }
  EXPECT_EQ(counters().tcp_writes.load() - writes_before, 3u);
}

}  // namespace
}  // namespace throng::chat
