#include "chat/xmpp_websocket.h"

#include <boost/asio/steady_timer.hpp>

#include <array>

namespace throng::chat {
namespace {

// RFC 6455 §7.4.1 close code used when the XMPP stream ends.
constexpr std::uint16_t kNormalClosure = 1000;

class WebSocketClient final : public http::WebSocketListener, public ClientStreamTransport {
 public:
  WebSocketClient(ChatService& service, http::WebSocketConnection& connection,
                  TransportCounters& counters, std::size_t budget)
      : connection_(connection),
        counters_(counters),
        budget_(budget),
        timer_(connection.executor()),
        stream_(service.options(), streamOptions(connection, service), *this, service.currentShard(),
                [&service](std::string_view user, sasl::ScramHash hash) {
                  return service.accounts().lookup(user, hash);
                },
                &ChatService::randomId) {
    counters_.open_connections.fetch_add(1, std::memory_order_relaxed);
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    stream_.start();
  }
  ~WebSocketClient() override {
    counters_.open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  // http::WebSocketListener
  void onWebSocketMessage(std::string_view message) override {
    const auto pause = stream_.onBytes(message);
    if (pause > std::chrono::steady_clock::duration::zero() && !closed_) {
      connection_.deferNextRead(pause);  // xmpp.rate_bytes_*
    }
  }
  void onWebSocketClosed() override {
    closed_ = true;
    timer_.cancel();
    stream_.onTransportClosed();
  }

  // ClientStreamTransport
  SendOutcome send(SharedBytes bytes) override {
    return queue(std::span<const SharedBytes>(&bytes, 1));
  }
  // Pace is not used: Beast writes one message per write, so holding fan-out back would add
  // latency without saving a write (docs/life-of-a-stanza.md, "Coalescing").
  SendOutcome sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                         Delivery delivery, Pace) override {
    if (closed_ || closing_) return SendOutcome::kClosed;
    const std::size_t size = head.size() + to.size() + tail.size();
    // Shed first (design.md §4 step 6): past half the budget, presences wait for no one.
    if (delivery == Delivery::kSheddable &&
        (connection_.queuedBytes() + size) * 2 > budget_) {
      return SendOutcome::kShed;
    }
    const std::array<SharedBytes, 3> pieces{head, to, tail};  // references, not bytes
    return queue(pieces);
  }
  void close() override {
    if (closed_ || closing_) return;
    closing_ = true;
    connection_.close(kNormalClosure, "");
  }
  void armTimer(std::chrono::steady_clock::duration delay) override {
    if (closed_) return;
    timer_.expires_after(delay);
    // The connection owns this listener and may drop it while a handler is queued (even one
    // whose timer already expired, which cancel() cannot recall): the weak token says.
    timer_.async_wait([this, alive = std::weak_ptr<char>(alive_)](boost::system::error_code ec) {
      if (!ec && !alive.expired()) stream_.onTimer();
    });
  }
  void startTls() override {
    // Never offered over WebSocket: TLS is the HTTP layer's (wss), RFC 7395 §3.1.
    close();
  }

 private:
  SendOutcome queue(std::span<const SharedBytes> pieces) {
    if (closed_ || closing_) return SendOutcome::kClosed;
    switch (connection_.sendPieces(pieces)) {
      case http::SendResult::kQueued:
        return SendOutcome::kQueued;
      case http::SendResult::kClosing:
        return SendOutcome::kClosed;
      case http::SendResult::kDropped:
        break;
    }
    // The reader cannot keep up: the outbox budget is spent (design.md §4 step 6). A close
    // frame would wait behind everything it is not reading, so the connection just goes.
    closing_ = true;
    connection_.abort();
    return SendOutcome::kCutOff;
  }

  static ClientStreamOptions streamOptions(http::WebSocketConnection& connection,
                                           ChatService& service) {
    ClientStreamOptions options;
    options.framed = true;
    // PLAIN sends the password itself: only over TLS (wss) or from loopback (RFC 6120 §6.4.2).
    options.plain_allowed = connection.secure() || connection.remoteAddress().is_loopback();
    options.counters = &service.currentShard().counters();
    options.remote_address = connection.remoteAddress().to_string();
    return options;
  }

  http::WebSocketConnection& connection_;  // owns this listener
  TransportCounters& counters_;            // the handler's; outlives this
  const std::size_t budget_;               // the connection's outbox budget
  boost::asio::steady_timer timer_;        // the stream's deadlines
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // expires with this object
  bool closing_ = false;
  bool closed_ = false;
  ClientStream stream_;  // last: it calls into the members above while being destroyed
};

}  // namespace

std::unique_ptr<http::WebSocketListener> XmppWebSocketHandler::onWebSocketOpen(
    http::WebSocketConnection& connection, const http::Request&) {
  return std::make_unique<WebSocketClient>(service_, connection, counters_, outbox_budget_bytes_);
}

}  // namespace throng::chat
