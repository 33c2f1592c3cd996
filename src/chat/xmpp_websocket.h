// XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the public HTTP port: the HTTP layer
// upgrades the request (subprotocol "xmpp", RFC 7395 §3.1) and hands the connection here;
// each WebSocket message is one element fed to a ClientStream in framed mode.
#pragma once

#include "chat/chat_service.h"
#include "chat/transport_counters.h"
#include "http/websocket.h"

namespace throng::chat {

inline constexpr std::string_view kXmppWebSocketPath = "/xmpp-websocket";

class XmppWebSocketHandler final : public http::WebSocketHandler {
 public:
  // Bytes a connection may have queued before it is dropped as too slow: the same 1 MiB as
  // over TCP (XmppTcpOptions::outbox_budget_bytes).
  static constexpr std::size_t kDefaultOutboxBudgetBytes = 1024 * 1024;

  // Non-owning: the service outlives the handler's connections.
  explicit XmppWebSocketHandler(ChatService& service,
                                std::size_t outbox_budget_bytes = kDefaultOutboxBudgetBytes)
      : service_(service), outbox_budget_bytes_(outbox_budget_bytes) {}

  std::string_view subprotocol() const override { return "xmpp"; }
  // A frame holds one stanza; the parser enforces the stanza limit, the frame limit only has
  // to let a maximal stanza through.
  std::size_t maxMessageBytes() const override {
    return service_.options().limits.max_stanza_bytes + 1024;
  }
  std::size_t outboxBudgetBytes() const override { return outbox_budget_bytes_; }
  std::unique_ptr<http::WebSocketListener> onWebSocketOpen(http::WebSocketConnection& connection,
                                                           const http::Request& upgrade) override;

  // Written on the workers, read by /metrics. The handler outlives its connections.
  const TransportCounters& counters() const { return counters_; }

 private:
  ChatService& service_;
  const std::size_t outbox_budget_bytes_;
  TransportCounters counters_;
};

}  // namespace throng::chat
