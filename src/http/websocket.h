// WebSocket endpoints. The HTTP connection upgrades a request whose path has a registered
// WebSocketHandler (Router::addWebSocket); the handler gets a WebSocketConnection and returns
// the WebSocketListener that receives its messages (style.md rule 7: upward notification
// through a small Listener interface).
//
// Lifetime: handlers must outlive the workers (a connection still open when a stopped worker
// is destroyed calls onWebSocketClosed() from the thread destroying it).
//
// Threading: a connection lives on one worker. Listener callbacks run on that worker;
// send() and close() must be called on it too (use connection.executor() to get there).
#pragma once

#include "base/shared_bytes.h"
#include "http/types.h"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

namespace throng::http {

enum class SendResult {
  kQueued,   // accepted into the outbox
  kDropped,  // not queued: the outbox would exceed its byte budget
  kClosing,  // not queued: the connection is closing or closed
};

class WebSocketConnection {
 public:
  virtual ~WebSocketConnection() = default;

  // The most pieces sendPieces() takes: enough for a RoutedStanza (head, recipient, tail)
  // behind one more, and small enough to keep in each outbox entry without allocating.
  static constexpr std::size_t kMaxPieces = 4;

  // Queues one text message. Backpressure is the return value (style.md rule 4).
  virtual SendResult send(SharedBytes message) = 0;
  // Queues one text message made of up to kMaxPieces pieces, written as one frame with a
  // gather write: the pieces are referenced, never concatenated (style.md rule 3). Counts
  // against the byte budget like send().
  virtual SendResult sendPieces(std::span<const SharedBytes> pieces) = 0;
  // Closes with a WebSocket close code (RFC 6455 §7.4) after the queued messages are sent.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // Drops what is queued and closes the TCP connection now, without a close handshake: for a
  // peer that stopped reading, whose close frame would only queue behind the rest.
  // onWebSocketClosed() follows from the connection's loop, not from inside this call.
  virtual void abort() = 0;
  // From onWebSocketMessage(): the next read starts only after `delay` (a rate limit). Nothing
  // is taken off the socket meanwhile, so TCP flow control pushes back on the peer.
  virtual void deferNextRead(std::chrono::steady_clock::duration delay) = 0;

  virtual std::size_t queuedBytes() const = 0;
  virtual const boost::asio::ip::address& remoteAddress() const = 0;
  // Whether the connection is TLS (wss).
  virtual bool secure() const = 0;
  virtual boost::asio::any_io_executor executor() = 0;
};

class WebSocketListener {
 public:
  virtual ~WebSocketListener() = default;
  // One complete text or binary message.
  virtual void onWebSocketMessage(std::string_view message) = 0;
  // The connection is gone (closed by either side, timed out, or drained). Called once; the
  // connection must not be used afterwards.
  virtual void onWebSocketClosed() = 0;
};

class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;

  // The subprotocol this endpoint requires (RFC 6455 §1.9), e.g. "xmpp" (RFC 7395 §3.1);
  // empty for none. An upgrade that does not offer it is refused with 400.
  virtual std::string_view subprotocol() const { return {}; }
  // Largest message accepted; a larger one closes the connection with 1009.
  virtual std::size_t maxMessageBytes() const { return 64 * 1024; }
  // Bytes a connection may have queued before send() drops.
  virtual std::size_t outboxBudgetBytes() const { return 1024 * 1024; }

  // Called on the connection's worker once the upgrade completed. The connection outlives
  // the returned listener (it owns it).
  virtual std::unique_ptr<WebSocketListener> onWebSocketOpen(WebSocketConnection& connection,
                                                             const Request& upgrade) = 0;
};

}  // namespace throng::http
