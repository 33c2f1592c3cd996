// XMPP over WebSocket (RFC 7395) at /xmpp-websocket on the public HTTP port: the HTTP layer
// upgrades the request (subprotocol "xmpp", RFC 7395 §3.1) and hands the connection here;
// each WebSocket message is one element fed to a ClientStream in framed mode.
#pragma once

#include "chat/chat_service.h"
#include "http/websocket.h"

namespace throng::chat {

inline constexpr std::string_view kXmppWebSocketPath = "/xmpp-websocket";

class XmppWebSocketHandler final : public http::WebSocketHandler {
 public:
  // Non-owning: the service outlives the handler's connections.
  explicit XmppWebSocketHandler(ChatService& service) : service_(service) {}

  std::string_view subprotocol() const override { return "xmpp"; }
  // A frame holds one stanza; the parser enforces the stanza limit, the frame limit only has
  // to let a maximal stanza through.
  std::size_t maxMessageBytes() const override {
    return service_.options().limits.max_stanza_bytes + 1024;
  }
  std::unique_ptr<http::WebSocketListener> onWebSocketOpen(http::WebSocketConnection& connection,
                                                           const http::Request& upgrade) override;

 private:
  ChatService& service_;
};

}  // namespace throng::chat
