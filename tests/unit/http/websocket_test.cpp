// WebSocket endpoints end to end, in process: a Server on one Worker, bound to 127.0.0.1 port 0,
// and a Beast client driven on the test thread by its own io_context. Every wait is bounded:
// client operations by a deadline on the client loop, server-side events by a condition
// variable with wait_for (listener callbacks run on the worker thread).
#include "http/router.h"
#include "http/server.h"
#include "http/websocket.h"
#include "net/worker.h"
#include "support/websocket_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace throng::http {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Long enough never to fire on a healthy run; short enough that a broken server fails the
// test instead of hanging it.
constexpr auto kWait = 10s;

// An endpoint whose listeners echo every message back. Counts opens and closes; the counts
// are written on the worker thread and read by the test thread under `mutex_`.
class EchoHandler : public WebSocketHandler {
 public:
  EchoHandler(std::string subprotocol, std::size_t max_message_bytes)
      : subprotocol_(std::move(subprotocol)), max_message_bytes_(max_message_bytes) {}

  std::string_view subprotocol() const override { return subprotocol_; }
  std::size_t maxMessageBytes() const override { return max_message_bytes_; }

  std::unique_ptr<WebSocketListener> onWebSocketOpen(WebSocketConnection& connection,
                                                     const Request& upgrade) override {
    {
      std::lock_guard lock(mutex_);
      ++opened_;
      last_target_ = std::string(upgrade.target());
    }
    changed_.notify_all();
    return std::make_unique<Listener>(*this, connection);
  }

  // Waits (bounded) until `n` connections have reported onWebSocketClosed.
  bool waitClosed(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return closed_ >= n; });
  }
  int opened() const {
    std::lock_guard lock(mutex_);
    return opened_;
  }
  int closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::string lastTarget() const {
    std::lock_guard lock(mutex_);
    return last_target_;
  }

 private:
  class Listener : public WebSocketListener {
   public:
    Listener(EchoHandler& handler, WebSocketConnection& connection)
        : handler_(handler), connection_(connection) {}
    // Worker thread.
    void onWebSocketMessage(std::string_view message) override {
      {
        std::lock_guard lock(handler_.mutex_);
        handler_.messages_.emplace_back(message);
      }
      connection_.send(SharedBytes(std::string(message)));
    }
    // Worker thread (or the test thread, if the worker's loop is destroyed with it open).
    void onWebSocketClosed() override {
      {
        std::lock_guard lock(handler_.mutex_);
        ++handler_.closed_;
      }
      handler_.changed_.notify_all();
    }

   private:
    EchoHandler& handler_;
    WebSocketConnection& connection_;  // owns this listener, so outlives it
  };

  const std::string subprotocol_;
  const std::size_t max_message_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int opened_ = 0;
  int closed_ = 0;
  std::vector<std::string> messages_;
  std::string last_target_;
};

// An endpoint whose listener answers commands with the connection's other calls: "pieces"
// (one message from three shared pieces), "flood" (three messages against a 16 KiB budget),
// "abort", and "defer" (the next read waits 300 ms). What the calls returned is recorded.
class PiecesHandler : public WebSocketHandler {
 public:
  static constexpr std::size_t kBudget = 16 * 1024;
  static constexpr auto kDefer = 300ms;

  std::size_t outboxBudgetBytes() const override { return kBudget; }
  std::unique_ptr<WebSocketListener> onWebSocketOpen(WebSocketConnection& connection,
                                                     const Request&) override {
    return std::make_unique<Listener>(*this, connection);
  }

  struct Record {
    std::vector<SendResult> results;
    long head_use_count = 0;  // references to the first piece right after sendPieces
    bool secure = true;
    std::vector<std::chrono::steady_clock::time_point> arrivals;
    int closed = 0;
  };
  Record record() const {
    std::lock_guard lock(mutex_);
    return record_;
  }
  bool waitClosed() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return record_.closed > 0; });
  }

 private:
  class Listener : public WebSocketListener {
   public:
    Listener(PiecesHandler& handler, WebSocketConnection& connection)
        : handler_(handler), connection_(connection) {}
    // Worker thread.
    void onWebSocketMessage(std::string_view message) override {
      std::lock_guard lock(handler_.mutex_);
      auto& record = handler_.record_;
      record.arrivals.push_back(std::chrono::steady_clock::now());
      record.secure = connection_.secure();
      if (message == "pieces") {
        const std::array<SharedBytes, 3> pieces{SharedBytes(std::string(3000, 'a')),
                                                SharedBytes(std::string(3000, 'b')),
                                                SharedBytes(std::string(3000, 'c'))};
        record.results.push_back(connection_.sendPieces(pieces));
        record.head_use_count = pieces[0].useCount();
      } else if (message == "flood") {
        const SharedBytes half(std::string(3000, 'x'));
        const std::array<SharedBytes, 2> pieces{half, half};
        for (int i = 0; i < 3; ++i) record.results.push_back(connection_.sendPieces(pieces));
      } else if (message == "abort") {
        connection_.abort();
      } else if (message == "defer") {
        connection_.deferNextRead(kDefer);
      }
    }
    void onWebSocketClosed() override {
      {
        std::lock_guard lock(handler_.mutex_);
        ++handler_.record_.closed;
      }
      handler_.changed_.notify_all();
    }

   private:
    PiecesHandler& handler_;
    WebSocketConnection& connection_;
  };

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Record record_;
};

using Client = testing::WebSocketClient;

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.addWebSocket("/echo", &echo_);
    router_.addWebSocket("/xmpp", &xmpp_);
    router_.addWebSocket("/pieces", &pieces_);
    server_.emplace(ServerOptions{"test", {asio::ip::make_address("127.0.0.1"), 0}, 64,
                                  ServerLimits{}, nullptr},
                    router_, std::vector<net::Worker*>{&worker_});
    auto port = server_->listen();
    ASSERT_TRUE(port) << port.error().message;
    port_ = *port;
    ASSERT_NE(port_, 0);
    worker_.start();
    server_->start();
  }

  // Stop the loop before the server and router go; the handlers are declared first so they
  // outlive any session the stopped loop still holds (its destructor reports the close).
  void TearDown() override { worker_.stop(); }

  EchoHandler echo_{"", 1024};
  EchoHandler xmpp_{"xmpp", 64 * 1024};
  PiecesHandler pieces_;
  net::Worker worker_{0, "test-w"};
  Router router_;
  std::optional<Server> server_;
  std::uint16_t port_ = 0;
};

TEST_F(WebSocketTest, EchoesMessagesInOrder) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/echo"));
  EXPECT_EQ(client.response().result(), boost::beast::http::status::switching_protocols);
  EXPECT_EQ(client.response()[boost::beast::http::field::server], "throng");
  // No subprotocol was asked for and none is named.
  EXPECT_EQ(client.response().count(boost::beast::http::field::sec_websocket_protocol), 0u);

  for (const std::string message : {"hello", "", "third message"}) {
    ASSERT_FALSE(client.write(message));
    std::string echoed;
    ASSERT_FALSE(client.read(&echoed));
    EXPECT_EQ(echoed, message);
  }
  EXPECT_EQ(echo_.messages(), (std::vector<std::string>{"hello", "", "third message"}));
  EXPECT_EQ(echo_.opened(), 1);
  EXPECT_EQ(server_->counters().websocket_upgrades.load(), 1u);

  // A client close reaches the listener exactly once.
  ASSERT_FALSE(client.close());
  ASSERT_TRUE(echo_.waitClosed(1));
  EXPECT_EQ(echo_.closed(), 1);
}

TEST_F(WebSocketTest, ConnectionsAreIndependent) {
  Client a(port_);
  Client b(port_);
  ASSERT_FALSE(a.connect("/echo"));
  ASSERT_FALSE(b.connect("/echo"));
  ASSERT_FALSE(a.write("from a"));
  ASSERT_FALSE(b.write("from b"));
  std::string got;
  ASSERT_FALSE(b.read(&got));
  EXPECT_EQ(got, "from b");
  ASSERT_FALSE(a.read(&got));
  EXPECT_EQ(got, "from a");
  EXPECT_EQ(echo_.opened(), 2);
}

TEST_F(WebSocketTest, UpgradeWithTheRequiredSubprotocolSucceeds) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/xmpp", "xmpp"));
  EXPECT_EQ(client.response().result(), boost::beast::http::status::switching_protocols);
  EXPECT_EQ(client.response()[boost::beast::http::field::sec_websocket_protocol], "xmpp");
  ASSERT_FALSE(client.write("<open/>"));
  std::string echoed;
  ASSERT_FALSE(client.read(&echoed));
  EXPECT_EQ(echoed, "<open/>");
  EXPECT_EQ(xmpp_.lastTarget(), "/xmpp");
}

TEST_F(WebSocketTest, SubprotocolMayBeOneOfSeveralOffered) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/xmpp", "chat, xmpp"));
  EXPECT_EQ(client.response()[boost::beast::http::field::sec_websocket_protocol], "xmpp");
}

TEST_F(WebSocketTest, UpgradeWithoutTheRequiredSubprotocolIsRefused) {
  Client client(port_);
  const auto ec = client.connect("/xmpp");
  EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  EXPECT_EQ(client.response().result(), boost::beast::http::status::bad_request);
  EXPECT_EQ(xmpp_.opened(), 0);
  EXPECT_EQ(server_->counters().websocket_upgrades.load(), 0u);
}

TEST_F(WebSocketTest, UpgradeOfferingAnotherSubprotocolIsRefused) {
  Client client(port_);
  const auto ec = client.connect("/xmpp", "xmpp2, mqtt");
  EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  EXPECT_EQ(client.response().result(), boost::beast::http::status::bad_request);
}

TEST_F(WebSocketTest, UpgradeAtAnUnknownPathIsNotFound) {
  Client client(port_);
  const auto ec = client.connect("/nowhere");
  EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  EXPECT_EQ(client.response().result(), boost::beast::http::status::not_found);
}

TEST_F(WebSocketTest, OversizedMessageClosesTheConnection) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/echo"));
  // Under the limit still works, so what follows is about the size.
  ASSERT_FALSE(client.write(std::string(1000, 'a')));
  std::string echoed;
  ASSERT_FALSE(client.read(&echoed));
  EXPECT_EQ(echoed.size(), 1000u);

  // 1100 bytes: over the 1024 limit, yet the whole frame fits Beast's first read on the server
  // (1536-byte rd_buf), so nothing is left unread in the socket. With a larger frame (4096) about
  // 1% of runs end in ENOTCONN instead of a clean close: Beast 1.81's server teardown
  // (websocket/impl/teardown.hpp, teardown_tcp_op) stops reading after the first chunk and
  // closes with unread bytes, so the kernel answers with RST. That is Beast, not throng.
  ASSERT_FALSE(client.write(std::string(1100, 'b')));
  const auto ec = client.read(&echoed);
  ASSERT_TRUE(ec) << "the oversized message was answered";
  EXPECT_NE(ec, asio::error::timed_out);
  // RFC 6455 §7.4.1: 1009, message too big.
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.reason().code, websocket::close_code::too_big);

  ASSERT_TRUE(echo_.waitClosed(1)) << "onWebSocketClosed did not run";
  EXPECT_EQ(echo_.closed(), 1);
  EXPECT_EQ(echo_.messages().size(), 1u);  // the oversized message never reached the listener
}

TEST_F(WebSocketTest, DrainClosesOpenWebSocketsWithGoingAway) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/echo"));
  ASSERT_FALSE(client.write("before"));
  std::string echoed;
  ASSERT_FALSE(client.read(&echoed));  // the session is open and reading

  server_->beginDrain();
  const auto ec = client.read(&echoed);
  EXPECT_EQ(ec, websocket::error::closed) << ec.message();
  EXPECT_EQ(client.reason().code, websocket::close_code::going_away);
  EXPECT_EQ(std::string(client.reason().reason.data(), client.reason().reason.size()),
            "server shutting down");
  ASSERT_TRUE(echo_.waitClosed(1)) << "onWebSocketClosed did not run";
  EXPECT_TRUE(server_->counters().draining.load());

  // The acceptor was closed before the drain reached the connection: no new connections.
  Client late(port_);
  EXPECT_TRUE(late.connect("/echo"));
}

TEST_F(WebSocketTest, PiecesGoOutAsOneFrameWithoutACopy) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/pieces"));
  ASSERT_FALSE(client.write("pieces"));
  Client::Frame frame;
  ASSERT_FALSE(client.readRawFrame(&frame));
  EXPECT_TRUE(frame.fin);  // one frame, not fragments of Beast's 4 KiB write buffer
  EXPECT_EQ(frame.length, 9000u);
  const auto record = pieces_.record();
  ASSERT_EQ(record.results.size(), 1u);
  EXPECT_EQ(record.results[0], SendResult::kQueued);
  // The outbox holds a reference to the caller's piece: it did not copy the bytes.
  EXPECT_GE(record.head_use_count, 2);
  EXPECT_FALSE(record.secure);
}

TEST_F(WebSocketTest, PiecesCountAgainstTheOutboxBudget) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/pieces"));
  ASSERT_FALSE(client.write("flood"));
  std::string got;
  ASSERT_FALSE(client.read(&got));
  EXPECT_EQ(got, std::string(6000, 'x'));
  ASSERT_FALSE(client.read(&got));
  EXPECT_EQ(got, std::string(6000, 'x'));
  // 6000 + 6000 fit in 16 KiB; the third would not (the first is still in flight when it is
  // offered: a send never completes inside the call).
  EXPECT_EQ(pieces_.record().results,
            (std::vector<SendResult>{SendResult::kQueued, SendResult::kQueued,
                                     SendResult::kDropped}));
}

TEST_F(WebSocketTest, AbortDropsTheConnectionWithoutACloseFrame) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/pieces"));
  ASSERT_FALSE(client.write("abort"));
  std::string got;
  const auto ec = client.read(&got);
  ASSERT_TRUE(ec);
  EXPECT_NE(ec, asio::error::timed_out);
  EXPECT_NE(ec, websocket::error::closed) << "a close frame was sent";
  ASSERT_TRUE(pieces_.waitClosed()) << "onWebSocketClosed did not run";
}

TEST_F(WebSocketTest, DeferNextReadHoldsTheNextMessageBack) {
  Client client(port_);
  ASSERT_FALSE(client.connect("/pieces"));
  ASSERT_FALSE(client.write("defer"));
  ASSERT_FALSE(client.write("after"));
  ASSERT_FALSE(client.write("pieces"));  // answered, so the test knows both arrived
  Client::Frame frame;
  ASSERT_FALSE(client.readRawFrame(&frame));
  const auto arrivals = pieces_.record().arrivals;
  ASSERT_EQ(arrivals.size(), 3u);
  EXPECT_GE(arrivals[1] - arrivals[0], PiecesHandler::kDefer);
  EXPECT_LT(arrivals[2] - arrivals[1], PiecesHandler::kDefer);  // one read deferred, not all
}

}  // namespace
}  // namespace throng::http
