// The rooms' counters the dashboard plots (StreamCounters::muc_*): a chat service and an XMPP
// TCP server on one Worker over loopback, two raw clients in one room. Messages are counted
// once per accepted groupchat message, deliveries once per occupant reached, occupants on the
// occupant-count tick. Every wait is bounded.
#include "chat/xmpp_tcp.h"

#include "net/worker.h"
#include "support/xmpp_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

namespace throng::chat {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using throng::testing::RawXmppClient;

class MucCountersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ChatOptions options;
    options.muc.anonymous_may_create = true;
    chat_.emplace(std::move(options), std::vector<net::Worker*>{&worker_});
    XmppTcpOptions tcp;
    tcp.endpoint = {asio::ip::make_address("127.0.0.1"), 0};
    tcp.fanout_flush = 0ms;
    server_.emplace(tcp, *chat_, std::vector<net::Worker*>{&worker_});
    auto port = server_->listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    worker_.start();
    chat_->startRooms();
    server_->start();
  }
  void TearDown() override {
    worker_.stop();
    chat_->releaseWorkerResources();
  }

  StreamCounters& counters() { return chat_->shard(0).counters(); }

  template <class F>
  bool eventually(F&& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
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

TEST_F(MucCountersTest, MessagesDeliveriesAndOccupantsAreCounted) {
  RawXmppClient ann(port_);
  ann.bindAnonymous();
  ann.send(
      "<presence to='count@rooms.localhost/ann'><x xmlns='http://jabber.org/protocol/muc'/>"
      "</presence>");
  ASSERT_TRUE(ann.readUntil("code='110'")) << ann.received();
  ann.send(
      "<iq type='set' id='create' to='count@rooms.localhost'>"
      "<query xmlns='http://jabber.org/protocol/muc#owner'>"
      "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
  ASSERT_TRUE(ann.readUntil("id='create'")) << ann.received();
  RawXmppClient bob(port_);
  bob.bindAnonymous();
  bob.send(
      "<presence to='count@rooms.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/>"
      "</presence>");
  ASSERT_TRUE(bob.readUntil("code='110'")) << bob.received();

  // The occupant-count tick (every 2 s) sets the gauge and pushes the count to both.
  EXPECT_TRUE(eventually([&] { return counters().muc_occupants.load() == 2; }));
  ASSERT_TRUE(ann.readUntil("count='2'")) << ann.received();
  ASSERT_TRUE(bob.readUntil("count='2'")) << bob.received();
  EXPECT_EQ(counters().muc_messages.load(), 0u);

  const auto deliveries = counters().muc_deliveries.load();
  ann.send(
      "<message to='count@rooms.localhost' type='groupchat' id='m1'><body>hi</body>"
      "</message>");
  ASSERT_TRUE(ann.readUntil("<body>hi</body>")) << ann.received();
  ASSERT_TRUE(bob.readUntil("<body>hi</body>")) << bob.received();
  EXPECT_EQ(counters().muc_messages.load(), 1u);
  EXPECT_TRUE(eventually([&] { return counters().muc_deliveries.load() == deliveries + 2; }));

  // A bodyless message (a chat state) is fanned out but is not a message.
  ann.send(
      "<message to='count@rooms.localhost' type='groupchat'>"
      "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
  EXPECT_TRUE(eventually([&] { return counters().muc_deliveries.load() == deliveries + 4; }));
  EXPECT_EQ(counters().muc_messages.load(), 1u);

  bob.send("<presence to='count@rooms.localhost/bob' type='unavailable'/>");
  EXPECT_TRUE(eventually([&] { return counters().muc_occupants.load() == 1; }));
}

}  // namespace
}  // namespace throng::chat
