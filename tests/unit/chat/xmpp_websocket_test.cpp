// XMPP over WebSocket in process: a ChatService, the /xmpp-websocket endpoint and an HTTP
// Server on one Worker (127.0.0.1, port 0), driven by a Beast client on the test thread. Checks
// that the WebSocket transport carries out what ClientStream decides: its timer (idle ping,
// connection-timeout) and the cut-off of a reader that stopped reading.
#include "chat/xmpp_websocket.h"

#include "http/router.h"
#include "http/server.h"
#include "net/worker.h"
#include "support/websocket_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <thread>

namespace throng::chat {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using namespace std::chrono_literals;
using Client = throng::testing::WebSocketClient;
using ::testing::HasSubstr;

constexpr const char* kOpen =
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='anon.localhost' version='1.0'/>";

class XmppWebSocketTest : public ::testing::Test {
 protected:
  void start(ChatOptions options, std::size_t budget = 1024 * 1024) {
    chat_.emplace(std::move(options), std::vector<net::Worker*>{&worker_});
    handler_.emplace(*chat_, budget);
    router_.addWebSocket(std::string(kXmppWebSocketPath), &*handler_);
    server_.emplace(http::ServerOptions{"test", {asio::ip::make_address("127.0.0.1"), 0}, 64,
                                        http::ServerLimits{}, nullptr},
                    router_, std::vector<net::Worker*>{&worker_});
    auto port = server_->listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    worker_.start();
    server_->start();
  }
  void TearDown() override { worker_.stop(); }

  // Opens the stream, logs in anonymously, binds; returns the full JID.
  std::string bind(Client& client) {
    EXPECT_FALSE(client.connect(std::string(kXmppWebSocketPath), "xmpp"));
    std::string frame;
    EXPECT_FALSE(client.write(kOpen));
    EXPECT_FALSE(client.read(&frame));  // <open/>
    EXPECT_FALSE(client.read(&frame));  // features
    EXPECT_FALSE(client.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                              "mechanism='ANONYMOUS'/>"));
    EXPECT_FALSE(client.read(&frame));
    EXPECT_THAT(frame, HasSubstr("<success"));
    EXPECT_FALSE(client.write(kOpen));
    EXPECT_FALSE(client.read(&frame));
    EXPECT_FALSE(client.read(&frame));
    EXPECT_FALSE(client.write("<iq xmlns='jabber:client' type='set' id='b'>"
                              "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"));
    EXPECT_FALSE(client.read(&frame));
    const auto start = frame.find("<jid>") + 5;
    return frame.substr(start, frame.find("</jid>") - start);
  }

  template <class F>
  bool eventually(F&& condition) {
    const auto deadline = std::chrono::steady_clock::now() + Client::kWait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }

  // Declared before the worker: sessions the stopped loop still holds call into them.
  std::optional<ChatService> chat_;
  std::optional<XmppWebSocketHandler> handler_;
  net::Worker worker_{0, "test-w"};
  http::Router router_;
  std::optional<http::Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(XmppWebSocketTest, AnIdleStreamIsPingedAndThenTimedOut) {
  ChatOptions options;
  options.idle_timeout = 200ms;
  options.ping_timeout = 200ms;
  start(options);
  Client client(port_);
  const auto jid = bind(client);
  EXPECT_EQ(handler_->counters().open_connections.load(), 1);
  EXPECT_EQ(handler_->counters().accepted.load(), 1u);

  std::string frame;
  ASSERT_FALSE(client.read(&frame));
  // A frame is a document of its own: the stanza declares its namespace (RFC 7395 §3.3.3).
  EXPECT_THAT(frame, HasSubstr("<iq xmlns='jabber:client' type='get' id='ping-"));
  EXPECT_THAT(frame, HasSubstr("from='anon.localhost' to='" + jid +
                               "'><ping xmlns='urn:xmpp:ping'/></iq>"));
  ASSERT_FALSE(client.read(&frame));
  EXPECT_THAT(frame, HasSubstr("<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"));
  ASSERT_FALSE(client.read(&frame));
  EXPECT_EQ(frame, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  EXPECT_EQ(client.read(&frame), websocket::error::closed);
  EXPECT_TRUE(eventually([&] { return handler_->counters().open_connections.load() == 0; }));
}

TEST_F(XmppWebSocketTest, AReaderThatStopsReadingIsCutOffAndCounted) {
  ChatOptions options;
  options.rate_bytes_per_second = 1e9;
  options.rate_bytes_burst = 1e9;
  options.rate_stanzas_per_second = 1e6;
  options.rate_stanzas_burst = 1e6;
  start(options, /*budget=*/16 * 1024);
  Client client(port_);
  client.setReceiveBuffer(4096);
  const auto jid = bind(client);
  const std::string message = "<message xmlns='jabber:client' to='" + jid +
                              "' type='chat'><body>" + std::string(60000, 'x') + "</body></message>";
  auto& counters = chat_->shard(0).counters();
  // Kernel buffers on loopback can absorb megabytes (autotuning); the bound is generous.
  for (int i = 0; i < 2000 && counters.dropped_slow.load() == 0; ++i) {
    if (client.write(message)) break;  // cut off under us
  }
  EXPECT_TRUE(eventually([&] { return counters.dropped_slow.load() == 1; }))
      << counters.stanzas_in.load() << " in, " << counters.stanzas_out.load() << " out";
  // What the kernel held arrives, then the connection ends without a close frame.
  std::string frame;
  boost::system::error_code ec;
  while (!(ec = client.read(&frame))) {
  }
  EXPECT_NE(ec, websocket::error::closed) << ec.message();
  EXPECT_NE(ec, asio::error::timed_out);
  EXPECT_TRUE(eventually([&] { return handler_->counters().open_connections.load() == 0; }));
  EXPECT_EQ(counters.dropped_slow.load(), 1u);
}

}  // namespace
}  // namespace throng::chat
