#include "chat/xmpp_websocket.h"

namespace throng::chat {
namespace {

// RFC 6455 §7.4.1 close codes used when the XMPP stream ends.
constexpr std::uint16_t kNormalClosure = 1000;
constexpr std::uint16_t kPolicyViolation = 1008;

constexpr std::size_t kOutboxBudgetBytes = 1024 * 1024;

class WebSocketClient final : public http::WebSocketListener, public ClientStreamTransport {
 public:
  WebSocketClient(ChatService& service, http::WebSocketConnection& connection)
      : connection_(connection),
        stream_(service.options(), ClientStreamOptions{/*framed=*/true, plainAllowed(connection),
                                    &service.currentShard().counters()},
                *this, service.currentShard(),
                [&service](std::string_view user, sasl::ScramHash hash) {
                  return service.accounts().lookup(user, hash);
                },
                &ChatService::randomId) {}

  // http::WebSocketListener
  void onWebSocketMessage(std::string_view message) override { stream_.onBytes(message); }
  void onWebSocketClosed() override {
    closed_ = true;
    stream_.onTransportClosed();
  }

  // ClientStreamTransport
  void send(SharedBytes bytes) override {
    if (closed_) return;
    if (connection_.send(std::move(bytes)) == http::SendResult::kDropped && !closing_) {
      // The reader cannot keep up: the outbox budget is spent (design.md §4 step 6).
      closing_ = true;
      connection_.close(kPolicyViolation, "too slow: outbox full");
    }
  }
  bool sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                  Delivery delivery) override {
    if (closed_) return false;
    // Shed first (design.md §4 step 6): past half the budget, presences wait for no one.
    if (delivery == Delivery::kSheddable &&
        connection_.queuedBytes() * 2 > kOutboxBudgetBytes) {
      return false;
    }
    std::string frame;
    frame.reserve(head.size() + to.size() + tail.size());
    frame.append(head.view()).append(to.view()).append(tail.view());
    send(SharedBytes(std::move(frame)));
    return true;
  }
  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    connection_.close(kNormalClosure, "");
  }

 private:
  // PLAIN sends the password itself: only over TLS or from loopback (RFC 6120 §6.4.2). The
  // WebSocket arrives over the public port, which is TLS when a certificate is configured;
  // the connection cannot tell here, so only loopback qualifies.
  static bool plainAllowed(http::WebSocketConnection& connection) {
    return connection.remoteAddress().is_loopback();
  }

  http::WebSocketConnection& connection_;  // owns this listener
  ClientStream stream_;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<http::WebSocketListener> XmppWebSocketHandler::onWebSocketOpen(
    http::WebSocketConnection& connection, const http::Request&) {
  return std::make_unique<WebSocketClient>(service_, connection);
}

}  // namespace throng::chat
